import DNSWire
import Foundation
import Testing

/// The `rewrite` plugin in the real server: the question is rewritten for the rest of the chain
/// and the answer mapped back.
@Suite(.serialized) struct RewriteTests {
    static let corefile = #"""
        .:{PORT} {
            rewrite name exact db.public.test db.internal.example.org
            rewrite name regex (.*)-(east|west)\.public\.test {1}.{2}.internal.example.org answer auto
            rewrite name suffix .legacy.test .internal.example.org answer auto
            hosts {
                10.0.0.1 db.internal.example.org
                10.0.0.2 api.east.internal.example.org
                10.0.0.3 web.internal.example.org
                fallthrough
            }
            whoami
        }
        """#

    @Test("exact, regex and suffix rules: the client sees its question and its name in the answer")
    func mappedBack() throws {
        let server = try ServerProcess(corefile: Self.corefile)
        let cases: [(String, IPv4Address)] = [
            ("DB.Public.Test.", IPv4Address(10, 0, 0, 1)),
            ("api-east.public.test.", IPv4Address(10, 0, 0, 2)),
            ("web.legacy.test.", IPv4Address(10, 0, 0, 3)),
        ]
        for (name, address) in cases {
            for reply in [try server.client.query(name, .a), try server.client.queryTCP(name, .a)] {
                #expect(reply.rcode == .noError, "\(name)")
                #expect(reply.questions.first?.name.exactlyEquals(try DomainName(name)) == true, "\(name)")
                #expect(reply.answers.map(\.rdata) == [.a(address)], "\(name)")
                #expect(reply.answers.first?.name.exactlyEquals(try DomainName(name)) == true, "\(name)")
            }
        }
        // No rule matches: the query passes through unchanged (whoami answers).
        let other = try server.client.query("api-north.public.test.", .a)
        #expect(other.answers.isEmpty)
        #expect(other.additionals.first?.name == "api-north.public.test.")
    }

    @Test("an unsupported rule kind stops the server with its line")
    func unsupported() throws {
        let error = #expect(throws: ServerProcess.StartupError.self) {
            _ = try ServerProcess(corefile: ".:{PORT} {\n    rewrite edns0 local set 0xffee abcd\n    whoami\n}\n")
        }
        #expect(error?.log.contains("Corefile:2: plugin/rewrite: 'edns0' rules are not supported yet by ClusterDNS") == true)
    }
}
