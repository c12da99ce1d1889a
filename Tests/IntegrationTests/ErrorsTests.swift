import DNSWire
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite(.serialized) struct ErrorsTests {
    func lines(_ server: ServerProcess, prefix: String) -> [String] {
        server.log.split(separator: "\n").map(String.init).filter { $0.hasPrefix(prefix) }
    }

    @Test("a SERVFAIL from a block where no plugin answers is logged once with CoreDNS's text")
    func servfailLogged() throws {
        let server = try ServerProcess(corefile: ".:{PORT} {\n    errors\n    log\n}\n")
        let reply = try server.client.query("www.example.org.", .a)
        #expect(reply.rcode == .serverFailure)
        let logged = ServerProcess.eventually {
            lines(server, prefix: "[ERROR]").contains("[ERROR] plugin/errors: 2 www.example.org. A: plugin/log: no next plugin found")
        }
        #expect(logged, "\(server.log)")
        #expect(lines(server, prefix: "[ERROR]").count == 1)
    }

    @Test("consolidate prints one summary for the errors of a period")
    func consolidate() throws {
        let server = try ServerProcess(corefile: """
            .:{PORT} {
                errors {
                    consolidate 1s "no next plugin found$" warning
                }
                log
            }
            """)
        for i in 0..<4 { _ = try server.client.query("c\(i).example.", .a) }
        let summary = "[WARNING] plugin/errors: 4 errors like 'no next plugin found$' occurred in last 1s"
        let logged = ServerProcess.eventually(timeout: .seconds(5)) { lines(server, prefix: "[WARNING]").contains(summary) }
        #expect(logged, "\(server.log)")
        #expect(lines(server, prefix: "[ERROR]").isEmpty)
    }

    @Test("show_first prints the first error at once and a summary of the rest")
    func showFirst() throws {
        let server = try ServerProcess(corefile: """
            .:{PORT} {
                errors {
                    consolidate 1s "no next plugin" error show_first
                }
                log
            }
            """)
        _ = try server.client.query("first.example.", .a)
        _ = try server.client.query("second.example.", .a)
        _ = try server.client.query("third.example.", .a)
        let summary = "[ERROR] plugin/errors: 3 errors like 'no next plugin' occurred in last 1s"
        #expect(ServerProcess.eventually(timeout: .seconds(5)) { lines(server, prefix: "[ERROR]").contains(summary) })
        let errors = lines(server, prefix: "[ERROR]")
        #expect(errors.first == "[ERROR] plugin/errors: 2 first.example. A: plugin/log: no next plugin found")
        #expect(errors.count == 2)
    }
}
