import DNSWire
import Foundation
import Testing

/// The `acl` plugin in the real server, with clients on several loopback addresses (Linux routes
/// all of 127.0.0.0/8 to lo, and a query to 127.0.0.N leaves from 127.0.0.N).
@Suite(.serialized) struct ACLTests {
    /// Sends a query to the server on 127.0.0.1 from `source` (a socket bound there: an unbound
    /// one would leave from 127.0.0.1 whatever the destination) and returns the reply.
    struct SourceClient {
        let source: String
        let port: UInt16

        func query(_ name: String, _ type: RecordType, edns: EDNS? = EDNS()) throws -> Message {
            let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
            guard fd >= 0 else { throw ACLTestError.socket }
            defer { close(fd) }
            var tv = timeval(tv_sec: 1, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
            var local = sockaddr_in()
            local.sin_family = sa_family_t(AF_INET)
            inet_pton(AF_INET, source, &local.sin_addr)
            let bound = withUnsafePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard bound == 0 else { throw ACLTestError.socket }
            var remote = sockaddr_in()
            remote.sin_family = sa_family_t(AF_INET)
            remote.sin_port = port.bigEndian
            inet_pton(AF_INET, "127.0.0.1", &remote.sin_addr)
            let wire = Message.query(id: UInt16.random(in: 1...UInt16.max), name: try DomainName(name), type: type,
                                     edns: edns).encoded() ?? []
            let sent = wire.withUnsafeBytes { raw in
                withUnsafePointer(to: &remote) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        sendto(fd, raw.baseAddress, raw.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
            }
            guard sent == wire.count else { throw ACLTestError.socket }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let n = recv(fd, &buffer, buffer.count, 0)
            guard n > 0 else { throw ACLTestError.noAnswer }
            return try Message(parsing: Array(buffer[0..<n]))
        }
    }

    enum ACLTestError: Error { case socket, noAnswer }

    static func client(_ server: ServerProcess, _ source: String) -> SourceClient {
        SourceClient(source: source, port: server.port)
    }

    @Test("allow, block, filter and drop by source network and query type; first match wins; metrics count each")
    func actions() throws {
        let corefile = """
            .:{PORT} {
                prometheus 127.0.0.1:{METRICS}
                acl {
                    block type ANY
                    allow net 127.0.0.1
                    filter net 127.0.0.2/32
                    drop net 127.0.0.3
                    block
                }
                whoami
            }
            """
        let metricsPort = ControlPorts.make(1)[0]
        let server = try ServerProcess(corefile: corefile.replacingOccurrences(of: "{METRICS}", with: String(metricsPort)))
        let allowed = try Self.client(server, "127.0.0.1").query("example.org.", .a)
        #expect(allowed.rcode == .noError && allowed.additionals.count == 2)
        #expect(try Self.client(server, "127.0.0.1").query("example.org.", .any).rcode == .refused)
        let filtered = try Self.client(server, "127.0.0.2").query("example.org.", .a)
        #expect(filtered.rcode == .noError && filtered.answers.isEmpty && filtered.additionals.isEmpty)
        #expect(throws: (any Error).self) { try Self.client(server, "127.0.0.3").query("example.org.", .a) }
        #expect(try Self.client(server, "127.0.0.4").query("example.org.", .a).rcode == .refused)

        let (_, metrics) = try runTool("/usr/bin/curl", ["-s", "http://127.0.0.1:\(metricsPort)/metrics"])
        let lines = metrics.split(separator: "\n").filter { $0.hasPrefix("coredns_acl_") }.map(String.init)
        #expect(lines.contains("coredns_acl_blocked_requests_total{server=\"dns://:\(server.port)\",zone=\".\",view=\"\"} 2"), "\(lines)")
        #expect(lines.contains("coredns_acl_filtered_requests_total{server=\"dns://:\(server.port)\",zone=\".\",view=\"\"} 1"), "\(lines)")
        #expect(lines.contains("coredns_acl_dropped_requests_total{server=\"dns://:\(server.port)\",zone=\".\",view=\"\"} 1"), "\(lines)")
        #expect(lines.contains("coredns_acl_allowed_requests_total{server=\"dns://:\(server.port)\",view=\"\"} 1"), "\(lines)")
    }

    @Test("zones: names outside the acl's zones are not looked at; two acl directives act as one, in order")
    func zonesAndOrder() throws {
        let corefile = """
            .:{PORT} {
                acl example.org {
                    allow net 127.0.0.2
                }
                acl {
                    block net 127.0.0.2
                }
                whoami
            }
            """
        let server = try ServerProcess(corefile: corefile)
        // example.org from 127.0.0.2: the first acl allows, which is final.
        #expect(try Self.client(server, "127.0.0.2").query("www.example.org.", .a).rcode == .noError)
        // Another name from 127.0.0.2: the first acl does not apply, the second blocks.
        #expect(try Self.client(server, "127.0.0.2").query("example.net.", .a).rcode == .refused)
        #expect(try Self.client(server, "127.0.0.1").query("example.net.", .a).rcode == .noError)
    }

    @Test("IPv6 clients: a v6 network matches a query over ::1, and not one over 127.0.0.1")
    func ipv6Client() throws {
        let server = try ServerProcess(corefile: """
            .:{PORT} {
                acl {
                    block net ::1
                    filter net ::/0
                }
                whoami
            }
            """)
        let v6 = DNSTestClient(host: "::1", port: server.port)
        #expect(try v6.query("example.org.", .a).rcode == .refused)
        #expect(try v6.queryTCP("example.org.", .a).rcode == .refused)
        let v4 = try Self.client(server, "127.0.0.1").query("example.org.", .a)
        #expect(v4.rcode == .noError && !v4.additionals.isEmpty)
    }

    @Test("bad acl lines stop the server with file:line", arguments: [
        ("permit net 10.0.0.0/8", "unknown action"),
        ("allow net 10.0.0.0/33", "invalid network"),
        ("allow type NOPE", "unknown query type"),
        ("allow 10.0.0.0/8", "expected 'type' or 'net'"),
    ])
    func errors(line: String, message: String) throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("acl-\(getpid())-\(abs(line.hashValue)).conf")
        try ".:1053 {\n    acl {\n        \(line)\n    }\n    whoami\n}\n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let (code, output) = try runTool(ServerProcess.binary, ["check", "--conf", file.path])
        #expect(code != 0)
        #expect(output.contains(":3") && output.contains(message), "\(output)")
    }
}
