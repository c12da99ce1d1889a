import DNSWire
import Foundation
import Testing

/// RFC 8482 ANY without the `any` plugin, opcodes and classes, in the real server.
@Suite(.serialized) struct ProtocolConformanceTests {
    static let hinfo8482: RData = .unknown([7] + Array("RFC8482".utf8) + [0])

    @Test("kubernetes: ANY of a service is its address RRset, of an ExternalName its CNAME, of a namespace the RFC 8482 HINFO")
    func kubernetesAny() throws {
        let server = try ServerProcess(corefile: KubernetesFixtures.corefile(), files: try KubernetesFixtures.files())
        let service = try server.client.query("svc1.testns.svc.cluster.local.", .any)
        #expect(service.rcode == .noError)
        #expect(service.answers.map(\.rdata) == [.a(IPv4Address(10, 0, 0, 1))])
        let v6 = try server.client.query("svc6.testns.svc.cluster.local.", .any)
        #expect(v6.answers.map(\.type) == [.aaaa])
        let external = try server.client.query("external.testns.svc.cluster.local.", .any)
        #expect(external.answers.map(\.type) == [.cname])
        let namespace = try server.client.query("testns.svc.cluster.local.", .any)
        #expect(namespace.rcode == .noError)
        #expect(namespace.answers.map(\.rdata) == [Self.hinfo8482])
        let apex = try server.client.query("cluster.local.", .any)
        #expect(apex.answers.map(\.type) == [.soa])
        let missing = try server.client.query("nosuch.testns.svc.cluster.local.", .any)
        #expect(missing.rcode == .nameError)
        #expect(missing.answers.isEmpty)
    }

    @Test("file: ANY gets one RRset of the name (its addresses first), a CNAME is not chased",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/dig")))
    func fileAny() throws {
        let zone = "$ORIGIN example.test.\n$TTL 3600\n@ IN SOA ns1 hostmaster 1 7200 3600 1209600 300\n  IN NS ns1\n  IN MX 10 mail\nns1 IN A 192.0.2.1\nmail IN A 192.0.2.25\nmail IN TXT \"hello\"\nweb IN CNAME mail\ntxtonly IN TXT \"only\"\n"
        let server = try ServerProcess(corefile: "example.test:{PORT} {\n    file db.example.test\n}\n",
                                       files: ["db.example.test": zone])
        func dig(_ name: String) throws -> [String] {
            let (code, output) = try runTool("/usr/bin/dig", ["@127.0.0.1", "-p", String(server.port), name, "ANY",
                                                              "+noall", "+answer", "+time=2", "+tries=1"])
            #expect(code == 0)
            return output.split(separator: "\n").map { $0.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ") }
        }
        #expect(try dig("mail.example.test") == ["mail.example.test. 3600 IN A 192.0.2.25"])
        #expect(try dig("web.example.test") == ["web.example.test. 3600 IN CNAME mail.example.test."])
        #expect(try dig("txtonly.example.test") == ["txtonly.example.test. 3600 IN TXT \"only\""])
        #expect(try dig("example.test").count == 1)
    }

    @Test("hosts: ANY gets the IPv4 addresses, or the IPv6 ones when there are none")
    func hostsAny() throws {
        let server = try ServerProcess(corefile: "example.org:{PORT} {\n    hosts {\n        192.0.2.7 both.example.org\n        2001:db8::7 both.example.org\n        2001:db8::8 six.example.org\n    }\n}\n")
        let both = try server.client.query("both.example.org.", .any)
        #expect(both.answers.map(\.rdata) == [.a(IPv4Address(192, 0, 2, 7))])
        let six = try server.client.query("six.example.org.", .any)
        #expect(six.answers.map(\.type) == [.aaaa])
    }

    @Test("every opcode but QUERY gets NOTIMP with the opcode echoed, over UDP and TCP")
    func opcodes() throws {
        let server = try ServerProcess(corefile: ".:{PORT} {\n    whoami\n}\n")
        for opcode in UInt8(0)...15 {
            var query = Message.query(id: 0x4242, name: try DomainName("example.org."), type: .a).encoded() ?? []
            query[2] = (query[2] & 0x87) | opcode << 3
            let udp = try #require(try server.client.exchangeRawUDP(query))
            let connection = try server.client.connectTCP()
            defer { connection.close() }
            try connection.sendFrame(query)
            let tcp = try connection.readFrame()
            for reply in [udp, tcp] {
                #expect(reply[0] == 0x42 && reply[1] == 0x42)
                #expect(reply[2] & 0x80 != 0, "QR set for opcode \(opcode)")
                #expect((reply[2] >> 3) & 0x0F == opcode, "opcode \(opcode) echoed")
                #expect(reply[3] & 0x0F == (opcode == 0 ? 0 : 4), "opcode \(opcode): rcode \(reply[3] & 0x0F)")
            }
        }
    }

    @Test("every class but IN (HS, CH, NONE, ANY, unassigned) gets REFUSED with the ID and question echoed, over UDP and TCP")
    func classes() throws {
        let server = try ServerProcess(corefile: ".:{PORT} {\n    whoami\n}\n")
        let name = try DomainName("Mixed.Example.ORG.")
        let classes: [RecordClass] = [.hesiod, .chaos, .none, .any, RecordClass(rawValue: 0), RecordClass(rawValue: 2),
                                      RecordClass(rawValue: 42), RecordClass(rawValue: 65_535)]
        for recordClass in classes {
            let query = try #require(Message.query(id: 0x5151, name: name, type: .a, recordClass: recordClass).encoded())
            let udp = try #require(try server.client.exchangeRawUDP(query))
            let connection = try server.client.connectTCP()
            defer { connection.close() }
            try connection.sendFrame(query)
            let tcp = try connection.readFrame()
            for (transport, wire) in [("udp", udp), ("tcp", tcp)] {
                let reply = try Message(parsing: wire)
                let what = "class \(recordClass.rawValue) over \(transport)"
                #expect(reply.header.id == 0x5151 && reply.header.isResponse, "\(what)")
                #expect(reply.rcode == .refused, "\(what): \(reply.rcode)")
                #expect(reply.answers.isEmpty && reply.additionals.isEmpty, "\(what)")
                #expect(reply.questions.count == 1, "\(what)")
                #expect(reply.questions.first?.questionClass == recordClass, "\(what)")
                #expect(reply.questions.first?.name.exactlyEquals(name) == true, "\(what)")
            }
        }
        // The same question in class IN is answered: the refusals were the class's.
        let inQuery = try #require(Message.query(id: 0x5152, name: name, type: .a, recordClass: .in).encoded())
        let answered = try #require(try server.client.exchangeRawUDP(inQuery))
        #expect(try Message(parsing: answered).rcode == .noError)
    }
}
