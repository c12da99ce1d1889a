import DNSWire
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A real NSD (authoritative, from Debian) started by a test on 127.0.0.1 and a free port, with
/// zones the test writes. Everything lives in a temporary directory; nothing touches system
/// paths (no chroot, user, pidfile or database there). Stopped by its PID when the test ends.
final class NSDProcess {
    let directory: URL
    let port: UInt16
    let process = Process()

    /// - Parameter zones: zone name (`example.test`) → zone file text.
    init(zones: [String: String]) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("clusterdns-nsd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        port = ServerProcess.freePort()
        let dir = directory.path
        var config = """
        server:
            ip-address: 127.0.0.1@\(port)
            server-count: 1
            zonesdir: "\(dir)"
            pidfile: "\(dir)/nsd.pid"
            database: ""
            username: ""
            chroot: ""
            xfrdfile: "\(dir)/xfrd.state"
            zonelistfile: "\(dir)/zone.list"
            logfile: "\(dir)/nsd.log"
            verbosity: 0
            rrl-ratelimit: 0
        remote-control:
            control-enable: no

        """
        for (name, text) in zones {
            try text.write(to: directory.appendingPathComponent("\(name).zone"), atomically: true, encoding: .utf8)
            config += "zone:\n    name: \(name)\n    zonefile: \(name).zone\n"
        }
        let configFile = directory.appendingPathComponent("nsd.conf")
        try config.write(to: configFile, atomically: true, encoding: .utf8)
        process.executableURL = URL(fileURLWithPath: NSDProcess.binary)
        process.arguments = ["-d", "-c", configFile.path]
        let log = directory.appendingPathComponent("out.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        try waitUntilAnswering(zone: zones.keys.first ?? ".")
    }

    static var binary: String {
        for candidate in ["/usr/sbin/nsd", "/usr/bin/nsd", "/usr/local/sbin/nsd"] where FileManager.default.isExecutableFile(atPath: candidate) {
            return candidate
        }
        return "nsd"
    }

    var address: String { "127.0.0.1:\(port)" }
    var client: DNSTestClient {
        var client = DNSTestClient(port: port)
        client.timeout = .milliseconds(500)
        return client
    }

    private func waitUntilAnswering(zone: String) throws {
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            if let reply = try? client.query(zone.hasSuffix(".") ? zone : zone + ".", .soa), reply.rcode == .noError { return }
            if !process.isRunning {
                let log = (try? String(contentsOf: directory.appendingPathComponent("out.log"), encoding: .utf8)) ?? ""
                throw ScriptedUpstream.UpstreamError("nsd exited: \(log)")
            }
            usleep(50_000)
        }
        throw ScriptedUpstream.UpstreamError("nsd did not answer on port \(port)")
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGTERM)
            let deadline = ContinuousClock.now + .seconds(5)
            while process.isRunning && ContinuousClock.now < deadline { usleep(20_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        try? FileManager.default.removeItem(at: directory)
    }

    /// A small zone for tests: `www` A 192.0.2.1, `mail` MX, a CNAME, and `big` TXT records
    /// that together exceed 512 octets.
    /// The configuration of an NSD on 127.0.0.2:53 inside a test's own network namespace, serving
    /// `example.test` from `zones`, with every file it writes (pid, state, logs, transfer
    /// temporaries) under `state`: NSD's default `xfrdir` is /tmp/nsd-xfr-<pid>, and pids repeat
    /// across PID namespaces, so a leftover directory of another run (or another uid) would stop it.
    static func isolatedConfig(zones: String, state: String) -> String {
        """
        server:
            ip-address: 127.0.0.2@53
            reuseport: yes
            server-count: 2
            zonesdir: "\(zones)"
            pidfile: "\(state)/nsd.pid"
            database: ""
            username: ""
            chroot: ""
            xfrdfile: "\(state)/xfrd.state"
            xfrdir: "\(state)"
            zonelistfile: "\(state)/zone.list"
            logfile: "\(state)/nsd.log"
            verbosity: 0
        remote-control:
            control-enable: no
        zone:
            name: example.test
            zonefile: example.test.zone

        """
    }

    static let exampleZone: String = {
        var text = """
        $ORIGIN example.test.
        $TTL 300
        @    IN SOA ns.example.test. admin.example.test. 1 3600 600 86400 300
        @    IN NS  ns.example.test.
        ns   IN A   127.0.0.1
        www  IN A   192.0.2.1
        alias IN CNAME www.example.test.

        """
        for i in 0..<20 {
            text += "big IN TXT \"\(String(repeating: "t", count: 60))\(i)\"\n"
        }
        return text
    }()
}
