import DNSWire
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `clusterdns simulate` as a user runs it: against a real `clusterdns serve` on loopback
/// (--server), in-process (--conf), and over a query log (--from-log).
@Suite(.serialized) struct SimulateCommandTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/simulator")

    static func json(_ output: String) throws -> [String: Any] {
        let start = try #require(output.firstIndex(of: "{"))
        return try #require(try JSONSerialization.jsonObject(with: Data(output[start...].utf8)) as? [String: Any])
    }

    static func attempts(_ json: [String: Any]) -> [(String, String, String?)] {
        ((json["attempts"] as? [[String: Any]]) ?? []).map {
            (($0["qname"] as? String) ?? "", ($0["qtype"] as? String) ?? "", $0["rcode"] as? String)
        }
    }

    @Test("--server: every query goes to a real server; NODATA in the zone, REFUSED outside it, as glibc handles them")
    func glibcAgainstServer() throws {
        let server = try ServerProcess(corefile: "cluster.local:{PORT} {\n    whoami\n}\n")
        let (code, output) = try runClusterDNS(["simulate", "api.example.com", "--namespace", "production",
                                                "--server", "127.0.0.1:\(server.port)", "--json"])
        let json = try Self.json(output)
        let sent = Self.attempts(json)
        #expect(sent.prefix(6).map(\.0) == [
            "api.example.com.production.svc.cluster.local.", "api.example.com.production.svc.cluster.local.",
            "api.example.com.svc.cluster.local.", "api.example.com.svc.cluster.local.",
            "api.example.com.cluster.local.", "api.example.com.cluster.local.",
        ])
        #expect(sent.prefix(6).allSatisfy { $0.2 == "NOERROR" })
        // The name as written is outside the server's zone: REFUSED, resent once (attempts:2).
        #expect(sent.suffix(4).map(\.0) == Array(repeating: "api.example.com.", count: 4))
        #expect(sent.suffix(4).allSatisfy { $0.2 == "REFUSED" })
        #expect(json["query_count"] as? Int == 10)
        #expect(json["error"] as? String == "EAI_NODATA")
        #expect(json["source"] as? String == "server 127.0.0.1:\(server.port)")
        #expect(code == 3)
        let first = try #require((json["attempts"] as? [[String: Any]])?.first)
        #expect(first["ms"] is Double)
        #expect(first["flags"] as? [String] == ["aa"])
    }

    @Test("--server with musl: the first NODATA on a search domain ends the lookup")
    func muslAgainstServer() throws {
        let server = try ServerProcess(corefile: "cluster.local:{PORT} {\n    whoami\n}\n")
        let (code, output) = try runClusterDNS(["simulate", "web", "--resolver", "musl",
                                                "--server", "127.0.0.1:\(server.port)"])
        #expect(code == 3)
        #expect(output.contains("as musl 1.2.3 sends it"))
        #expect(output.contains("failed: EAI_NONAME (Name or service not known) after trying 1 name"))
        #expect(output.contains("musl stopped at a search domain"))
    }

    @Test("--server where nothing listens: ICMP port unreachable, glibc gives up at once with EAI_AGAIN")
    func unreachable() throws {
        let port = ServerProcess.freePort()
        let (code, output) = try runClusterDNS(["simulate", "db", "--server", "127.0.0.1:\(port)", "--json"])
        let json = try Self.json(output)
        #expect(code == 3)
        #expect(json["error"] as? String == "EAI_AGAIN")
        #expect((json["attempts"] as? [[String: Any]])?.allSatisfy { $0["outcome"] as? String == "unreachable" } == true)
        #expect(json["query_count"] as? Int == 4)
    }

    @Test("--server that never answers: timeouts, then the bare name, then EAI_AGAIN")
    func silentServer() throws {
        // A bound UDP socket that reads nothing: queries are neither answered nor refused.
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        #expect(fd >= 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let bound = withUnsafePointer(to: &address) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        #expect(bound == 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        let port = UInt16(bigEndian: address.sin_port)
        let (code, output) = try runClusterDNS(["simulate", "db", "--type", "A", "--options", "timeout:1 attempts:1",
                                                "--server", "127.0.0.1:\(port)", "--json"])
        let json = try Self.json(output)
        #expect(code == 3)
        #expect(json["error"] as? String == "EAI_AGAIN")
        #expect(Self.attempts(json).map(\.0) == ["db.default.svc.cluster.local.", "db."])
        #expect((json["attempts"] as? [[String: Any]])?.allSatisfy { $0["outcome"] as? String == "timeout" } == true)
    }

    @Test("in-process with --conf: the same Corefile the server runs, no network; human report and exit 0 when resolved")
    func inProcess() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("simulate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let corefile = dir.appendingPathComponent("Corefile").path
        try "cluster.local {\n    whoami\n}\n".write(toFile: corefile, atomically: true, encoding: .utf8)
        let (code, output) = try runClusterDNS(["simulate", "api.example.com", "--namespace", "production", "--conf", corefile])
        #expect(code == 0)
        #expect(output.hasPrefix("getaddrinfo(\"api.example.com\", AF_UNSPEC) as glibc 2.36 sends it\n"))
        #expect(output.contains("answers: in-process (Corefile \(corefile))"))
        #expect(output.contains("resolved: api.example.com. (name 4 of 4 tried)"))
        #expect(output.contains("queries sent: 8, wasted: 6"))
        #expect(output.contains("(upstream answer)"))

        let (jsonCode, jsonOutput) = try runClusterDNS(["simulate", "_http._tcp.web", "--type", "SRV", "--ndots", "2",
                                                        "--conf", corefile, "--json"])
        let json = try Self.json(jsonOutput)
        #expect(jsonCode == 0)
        #expect(json["type"] as? String == "SRV")
        #expect(json["ndots"] as? Int == 2)
        #expect(Self.attempts(json).first?.0 == "_http._tcp.web.")
    }

    @Test("no source given: the example cluster next to the binary, answered in-process by the kubernetes plugin")
    func exampleCluster() throws {
        let (code, output) = try runClusterDNS(["simulate", "web-app", "--namespace", "production"])
        #expect(code == 0)
        #expect(output.contains("answers: in-process (manifests "))
        #expect(output.contains("resolved: web-app.production.svc.cluster.local. (name 1 of 1 tried)"))
        #expect(output.contains("answer: 10.96.0.20, fd00:10:96::20"))

        let (_, jsonOutput) = try runClusterDNS(["simulate", "api.example.com", "--namespace", "production", "--json"])
        let json = try Self.json(jsonOutput)
        let sent = Self.attempts(json)
        #expect(sent.count == 8)
        #expect(sent.prefix(6).allSatisfy { $0.2 == "NXDOMAIN" })
        #expect(json["assumed_upstream"] as? Bool == true)
        #expect(json["wasted_count"] as? Int == 6)

        let (failed, musl) = try runClusterDNS(["simulate", "postgres-2.postgres-headless", "--namespace", "production",
                                               "--resolver", "musl", "--type", "A"])
        #expect(failed == 3)
        #expect(musl.contains("1  postgres-2.postgres-headless.production.svc.cluster.local.  A     NXDOMAIN"))
        #expect(musl.contains("failed: EAI_NONAME"))
    }

    @Test("--resolv-conf and --search: the file's settings, the list replaced")
    func resolvConf() throws {
        let server = try ServerProcess(corefile: ".:{PORT} {\n    whoami\n}\n")
        let file = Self.fixtures.appendingPathComponent("resolv/nodelocal.conf").path
        let (_, output) = try runClusterDNS(["simulate", "db", "--type", "A", "--resolv-conf", file,
                                             "--search", "a.example b.example", "--server", "127.0.0.1:\(server.port)", "--json"])
        let json = try Self.json(output)
        #expect(json["search"] as? [String] == ["a.example", "b.example"])
        #expect(json["timeout"] as? Int == 1)
        #expect(json["options"] as? [String] == ["single-request-reopen"])
        #expect(Self.attempts(json).map(\.0) == ["db.a.example.", "db.b.example.", "db."])
    }

    @Test("--from-log: per-client and overall search-path cost from a CoreDNS query log")
    func fromLog() throws {
        let log = Self.fixtures.appendingPathComponent("logs/coredns-log.txt").path
        let (code, output) = try runClusterDNS(["simulate", "--from-log", log])
        #expect(code == 0)
        #expect(output.contains("17 queries from 3 clients"))
        #expect(output.contains("autopath would have saved: 6 queries"))
        let (_, jsonOutput) = try runClusterDNS(["simulate", "--from-log", log, "--json"])
        let json = try Self.json(jsonOutput)
        #expect(json["failed_expansions"] as? Int == 11)
    }

    @Test("bad input is refused with a message and exit status 1, before anything is sent")
    func badInput() throws {
        let (noName, message) = try runClusterDNS(["simulate"])
        #expect(noName != 0)
        #expect(message.contains("give a NAME to simulate, or --from-log FILE"))
        let (badServer, serverMessage) = try runClusterDNS(["simulate", "x", "--server", "kube-dns.kube-system"])
        #expect(badServer != 0)
        #expect(serverMessage.contains("is not IP, IPv4:PORT or [IPv6]:PORT"))
        let (badResolver, _) = try runClusterDNS(["simulate", "x", "--resolver", "bionic"])
        #expect(badResolver != 0)
    }
}
