import DNSWire
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite(.serialized) struct HealthTests {
    @Test("GET /health answers 200 OK; other paths 404")
    func healthy() throws {
        let http = ControlPorts.make(1)[0]
        let server = try ServerProcess(corefile: ".:{PORT} {\n    health 127.0.0.1:\(http)\n    whoami\n}\n")
        let answer = try Curl.get("http://127.0.0.1:\(http)/health")
        #expect(answer.status == 200)
        #expect(answer.body == "OK")
        #expect(try Curl.get("http://127.0.0.1:\(http)/nothing").status == 404)
        _ = server
    }

    @Test("lameduck: after SIGTERM /health answers 503 while DNS is still answered, then the server exits 0")
    func lameduck() throws {
        let http = ControlPorts.make(1)[0]
        let server = try ServerProcess(corefile: ".:{PORT} {\n    health 127.0.0.1:\(http) {\n        lameduck 3s\n    }\n    whoami\n}\n")
        #expect(try Curl.get("http://127.0.0.1:\(http)/health").status == 200)
        server.signal(SIGTERM)
        let unhealthy = ServerProcess.eventually(timeout: .seconds(2)) {
            (try? Curl.get("http://127.0.0.1:\(http)/health").status) == 503
        }
        #expect(unhealthy)
        let reply = try server.client.query("during.lameduck.", .a)
        #expect(reply.rcode == .noError)
        #expect(try Curl.get("http://127.0.0.1:\(http)/health").body == "Lameduck")
        #expect(server.waitForExit(timeout: .seconds(15)) == 0)
        #expect(server.log.contains("going into lameduck mode"))
    }

    @Test("health, ready and prometheus can share one address: one HTTP server serves every path")
    func sharedAddress() throws {
        let http = ControlPorts.make(1)[0]
        let server = try ServerProcess(corefile: """
            .:{PORT} {
                health 127.0.0.1:\(http)
                ready 127.0.0.1:\(http)
                prometheus 127.0.0.1:\(http)
                whoami
            }
            """)
        #expect(try Curl.get("http://127.0.0.1:\(http)/health").status == 200)
        #expect(try Curl.get("http://127.0.0.1:\(http)/ready").status == 200)
        #expect(try Curl.get("http://127.0.0.1:\(http)/metrics").body.contains("coredns_build_info"))
        _ = server
    }

    @Test("an endpoint address that is taken stops the server with an error naming it")
    func addressInUse() throws {
        let http = ControlPorts.make(1)[0]
        let holder = try ServerProcess(corefile: ".:{PORT} {\n    health 127.0.0.1:\(http)\n    whoami\n}\n")
        let second = try ServerProcess(corefile: ".:{PORT} {\n    health 127.0.0.1:\(http)\n    whoami\n}\n", waitFor: false)
        #expect(second.waitForExit(timeout: .seconds(20)) == 1)
        #expect(second.log.contains("127.0.0.1:\(http)"))
        _ = holder
    }

    @Test("every thread of a server with HTTP endpoints blocks SIGTERM, SIGINT and SIGHUP")
    func signalMask() throws {
        let ports = ControlPorts.make(3)
        let server = try ServerProcess(corefile: """
            .:{PORT} {
                health 127.0.0.1:\(ports[0])
                ready 127.0.0.1:\(ports[1])
                prometheus 127.0.0.1:\(ports[2])
                log
                whoami
            }
            """)
        // Make every kind of thread exist: HTTP handlers, the log writer, the health probe.
        _ = try Curl.get("http://127.0.0.1:\(ports[2])/metrics")
        _ = try server.client.query("threads.example.", .a)
        usleep(1_200_000)
        let pid = server.process.processIdentifier
        let tasks = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")
        #expect(tasks.count > 3)
        let wanted: UInt64 = (1 << (UInt64(SIGTERM) - 1)) | (1 << (UInt64(SIGINT) - 1)) | (1 << (UInt64(SIGHUP) - 1))
        for task in tasks {
            let status = try String(contentsOfFile: "/proc/\(pid)/task/\(task)/status", encoding: .utf8)
            let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("SigBlk:") })
            let mask = try #require(UInt64(line.dropFirst("SigBlk:".count).trimmingCharacters(in: .whitespaces), radix: 16))
            let name = (try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/comm", encoding: .utf8)) ?? task
            #expect(mask & wanted == wanted, "thread \(name.trimmingCharacters(in: .whitespacesAndNewlines)) does not block the signals: \(line)")
        }
    }
}

/// The control endpoints are read-only and listen only where the Corefile says.
@Suite(.serialized) struct ControlEndpointSafetyTests {
    @Test("POST, PUT, DELETE and PATCH on /health, /ready and /metrics are answered as GET and change nothing")
    func methodsChangeNothing() throws {
        let http = ControlPorts.make(1)[0]
        let server = try ServerProcess(corefile: """
            .:{PORT} {
                health 127.0.0.1:\(http)
                ready 127.0.0.1:\(http)
                prometheus 127.0.0.1:\(http)
                whoami
            }
            """)
        #expect(try Curl.get("http://127.0.0.1:\(http)/ready").status == 200)
        for method in ["POST", "PUT", "DELETE", "PATCH"] {
            for path in ["/health", "/ready", "/metrics"] {
                let (code, output) = try Curl.run("/usr/bin/env", ["curl", "-s", "--max-time", "5", "-X", method, "-d", "x=1",
                                                                    "-o", "/dev/null", "-w", "%{http_code}",
                                                                    "http://127.0.0.1:\(http)\(path)"])
                #expect(code == 0)
                // Answered as GET is (CoreDNS serves every method alike); what matters is below.
                #expect(output == "200", "\(method) \(path) answered \(output)")
            }
        }
        #expect(try Curl.get("http://127.0.0.1:\(http)/health").status == 200)
        #expect(try Curl.get("http://127.0.0.1:\(http)/ready").status == 200)
        #expect(try Curl.get("http://127.0.0.1:\(http)/metrics").status == 200)
        #expect(try server.client.query("example.org.", .a).rcode == .noError)
        #expect(server.process.isRunning)
    }

    /// The server's own bound IPv4 and IPv6 endpoints, as "tcp-listen ADDRESS:PORT" or
    /// "udp ADDRESS:PORT" (the address in /proc's hex form): its /proc/PID/fd socket inodes looked
    /// up in its /proc/PID/net tables. Connected TCP sockets (an accepted HTTP client, closing
    /// at its own pace) are not endpoints and are left out.
    static func sockets(of pid: Int32) throws -> [String] {
        var inodes: Set<String> = []
        for fd in try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd") {
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(fd)"),
                  target.hasPrefix("socket:[") else { continue }
            inodes.insert(String(target.dropFirst(8).dropLast()))
        }
        var found: [String] = []
        for table in ["tcp", "tcp6", "udp", "udp6"] {
            let text = try String(contentsOfFile: "/proc/\(pid)/net/\(table)", encoding: .utf8)
            for line in text.split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ")
                guard fields.count > 9, inodes.contains(String(fields[9])) else { continue }
                if table.hasPrefix("tcp") && fields[3] != "0A" { continue }
                found.append("\(table.hasPrefix("udp") ? "udp" : "tcp-listen") \(fields[1])")
            }
        }
        return found
    }

    /// A port in /proc's form (four hex digits) for matching `sockets(of:)`.
    static func hexPort(_ port: UInt16) -> String { String(format: ":%04X", port) }

    @Test("without health, ready or prometheus the server opens no socket but its DNS port; with one, exactly that address more")
    func noEndpointUnlessConfigured() throws {
        let plain = try ServerProcess(corefile: ".:{PORT} {\n    whoami\n}\n")
        let dns = Self.hexPort(plain.port)
        let opened = try Self.sockets(of: plain.process.processIdentifier)
        #expect(!opened.isEmpty)
        #expect(opened.allSatisfy { $0.hasSuffix(dns) }, "\(opened)")

        let http = ControlPorts.make(1)[0]
        let withHealth = try ServerProcess(corefile: ".:{PORT} {\n    health 127.0.0.2:\(http)\n    whoami\n}\n")
        #expect(try Curl.get("http://127.0.0.2:\(http)/health").status == 200)
        let sockets = try Self.sockets(of: withHealth.process.processIdentifier)
        let others = sockets.filter { !$0.hasSuffix(Self.hexPort(withHealth.port)) }
        // 127.0.0.2 in /proc/net/tcp's little-endian hex.
        #expect(others == ["tcp-listen 0200007F\(Self.hexPort(http))"], "\(sockets)")
    }

    @Test("an endpoint bound to 127.0.0.1 is not reachable on 127.0.0.2, and one on 127.0.0.2 not on 127.0.0.1")
    func bindsOnlyWhereTold() throws {
        let ports = ControlPorts.make(2)
        let server = try ServerProcess(corefile: """
            .:{PORT} {
                health 127.0.0.1:\(ports[0])
                prometheus 127.0.0.2:\(ports[1])
                whoami
            }
            """)
        #expect(try Curl.get("http://127.0.0.1:\(ports[0])/health").status == 200)
        #expect(try Curl.get("http://127.0.0.2:\(ports[1])/metrics").status == 200)
        for url in ["http://127.0.0.2:\(ports[0])/health", "http://127.0.0.1:\(ports[1])/metrics"] {
            let (code, _) = try Curl.run("/usr/bin/env", ["curl", "-s", "--max-time", "3", "-o", "/dev/null", url])
            #expect(code == 7, "\(url): curl exit \(code), expected 7 (connection refused)")
        }
        _ = server
    }
}
