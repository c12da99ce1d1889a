import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `Zones/Corefile`, the file `make serve` runs, served exactly as `make serve` serves it
/// (`clusterdns serve --conf Zones/Corefile` from the repository root, port 53), and the README's
/// dig transcripts asked of it.
///
/// Port 53 and the Corefile's `forward . /etc/resolv.conf` need a machine of their own: the test
/// runs in fresh network, mount and PID namespaces (`unshare`), where 127.0.0.1:53 is free,
/// /etc/resolv.conf is bind-mounted to name 192.0.2.53 (a documentation address: the namespace
/// has only loopback, so nothing leaves it and forwarded names fail), and everything the script
/// starts ends with it. (A loopback upstream such as 127.0.0.2 would be this very server, which
/// listens on every address: `loop` rightly stops it.)
@Suite(.serialized) struct ZonesCorefileTests {
    static var canIsolate: Bool { KubeadmCorefileTests.canIsolate }

    /// Serves Zones/Corefile in the namespace, runs `commands` (shell text) one by one and
    /// returns each one's output, in order, and the server's log.
    static func serve(running commands: [String]) throws -> (outputs: [String], log: String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("zones-corefile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let marker = "=====8<====="
        var script = """
            set -u
            ip link set lo up
            echo "nameserver 192.0.2.53" > \(dir.path)/resolv.conf
            mount --bind \(dir.path)/resolv.conf /etc/resolv.conf
            cd \(Transcript.root.path)
            "\(ServerProcess.binary)" serve --conf Zones/Corefile > \(dir.path)/server.log 2>&1 &
            SERVER=$!
            for i in $(seq 300); do grep -q "ClusterDNS serving" \(dir.path)/server.log && break; sleep 0.1; done

            """
        for command in commands { script += "\(command)\necho '\(marker)'\n" }
        script += "kill -TERM $SERVER\nwait $SERVER\necho \"exit: $?\"\n"
        let text = try IsolatedScript.run(script, in: dir, timeout: .seconds(120))
        let log = (try? String(contentsOf: dir.appendingPathComponent("server.log"), encoding: .utf8)) ?? ""
        var parts = text.components(separatedBy: marker + "\n")
        let tail = parts.removeLast()
        return (parts + [tail], log)
    }

    static func normalise(_ line: String) -> String {
        var text = Transcript.replace(line, #"id: \d+"#, "id: N")
        // The SOA serial is the registry's, which moves with every change.
        text = Transcript.replace(text, #"(hostmaster\.\S+\s+)\d+"#, "$1SERIAL")
        return Transcript.collapse(text)
    }

    @Test("make serve's Corefile loads unchanged and answers cluster names, the example zone, and NXDOMAIN", .enabled(if: canIsolate))
    func servesZonesCorefile() throws {
        let (outputs, log) = try Self.serve(running: [
            "dig @127.0.0.1 web-app.production.svc.cluster.local +short",
            "dig @127.0.0.1 kubernetes.default.svc.cluster.local +short",
            "dig @127.0.0.1 www.example.test +tcp +short | sort",
            "dig @127.0.0.1 nope.production.svc.cluster.local | grep -o 'status: [A-Z]*'",
        ])
        #expect(outputs.count == 5, "\(outputs)\n\(log)")
        guard outputs.count == 5 else { return }
        #expect(outputs[0] == "10.96.0.20\n", "\(log)")
        #expect(outputs[1] == "10.96.0.1\n", "\(log)")
        #expect(outputs[2] == "192.0.2.80\n192.0.2.81\n192.0.2.82\n", "\(log)")
        #expect(outputs[3] == "status: NXDOMAIN\n", "\(log)")
        #expect(outputs[4].contains("exit: 0"), "\(log)")
        // The only error is `loop`'s probe, which cannot reach the unreachable upstream.
        #expect(!log.contains("warning") && !log.contains("critical"), "\(log)")
    }

    @Test("the README's dig transcripts are what the server of make serve answers", .enabled(if: canIsolate))
    func readmeDigTranscripts() throws {
        let transcripts = try Transcript.all(in: "README.md").filter { $0.command.hasPrefix("dig @127.0.0.1 ") }
        #expect(transcripts.count >= 10)
        let (outputs, log) = try Self.serve(running: transcripts.map(\.command))
        #expect(outputs.count == transcripts.count + 1, "\(outputs)\n\(log)")
        for (t, output) in zip(transcripts, outputs) {
            // `loadbalance` shuffles records, so lines compare as a multiset.
            #expect(t.matches(output, normalise: Self.normalise, anyOrder: true), "\(t)\n--- the server answered:\n\(output)")
        }
    }
}
