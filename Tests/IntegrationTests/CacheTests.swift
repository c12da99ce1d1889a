import DNSWire
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `cache` in the real binary, with `whoami` behind it: its answer carries the client's source
/// port, so a reply showing an earlier client's port came from the cache. The workers share one
/// store; most tests run one worker, and `sharedAcrossWorkers` checks the sharing. TTL decay of upstream answers, negative caching,
/// prefetch and serve_stale against real upstreams are in CacheForwardTests.
@Suite(.serialized) struct CacheIntegrationTests {
    /// The source port whoami reported (SRV in the additional section).
    static func reportedPort(_ message: Message) -> UInt16? {
        for record in message.additionals {
            if case .srv(_, _, let port, _) = record.rdata { return port }
        }
        return nil
    }

    @Test("a second client gets the first client's answer from the cache, with the TTL counting down")
    func hitAndDecay() throws {
        let server = try ServerProcess(corefile: ".:{PORT} {\n    cache 30\n    whoami\n}\n", workers: 1)
        let first = try server.client.query("cached.example.", .a, id: 1)
        let firstPort = try #require(Self.reportedPort(first))
        // whoami answers with TTL 0; the cache raises it to its minimum of 5 s and keeps it that long.
        #expect(first.additionals.allSatisfy { $0.ttl == 5 })
        let second = try server.client.query("CACHED.example.", .a, id: 2)
        #expect(second.header.id == 2)
        #expect(second.header.authoritative)
        #expect(second.questions.first?.name.exactlyEquals("CACHED.example.") == true)
        #expect(Self.reportedPort(second) == firstPort)
        usleep(1_200_000)
        let later = try server.client.query("cached.example.", .a, id: 3)
        #expect(Self.reportedPort(later) == firstPort)
        #expect(later.additionals.allSatisfy { $0.ttl == 4 || $0.ttl == 3 })
        // Over TCP too: the same entry answers.
        let tcp = try server.client.queryTCP("cached.example.", .a)
        #expect(Self.reportedPort(tcp) == firstPort)
    }

    @Test("with several workers, every worker answers from the entry one of them fetched (one shared store)")
    func sharedAcrossWorkers() throws {
        let server = try ServerProcess(corefile: ".:{PORT} {\n    cache 30\n    whoami\n}\n", workers: 4)
        let first = try server.client.query("shared.example.", .a, id: 1)
        let firstPort = try #require(Self.reportedPort(first))
        // Each query comes from a new socket, so a new source port: SO_REUSEPORT spreads them
        // over the 4 workers by their 4-tuple hash. With a store per worker, each of the other
        // workers would ask whoami itself (its port in the answer); the chance that 31 queries
        // all land on the first one is 4^-31. Over TCP as well: new connections spread the same way.
        for id in 2...32 {
            let reply = try server.client.query("shared.example.", .a, id: UInt16(id))
            #expect(Self.reportedPort(reply) == firstPort)
        }
        for _ in 0..<8 {
            #expect(Self.reportedPort(try server.client.queryTCP("shared.example.", .a)) == firstPort)
        }
    }

    @Test("DO-bit queries are cached apart from plain ones")
    func dnssecOKApart() throws {
        let server = try ServerProcess(corefile: ".:{PORT} {\n    cache\n    whoami\n}\n", workers: 1)
        let plain = try server.client.query("do.example.", .a)
        let withDO = try server.client.query("do.example.", .a, edns: EDNS(udpPayloadSize: 1232, dnssecOK: true))
        #expect(Self.reportedPort(withDO) != Self.reportedPort(plain))
        #expect(withDO.edns?.dnssecOK == true)
        let again = try server.client.query("do.example.", .a, edns: EDNS(udpPayloadSize: 1232, dnssecOK: true))
        #expect(Self.reportedPort(again) == Self.reportedPort(withDO))
    }

    @Test("the kubeadm cache block runs unchanged: cluster.local passes through, other names are cached")
    func kubeadmBlock() throws {
        let server = try ServerProcess(corefile: """
            .:{PORT} {
                cache 30 {
                   disable success cluster.local
                   disable denial cluster.local
                }
                whoami
            }
            """, workers: 1)
        let a = try server.client.query("kube-dns.kube-system.svc.cluster.local.", .a)
        let b = try server.client.query("kube-dns.kube-system.svc.cluster.local.", .a)
        #expect(Self.reportedPort(a) != Self.reportedPort(b))
        let c = try server.client.query("example.com.", .a)
        let d = try server.client.query("example.com.", .a)
        #expect(Self.reportedPort(c) == Self.reportedPort(d))
    }

    @Test("clusterdns check accepts every cache option and reports errors at their line")
    func check() throws {
        let good = try checkCorefile("""
            .:53 {
                cache 300 example.org {
                    success 20000 600 10
                    denial 5000 60
                    prefetch 5 2m 20%
                    serve_stale 1h verify 0 30s 10s
                    servfail 10s
                    disable denial internal.example.org
                    keepttl
                }
                whoami
            }
            """)
        #expect(good.status == 0, "\(good.output)")
        let bad = try checkCorefile(".:53 {\n    whoami\n    cache {\n        prefetch 5 2m 95%\n    }\n}\n")
        #expect(bad.status != 0)
        #expect(bad.output.contains("Corefile:4: plugin/cache: prefetch: 95 is out of range"), "\(bad.output)")
    }
}

/// Runs `clusterdns check` on a Corefile written to a temporary directory.
private func checkCorefile(_ corefile: String) throws -> (status: Int32, output: String) {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("clusterdns-check-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let file = dir.appendingPathComponent("Corefile")
    try corefile.write(to: file, atomically: true, encoding: .utf8)
    let (status, output) = try runClusterDNS(["check", "--conf", file.path])
    return (status, output)
}
