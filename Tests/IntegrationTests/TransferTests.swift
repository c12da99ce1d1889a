import DNSWire
import Foundation
import Testing

/// `transfer` in the real server: AXFR of a `kubernetes` zone (the example cluster) and of a
/// `file` zone over TCP, read by dig and by libldns's drill; REFUSED over UDP and to peers not
/// in `to`; IXFR answered "up to date" or in full by serial.
@Suite(.serialized) struct TransferTests {
    static var tools: Bool {
        FileManager.default.isExecutableFile(atPath: "/usr/bin/dig") && FileManager.default.isExecutableFile(atPath: "/usr/bin/drill")
    }

    /// Only 127.0.0.2 may transfer; the server listens on 127.0.0.1.
    static func server() throws -> ServerProcess {
        let root = Transcript.root.path
        return try ServerProcess(corefile: """
            .:{PORT} {
                bind 127.0.0.1
                transfer {
                    to 127.0.0.2
                }
                kubernetes cluster.local in-addr.arpa ip6.arpa {
                    manifests \(root)/Zones/manifests
                    ttl 30
                }
                file \(root)/Zones/example.test.zone example.test
            }

            """)
    }

    static func run(_ tool: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    /// The records of a dig transfer, one per line, comments dropped.
    static func dig(_ server: ServerProcess, from source: String, _ query: [String]) throws -> [String] {
        try run("/usr/bin/dig", ["@127.0.0.1", "-p", String(server.port), "-b", source, "+nocmd", "+nostats"] + query)
            .split(separator: "\n").map(String.init).filter { !$0.hasPrefix(";") && !$0.isEmpty }
            .map(Transcript.collapse)
    }

    @Test("dig AXFR of the kubernetes zone: SOA first and last, NS, every kind of service", .enabled(if: tools))
    func kubernetesZone() throws {
        let server = try Self.server()
        let records = try Self.dig(server, from: "127.0.0.2", ["AXFR", "cluster.local"])
        #expect(records.count > 30, "\(records)")
        #expect(records.first?.hasPrefix("cluster.local. 30 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. ") == true)
        #expect(records.last == records.first)
        for expected in [
            "cluster.local. 30 IN NS ns.dns.cluster.local.",
            "kubernetes.default.svc.cluster.local. 30 IN A 10.96.0.1",
            "_https._tcp.kubernetes.default.svc.cluster.local. 30 IN SRV 0 100 443 kubernetes.default.svc.cluster.local.",
            "web-app.production.svc.cluster.local. 30 IN AAAA fd00:10:96::20",
            "postgres-0.postgres-headless.production.svc.cluster.local. 30 IN A 10.244.2.10",
            "_postgres._tcp.postgres-headless.production.svc.cluster.local. 30 IN SRV 0 50 5432 postgres-0.postgres-headless.production.svc.cluster.local.",
            "database.production.svc.cluster.local. 30 IN CNAME db.example.com.",
        ] {
            #expect(records.contains(expected), "\(expected) missing from\n\(records.joined(separator: "\n"))")
        }
    }

    @Test("dig and drill AXFR of the file zone: every record of the zone file, SOA first and last", .enabled(if: tools))
    func fileZone() throws {
        let server = try Self.server()
        let records = try Self.dig(server, from: "127.0.0.2", ["AXFR", "example.test"])
        #expect(records.first?.hasPrefix("example.test. 3600 IN SOA ns1.example.test. hostmaster.example.test. 2024060101") == true, "\(records)")
        #expect(records.last == records.first)
        #expect(records.count == 26 + 1, "the zone's 26 records and the closing SOA: \(records)")
        #expect(records.contains("www.example.test. 300 IN A 192.0.2.80"), "\(records)")
        // libldns's drill, an independent reader of the transfer.
        let drill = try Self.run("/usr/bin/drill", ["-p", String(server.port), "-I", "127.0.0.2", "example.test", "@127.0.0.1", "AXFR"])
        let drilled = drill.split(separator: "\n").map(String.init).filter { !$0.hasPrefix(";") && !$0.isEmpty }.map(Transcript.collapse)
        #expect(drilled.filter { $0.contains(" IN SOA ") }.count == 2, "\(drill)")
        #expect(drilled.contains("www.example.test. 300 IN A 192.0.2.80"), "\(drill)")
    }

    @Test("REFUSED over UDP and to a peer not in `to`; a name that is no zone of the block gets SERVFAIL", .enabled(if: tools))
    func refused() throws {
        let server = try Self.server()
        #expect(try server.client.query("cluster.local.", .axfr).rcode == .refused)
        #expect(try server.client.query("cluster.local.", .ixfr).rcode == .refused)
        // Over TCP, from 127.0.0.1, which `to` does not name.
        #expect(try server.client.queryTCP("cluster.local.", .axfr).rcode == .refused)
        let failed = try Self.run("/usr/bin/dig", ["@127.0.0.1", "-p", String(server.port), "-b", "127.0.0.2", "AXFR", "nothere.example."])
        #expect(failed.contains("Transfer failed") || failed.contains("SERVFAIL"), "\(failed)")
    }

    @Test("IXFR: the current serial gets the SOA alone, an older one the whole zone", .enabled(if: tools))
    func ixfr() throws {
        let server = try Self.server()
        let soa = try #require(try Self.dig(server, from: "127.0.0.2", ["AXFR", "example.test"]).first)
        let serial = try #require(soa.split(separator: " ").dropFirst(6).first.flatMap { UInt32($0) })
        let current = try Self.dig(server, from: "127.0.0.2", ["IXFR=\(serial)", "example.test"])
        #expect(current == [soa], "\(current)")
        let older = try Self.dig(server, from: "127.0.0.2", ["IXFR=\(serial - 1)", "example.test"])
        #expect(older.count == 27 && older.first == soa && older.last == soa, "\(older)")
    }

    @Test("a zone larger than one 64 KiB message goes in several, in order, SOA first and last; dig and drill read it all",
          .enabled(if: tools))
    func severalMessages() throws {
        let zone = "$ORIGIN big.test.\n$TTL 300\n@ IN SOA ns.big.test. h.big.test. 1 2 3 4 5\n@ IN NS ns\nns IN A 192.0.2.1\n"
            + (1...3000).map { "host\($0) IN A 10.0.\($0 / 250).\($0 % 250 + 1)\n" }.joined()
        let server = try ServerProcess(corefile: ".:{PORT} {\n    bind 127.0.0.1\n    transfer {\n        to *\n    }\n    file {DIR}/big.zone big.test\n}\n",
                                       files: ["big.zone": zone])
        let output = try Self.run("/usr/bin/dig", ["@127.0.0.1", "-p", String(server.port), "AXFR", "big.test", "+nocmd"])
        let records = output.split(separator: "\n").map(String.init).filter { !$0.hasPrefix(";") && !$0.isEmpty }.map(Transcript.collapse)
        #expect(records.count == 3004, "the zone's 3003 records and the closing SOA")
        #expect(records.first == "big.test. 300 IN SOA ns.big.test. h.big.test. 1 2 3 4 5" && records.last == records.first)
        #expect(Set(records.filter { $0.hasPrefix("host") }).count == 3000)
        let messages = output.split(separator: "\n").first { $0.contains("XFR size:") }.map(String.init) ?? ""
        #expect(messages.contains("3004 records") && !messages.contains("messages 1,"), "\(messages)")
        let drill = try Self.run("/usr/bin/drill", ["-p", String(server.port), "big.test", "@127.0.0.1", "AXFR"])
        #expect(drill.split(separator: "\n").filter { $0.hasPrefix("host") }.count == 3000)
        #expect(drill.split(separator: "\n").filter { $0.contains("\tSOA\t") || $0.contains(" SOA ") }.count >= 2)
        // The connection serves the next query after the transfer.
        #expect(try server.client.queryTCP("big.test.", .soa).rcode == .noError)
    }
}
