import DNSWire
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The `file` plugin in the real server: authoritative answers, errors at start, reloads.
@Suite(.serialized) struct FileTests {
    static let zone = """
        $ORIGIN example.test.
        $TTL 3600
        @         IN SOA   ns1 hostmaster 1 7200 3600 1209600 300
                  IN NS    ns1
        ns1       IN A     192.0.2.1
        www  300  IN A     192.0.2.80
             300  IN A     192.0.2.81
        web       IN CNAME www
        *.apps    IN A     192.0.2.100
        static.apps IN A   192.0.2.101
        host1.lab IN A     192.0.2.131
        sub       IN NS    ns1.sub
        ns1.sub   IN A     192.0.2.53

        """

    static let corefile = "example.test:{PORT} {\n    file db.example.test {\n        reload 200ms\n    }\n}\n"

    static func soaSerial(_ server: ServerProcess) throws -> UInt32? {
        guard case .soa(let soa)? = try server.client.query("example.test.", .soa).answers.first?.rdata else { return nil }
        return soa.serial
    }

    @Test("answers, CNAME chase, wildcard, empty non-terminal, referral, NXDOMAIN and NODATA over UDP and TCP")
    func answers() throws {
        let server = try ServerProcess(corefile: Self.corefile, files: ["db.example.test": Self.zone])
        let client = server.client
        let www = try client.query("www.example.test.", .a)
        #expect(www.header.authoritative)
        #expect(Set(www.answers.map(\.rdata)) == [.a(IPv4Address(192, 0, 2, 80)), .a(IPv4Address(192, 0, 2, 81))])
        let web = try client.queryTCP("web.example.test.", .a)
        #expect(web.answers.map(\.type) == [.cname, .a, .a])
        let wild = try client.query("anything.apps.example.test.", .a)
        #expect(wild.answers.map(\.rdata) == [.a(IPv4Address(192, 0, 2, 100))])
        #expect(wild.answers.first?.name == "anything.apps.example.test.")
        let existing = try client.query("static.apps.example.test.", .a)
        #expect(existing.answers.map(\.rdata) == [.a(IPv4Address(192, 0, 2, 101))])
        let ent = try client.query("lab.example.test.", .a)
        #expect(ent.rcode == .noError && ent.answers.isEmpty && ent.authorities.first?.type == .soa)
        let referral = try client.query("deep.sub.example.test.", .a)
        #expect(!referral.header.authoritative)
        #expect(referral.authorities.map(\.type) == [.ns])
        #expect(referral.additionals.map(\.rdata) == [.a(IPv4Address(192, 0, 2, 53))])
        let nx = try client.query("nothere.example.test.", .a)
        #expect(nx.rcode == .nameError)
        #expect(nx.header.authoritative)
        #expect(nx.authorities.first?.ttl == 300)
        let nodata = try client.query("www.example.test.", .mx)
        #expect(nodata.rcode == .noError && nodata.answers.isEmpty)
        #expect(nodata.authorities.first?.type == .soa)
    }

    @Test("the example zone shipped in Zones/ is served")
    func shippedExample() throws {
        let zones = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Zones/example.test.zone")
        let text = try String(contentsOf: zones, encoding: .utf8)
        let server = try ServerProcess(corefile: ".:{PORT} {\n    file example.test.zone example.test\n}\n", files: ["example.test.zone": text])
        let reply = try server.client.query("web.example.test.", .a)
        #expect(reply.answers.first?.rdata == .cname("www.example.test."))
        #expect(reply.answers.count == 4)
        #expect(try server.client.query("x.apps.example.test.", .txt).answers.count == 1)
        #expect(try server.client.query("host.sub.example.test.", .a).authorities.count == 2)
    }

    @Test("a broken zone file stops the server at start with the zone's file:line")
    func brokenAtStart() throws {
        let broken = Self.zone + "bad IN A 192.0.2\n"
        let error = #expect(throws: ServerProcess.StartupError.self) {
            _ = try ServerProcess(corefile: Self.corefile, files: ["db.example.test": broken])
        }
        #expect(error?.code == 1)
        #expect(error?.log.contains("Corefile:2: plugin/file: zone example.test.:") == true)
        let line = broken.split(separator: "\n", omittingEmptySubsequences: false).count - 1
        #expect(error?.log.contains("db.example.test:\(line): Syntax error, could not parse the RR's rdata") == true, "\(error?.log ?? "")")
    }

    @Test("reload picks up a new serial, keeps the old zone through a broken edit, then takes the fix")
    func reload() throws {
        let server = try ServerProcess(corefile: Self.corefile, files: ["db.example.test": Self.zone])
        let path = server.directory.appendingPathComponent("db.example.test")
        #expect(try Self.soaSerial(server) == 1)
        let two = Self.zone.replacingOccurrences(of: "hostmaster 1 7200", with: "hostmaster 2 7200") + "new IN A 192.0.2.200\n"
        try two.write(to: path, atomically: true, encoding: .utf8)
        #expect(try ServerProcess.eventually { try Self.soaSerial(server) == 2 })
        #expect(try server.client.query("new.example.test.", .a).answers.count == 1)

        let broken = two.replacingOccurrences(of: "hostmaster 2 7200", with: "hostmaster 3 7200") + "oops IN AAAA not-an-address\n"
        try broken.write(to: path, atomically: true, encoding: .utf8)
        #expect(ServerProcess.eventually { server.log.contains("reloading zone example.test. failed, still serving serial 2") })
        let brokenLine = broken.split(separator: "\n", omittingEmptySubsequences: false).count - 1
        #expect(server.log.contains("db.example.test:\(brokenLine):"), "\(server.log)")
        #expect(try Self.soaSerial(server) == 2)
        #expect(try server.client.query("new.example.test.", .a).answers.count == 1)

        let fixed = two.replacingOccurrences(of: "hostmaster 2 7200", with: "hostmaster 4 7200")
        try fixed.write(to: path, atomically: true, encoding: .utf8)
        #expect(try ServerProcess.eventually { try Self.soaSerial(server) == 4 })
    }
}
