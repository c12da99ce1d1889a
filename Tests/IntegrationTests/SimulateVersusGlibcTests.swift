import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The glibc model checked against the real glibc of this machine: `getent ahosts NAME`
/// (getaddrinfo, AF_UNSPEC) and `clusterdns simulate NAME` run against the same dnsmasq, and
/// the queries dnsmasq logs for the first must be exactly the queries the second reports.
///
/// Everything runs inside a private network and mount namespace (`unshare --net --mount`):
/// only its own loopback exists, and its /etc/resolv.conf is a bind mount of the test's file,
/// so no query can leave the namespace. Needs root, unshare, ip, dnsmasq, python3 and getent;
/// skipped otherwise.
@Suite(.serialized, .enabled(if: glibcCrossCheckAvailable, "needs root, unshare, ip, dnsmasq, python3 and getent"))
struct SimulateVersusGlibcTests {
    static let dnsmasqConf = """
        port=53
        listen-address=127.0.0.1
        bind-interfaces
        no-resolv
        no-hosts
        no-poll
        log-queries
        local=/cluster.local/
        local=/example.com/
        host-record=web-app.production.svc.cluster.local,10.96.0.20
        host-record=api.example.com,93.184.216.34
        txt-record=db.production.svc.cluster.local,"migrated"
        host-record=db.cluster.local,10.96.7.7

        """

    /// The DNS server inside the namespace.
    enum Server {
        /// dnsmasq with `dnsmasqConf`.
        case dnsmasq
        /// Tests/Fixtures/simulator/stub/responder.py with these rules (SERVFAIL, drops…).
        case responder([String])
    }

    static let responder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/simulator/stub/responder.py").path

    /// Runs `commands` (shell) in a fresh namespace with `resolvConf` as /etc/resolv.conf and
    /// `server` on its loopback; returns the "name TYPE" of every query the server received, in
    /// order, and the commands' output.
    static func inNamespace(resolvConf: String, server: Server = .dnsmasq, _ commands: String) throws -> (queries: [String], output: String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("libc-check-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try resolvConf.write(to: dir.appendingPathComponent("resolv.conf"), atomically: true, encoding: .utf8)
        try dnsmasqConf.write(to: dir.appendingPathComponent("dnsmasq.conf"), atomically: true, encoding: .utf8)
        let start: String
        switch server {
        case .dnsmasq:
            start = "dnsmasq --conf-file=\(dir.path)/dnsmasq.conf --pid-file=\(dir.path)/pid --log-facility=\(dir.path)/log"
        case .responder(let rules):
            let quoted = rules.map { "'\($0)'" }.joined(separator: " ")
            start = "python3 \(responder) \(dir.path)/queries \(quoted) & echo $! > \(dir.path)/pid\n"
                + "for i in $(seq 100); do [ -e \(dir.path)/queries.ready ] && break; sleep 0.1; done"
        }
        let script = """
            set -e
            ip link set lo up
            mount --bind \(dir.path)/resolv.conf /etc/resolv.conf
            \(start)
            sleep 0.5
            set +e
            \(commands)
            kill $(cat \(dir.path)/pid)

            """
        try script.write(to: dir.appendingPathComponent("run.sh"), atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        process.arguments = ["--net", "--mount", "/bin/sh", dir.appendingPathComponent("run.sh").path]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        if case .responder = server {
            let log = (try? String(contentsOf: dir.appendingPathComponent("queries"), encoding: .utf8)) ?? ""
            return (log.split(separator: "\n").map(String.init), output)
        }
        let log = (try? String(contentsOf: dir.appendingPathComponent("log"), encoding: .utf8)) ?? ""
        // "query[AAAA] db.svc.cluster.local from 127.0.0.1"
        let queries = log.split(separator: "\n").compactMap { line -> String? in
            guard let open = line.range(of: "query["), let close = line[open.upperBound...].firstIndex(of: "]") else { return nil }
            let type = line[open.upperBound..<close]
            let rest = line[line.index(after: close)...].split(separator: " ")
            guard let name = rest.first else { return nil }
            return "\(name.lowercased()). \(type)"
        }
        return (queries, output)
    }

    /// The queries `clusterdns simulate --json` reports, as "name type".
    static func simulated(_ output: String) throws -> [String] {
        let start = try #require(output.firstIndex(of: "{"))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(output[start...].utf8)) as? [String: Any])
        return ((json["attempts"] as? [[String: Any]]) ?? []).map {
            "\((($0["qname"] as? String) ?? "").lowercased()) \(($0["qtype"] as? String) ?? "")"
        }
    }

    static let podResolvConf = """
        search production.svc.cluster.local svc.cluster.local cluster.local
        nameserver 127.0.0.1
        options ndots:5

        """

    @Test("NXDOMAIN, NODATA, A-only names, and a name found on the second search domain: the same queries as glibc",
          arguments: ["api.example.com", "db", "web-app.production", "nothere.example.com", "web-app"])
    func sameQueries(_ name: String) throws {
        let real = try Self.inNamespace(resolvConf: Self.podResolvConf, "getent ahosts \(name) > /dev/null")
        let simulatedRun = try Self.inNamespace(resolvConf: Self.podResolvConf, """
            \(ServerProcess.binary) simulate \(name) --namespace production --server 127.0.0.1:53 --json
            """)
        #expect(!real.queries.isEmpty, "\(real.output)")
        #expect(try Self.simulated(simulatedRun.output) == real.queries)
        // And the simulated queries really reached the server in that order.
        #expect(simulatedRun.queries == real.queries)
    }

    @Test("REFUSED on a search domain: glibc resends once, then abandons the list for the bare name — as simulated")
    func refusedStopsTheSearch() throws {
        let conf = """
            search production.svc.cluster.local elsewhere.test cluster.local
            nameserver 127.0.0.1
            options ndots:5

            """
        let real = try Self.inNamespace(resolvConf: conf, "getent ahosts db > /dev/null")
        let simulatedRun = try Self.inNamespace(resolvConf: conf, """
            \(ServerProcess.binary) simulate db --resolv-conf /etc/resolv.conf --server 127.0.0.1:53 --json
            """)
        #expect(real.queries.contains("db.elsewhere.test. A"))
        #expect(!real.queries.contains("db.cluster.local. A"))
        #expect(try Self.simulated(simulatedRun.output) == real.queries)
    }

    @Test("options single-request and ndots:2 give the same queries as glibc")
    func options() throws {
        let conf = """
            search production.svc.cluster.local svc.cluster.local cluster.local
            nameserver 127.0.0.1
            options ndots:2 single-request

            """
        for name in ["api.example.com", "db"] {
            let real = try Self.inNamespace(resolvConf: conf, "getent ahosts \(name) > /dev/null")
            let simulatedRun = try Self.inNamespace(resolvConf: conf, """
                \(ServerProcess.binary) simulate \(name) --resolv-conf /etc/resolv.conf --server 127.0.0.1:53 --json
                """)
            #expect(try Self.simulated(simulatedRun.output) == real.queries, "\(name)")
        }
    }
}

/// Root, and the tools the cross-check needs.
let glibcCrossCheckAvailable: Bool = {
    guard getuid() == 0 else { return false }
    return ["/usr/bin/unshare", "/usr/sbin/dnsmasq", "/usr/bin/getent", "/usr/bin/python3"].allSatisfy { FileManager.default.isExecutableFile(atPath: $0) }
        && (FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip") || FileManager.default.isExecutableFile(atPath: "/usr/bin/ip")
            || FileManager.default.isExecutableFile(atPath: "/sbin/ip") || FileManager.default.isExecutableFile(atPath: "/bin/ip"))
}()
