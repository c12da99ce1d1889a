// Writes the fuzzer's seed corpus (Fuzz/corpus/): queries and responses of the shapes a cluster
// DNS server sees, plus master-file lines for the text half of the target. Run by
// Fuzz/make-seeds.sh, compiled together with DNSWire's sources; the output is committed so a
// fuzz run does not depend on this program.
//
// Usage: seed-generator DIRECTORY

#if canImport(Glibc)
import Glibc
#endif

@main
enum SeedGenerator {
    static func main() {
        let arguments = CommandLine.arguments
        guard arguments.count == 2 else {
            print("usage: seed-generator DIRECTORY")
            exit(2)
        }
        let directory = arguments[1]
        var count = 0
        for (name, message) in messages() {
            guard let wire = message.encoded() else {
                print("seed \(name) does not encode")
                exit(1)
            }
            write(wire, to: "\(directory)/wire-\(name)")
            count += 1
        }
        for (name, text) in textSeeds {
            write(Array(text.utf8), to: "\(directory)/text-\(name)")
            count += 1
        }
        print("wrote \(count) seeds to \(directory)")
    }

    static func write(_ bytes: [UInt8], to path: String) {
        guard let file = fopen(path, "wb") else {
            print("cannot open \(path)")
            exit(1)
        }
        let written = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
        fclose(file)
        guard written == bytes.count else {
            print("short write to \(path)")
            exit(1)
        }
    }

    static func record(_ text: String) -> ResourceRecord {
        do { return try ResourceRecord(presentation: text) } catch {
            print("bad seed record '\(text)': \(error)")
            exit(1)
        }
    }

    static func response(to query: Message, answers: [String], authorities: [String] = [],
                         additionals: [String] = [], rcode: ResponseCode = .noError) -> Message {
        var message = query
        message.header.isResponse = true
        message.header.authoritative = true
        message.header.recursionAvailable = true
        message.answers = answers.map(record)
        message.authorities = authorities.map(record)
        message.additionals = additionals.map(record)
        message.rcode = rcode
        return message
    }

    static func messages() -> [(String, Message)] {
        let svc: DomainName = "web.default.svc.cluster.local."
        let cookie = EDNSOption.cookie(client: [0x24, 0x64, 0xC4, 0xAB, 0xCF, 0x10, 0xC9, 0x57])
        let ecs = ClientSubnet(family: 1, sourcePrefixLength: 24, scopePrefixLength: 0, address: [10, 244, 1]).option
        let ecs6 = ClientSubnet(family: 2, sourcePrefixLength: 56, scopePrefixLength: 0,
                                address: [0xFD, 0, 0x10, 0x96, 0, 0, 1]).option
        var list: [(String, Message)] = []

        let a = Message.query(id: 0x1234, name: svc, type: .a)
        list.append(("query-a", a))
        list.append(("query-a-noedns", Message.query(id: 1, name: "kubernetes.default.svc.cluster.local.", type: .a, edns: nil)))
        list.append(("query-aaaa-cookie-do", Message.query(id: 2, name: "Web.Default.SVC.cluster.LOCAL.", type: .aaaa,
                                                           edns: EDNS(udpPayloadSize: 4096, dnssecOK: true, options: [cookie]))))
        list.append(("query-srv-ecs", Message.query(id: 3, name: "_http._tcp.web.default.svc.cluster.local.", type: .srv,
                                                    edns: EDNS(options: [ecs, .padding(length: 40)]))))
        list.append(("query-ptr-v4", Message.query(id: 4, name: "10.0.96.10.in-addr.arpa.", type: .ptr,
                                                   edns: EDNS(options: [ecs6]))))
        list.append(("query-ptr-v6", Message.query(id: 5, name: IPv6Address("fd00:10:96::a").map { IPAddress.v6($0).reverseName } ?? .root,
                                                   type: .ptr)))
        list.append(("query-search-path", Message.query(id: 6, name: "google.com.default.svc.cluster.local.", type: .a)))
        list.append(("query-root-ns", Message.query(id: 7, name: .root, type: .ns)))
        list.append(("query-any-chaos", Message.query(id: 8, name: "version.bind.", type: .any, recordClass: .chaos)))
        list.append(("query-type65280", Message.query(id: 9, name: "x.example.", type: RecordType(rawValue: 65280),
                                                      edns: EDNS(options: [EDNSOption(code: EDNSOptionCode(rawValue: 65001), data: [1, 2, 3])]))))
        var twoQuestions = Message.query(id: 10, name: "a.example.", type: .a)
        twoQuestions.questions.append(Question(name: "b.example.", type: .aaaa))
        list.append(("query-two-questions", twoQuestions))
        var notify = Message.query(id: 11, name: "cluster.local.", type: .soa, recursionDesired: false, edns: nil)
        notify.header.opcode = .notify
        notify.header.authoritative = true
        notify.answers = [record("cluster.local. 30 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 1 7200 1800 86400 30")]
        list.append(("notify-soa", notify))
        let longLabel = String(repeating: "x", count: 63)
        list.append(("query-long-name", Message.query(id: 12, name: DomainName(stringLiteral: "\(longLabel).\(longLabel).\(longLabel).\(String(repeating: "y", count: 61))"),
                                                      type: .txt)))
        list.append(("query-escapes", Message.query(id: 13, name: "a\\.b.sp\\032ace.\\000\\255.example.", type: .a)))

        list.append(("response-3a", response(to: a, answers: [
            "web.default.svc.cluster.local. 5 IN A 10.96.0.20",
            "web.default.svc.cluster.local. 5 IN A 10.96.0.21",
            "web.default.svc.cluster.local. 5 IN A 10.96.0.22",
        ])))
        var thirty: [String] = []
        for i in 0..<30 { thirty.append("pod-\(i).web.default.svc.cluster.local. 30 IN A 10.244.\(i / 8).\(i)") }
        list.append(("response-30a", response(to: Message.query(id: 14, name: svc, type: .a), answers: thirty)))
        list.append(("response-nxdomain-soa", response(to: Message.query(id: 15, name: "nope.default.svc.cluster.local.", type: .a),
                                                       answers: [], authorities: [
            "cluster.local. 30 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 1700000000 7200 1800 86400 30",
        ], rcode: .nameError)))
        list.append(("response-cname-chain", response(to: Message.query(id: 16, name: "ext.default.svc.cluster.local.", type: .aaaa), answers: [
            "ext.default.svc.cluster.local. 5 IN CNAME www.example.com.",
            "www.example.com. 300 IN CNAME edge.example.net.",
            "edge.example.net. 60 IN AAAA 2001:db8::1",
            "edge.example.net. 60 IN AAAA 2001:db8::2",
        ])))
        list.append(("response-srv", response(to: Message.query(id: 17, name: "_http._tcp.web.default.svc.cluster.local.", type: .srv), answers: [
            "_http._tcp.web.default.svc.cluster.local. 5 IN SRV 0 50 80 pod-1.web.default.svc.cluster.local.",
            "_http._tcp.web.default.svc.cluster.local. 5 IN SRV 0 50 80 pod-2.web.default.svc.cluster.local.",
        ], additionals: [
            "pod-1.web.default.svc.cluster.local. 5 IN A 10.244.1.1",
            "pod-2.web.default.svc.cluster.local. 5 IN AAAA fd00::2",
        ])))
        list.append(("response-mx-txt-ns", response(to: Message.query(id: 18, name: "example.com.", type: .any), answers: [
            "example.com. 300 IN MX 10 mail.example.com.",
            "example.com. 300 IN MX 20 mail2.example.com.",
            "example.com. 300 IN TXT \"v=spf1 -all\" \"\" \"quote\\\" and \\\\ \\255\"",
            "example.com. 300 IN NS ns1.example.com.",
            "10.0.96.10.in-addr.arpa. 30 IN PTR kube-dns.kube-system.svc.cluster.local.",
        ])))
        list.append(("response-rfc1035-opaque", response(to: Message.query(id: 19, name: "old.example.", type: .any), answers: [
            "old.example. 60 IN HINFO \\# 10 03414D44054C494E5558",
            "old.example. 60 IN MB \\# 14 046d61696c076578616d706c6500",
            "old.example. 60 IN MINFO \\# 25 0572626f78730b6f6c642d6578616d706c6500046572727300",
            "old.example. 60 IN TYPE65280 \\# 4 DEADBEEF",
            "old.example. 60 CLASS4660 TYPE1234 \\# 0",
        ])))
        var badvers = response(to: Message.query(id: 20, name: svc, type: .a, edns: EDNS(version: 1)), answers: [])
        badvers.rcode = .badVersion
        list.append(("response-badvers", badvers))
        var truncated = response(to: a, answers: ["web.default.svc.cluster.local. 5 IN A 10.96.0.20"])
        truncated.header.truncated = true
        truncated.header.authenticData = true
        truncated.header.checkingDisabled = true
        truncated.header.zero = true
        list.append(("response-tc-all-flags", truncated))
        return list
    }

    static let textSeeds: [(String, String)] = [
        ("name-plain", "web.default.svc.cluster.local."),
        ("name-escapes", "a\\.b.sp\\032ace.\\000\\255\\\\.Example."),
        ("rr-a", "web.default.svc.cluster.local. 5 IN A 10.96.0.20"),
        ("rr-aaaa", "web 5 AAAA fd00:10:96::a"),
        ("rr-srv", "_http._tcp.web. 5 IN SRV 0 50 80 pod-1.web."),
        ("rr-soa", "cluster.local. 30 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. ( 1 7200 1800 86400 30 ) ; c"),
        ("rr-txt", "t. 60 IN TXT \"a\" \"\" \"\\\"q\\\" \\\\ \\255\" unquoted"),
        ("rr-mx-ptr", "m. IN 60 MX 10 mail.m.\n1.0.0.10.in-addr.arpa. PTR host."),
        ("rr-generic", "g. 60 CLASS12 TYPE65280 \\# 4 DEADBEEF\ng. 60 IN A \\# 4 0A000001\ng. NS \\# 0"),
    ]
}
