import DNSWire
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite(.serialized) struct LogTests {
    /// The server's output lines starting with `[INFO] `/`[ERROR] ` etc. that contain `text`.
    func lines(_ server: ServerProcess, containing text: String) -> [String] {
        server.log.split(separator: "\n").map(String.init).filter { $0.hasPrefix("[") && $0.contains(text) }
    }

    func waitForLine(_ server: ServerProcess, containing text: String) throws -> String? {
        var found: String?
        _ = ServerProcess.eventually(timeout: .seconds(5)) {
            found = lines(server, containing: text).first
            return found != nil
        }
        return found
    }

    @Test("a UDP query is logged in exactly CoreDNS's Common Log Format")
    func udpLine() throws {
        let server = try ServerProcess(corefile: ".:{PORT} {\n    log\n    whoami\n}\n")
        let query = Message.query(id: 4321, name: "Mixed.CASE.example.", type: .a)
        let wire = try #require(query.encoded())
        let reply = try #require(try server.client.exchangeRawUDP(wire))
        let line = try #require(try waitForLine(server, containing: " - 4321 "))
        let pattern = try Regex(#"^\[INFO\] 127\.0\.0\.1:[0-9]+ - 4321 "A IN mixed\.case\.example\. udp \#(wire.count) false 1232" NOERROR qr,aa,rd \#(reply.count) [0-9]+(\.[0-9]+)?s$"#)
        #expect(line.wholeMatch(of: pattern) != nil, "\(line)")
    }

    @Test("a TCP query is logged with tcp and a 65535 buffer size")
    func tcpLine() throws {
        let server = try ServerProcess(corefile: ".:{PORT} {\n    log\n    whoami\n}\n")
        let connection = try server.client.connectTCP()
        defer { connection.close() }
        let wire = try #require(Message.query(id: 999, name: "tcp.example.", type: .aaaa, edns: nil).encoded())
        try connection.sendFrame(wire)
        let reply = try connection.readFrame()
        let line = try #require(try waitForLine(server, containing: " - 999 "))
        let pattern = try Regex(#"^\[INFO\] 127\.0\.0\.1:[0-9]+ - 999 "AAAA IN tcp\.example\. tcp \#(wire.count) false 65535" NOERROR qr,aa,rd \#(reply.count) [0-9]+(\.[0-9]+)?s$"#)
        #expect(line.wholeMatch(of: pattern) != nil, "\(line)")
    }

    @Test("class denial logs neither answers nor errors; class error logs only the SERVFAIL")
    func classFilters() throws {
        let server = try ServerProcess(corefile: """
            .:{PORT} {
                log {
                    class denial
                }
                whoami
            }
            example.org:{PORT} {
                log {
                    class error
                }
            }
            """)
        _ = try server.client.query("answered.example.", .a)
        _ = try server.client.query("failed.example.org.", .a)
        _ = try server.client.query("marker.example.", .a)
        let failed = try waitForLine(server, containing: "failed.example.org.")
        #expect(failed?.contains("SERVFAIL") == true)
        usleep(200_000)
        #expect(lines(server, containing: "answered.example.").isEmpty)
        #expect(lines(server, containing: "marker.example.").isEmpty)
    }

    @Test("with --log-level warning no query is logged, but errors still are")
    func logLevel() throws {
        // The "serving" line is an info line too, so wait for the server by querying it.
        let server = try ServerProcess(corefile: ".:{PORT} {\n    errors\n    log\n}\n", arguments: ["--log-level", "warning"],
                                       waitFor: false)
        var client = server.client
        client.timeout = .milliseconds(300)
        let answered = ServerProcess.eventually { (try? client.query("quiet.example.", .a)) != nil }
        #expect(answered)
        let error = try waitForLine(server, containing: "quiet.example.")
        #expect(error?.hasPrefix("[ERROR] plugin/errors: 2 quiet.example. A:") == true)
        #expect(lines(server, containing: "[INFO]").isEmpty)
    }
}
