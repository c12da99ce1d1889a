import DNSWire
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `cache` in front of `forward`, in the real binary, against real upstreams on loopback: NSD
/// (a well-behaved authority) and the scripted upstream the forward tests use, which counts what
/// reaches it and can fail on command. One worker, so every query meets the same cache.
@Suite(.serialized) struct CacheForwardTests {
    static let marker = IPv4Address(10, 0, 0, 1)

    static func client(_ server: ServerProcess) -> DNSTestClient {
        var client = server.client
        client.timeout = .seconds(10)
        return client
    }

    @Test("an NSD answer is cached: its TTL counts down and NSD's negative answer is cached with its SOA")
    func nsd() throws {
        let nsd = try NSDProcess(zones: ["example.test": NSDProcess.exampleZone])
        let server = try ServerProcess(corefile: ".:{PORT} {\n    cache\n    forward . \(nsd.address)\n}\n", workers: 1)
        let client = Self.client(server)
        let first = try client.query("www.example.test.", .a)
        #expect(first.answers.first?.ttl == 300)
        let negative = try client.query("nope.example.test.", .a)
        #expect(negative.rcode == .nameError)
        #expect(negative.authorities.first?.type == .soa)
        let negativeTTL = try #require(negative.authorities.first?.ttl)
        usleep(1_300_000)
        let second = try client.query("WWW.example.test.", .a)
        let ttl = try #require(second.answers.first?.ttl)
        #expect(ttl == 299 || ttl == 298)
        #expect(second.questions.first?.name.exactlyEquals("WWW.example.test.") == true)
        let negativeAgain = try client.query("nope.example.test.", .a)
        #expect(negativeAgain.rcode == .nameError)
        #expect((negativeAgain.authorities.first?.ttl ?? 0) < negativeTTL)
    }

    @Test("the upstream is asked once per name until the entry expires")
    func upstreamAskedOnce() throws {
        let upstream = try ScriptedUpstream(marker: Self.marker)
        let server = try ServerProcess(corefile: ".:{PORT} {\n    cache\n    forward . \(upstream.address)\n}\n", workers: 1)
        let client = Self.client(server)
        for i in 0..<5 {
            let reply = try client.query("once.example.", .a, id: UInt16(100 + i))
            #expect(reply.header.id == UInt16(100 + i))
            #expect(reply.answers.first?.rdata == .a(Self.marker))
        }
        _ = try client.queryTCP("once.example.", .a)
        #expect(upstream.received(named: "once.example.").count == 1)
        // NXDOMAIN without an SOA cannot be cached (no negative TTL): every query goes upstream.
        upstream.mode = .rcode(.nameError)
        _ = try client.query("missing.example.", .a)
        _ = try client.query("missing.example.", .a)
        #expect(upstream.received(named: "missing.example.").count == 2)
    }

    @Test("an upstream SERVFAIL is cached for the servfail duration")
    func servfail() throws {
        let upstream = try ScriptedUpstream(marker: Self.marker, mode: .rcode(.serverFailure))
        let server = try ServerProcess(corefile: ".:{PORT} {\n    cache\n    forward . \(upstream.address)\n}\n", workers: 1)
        let client = Self.client(server)
        #expect(try client.query("fail.example.", .a).rcode == .serverFailure)
        #expect(try client.query("fail.example.", .a).rcode == .serverFailure)
        #expect(upstream.received(named: "fail.example.").count == 1)
    }

    @Test("prefetch: a popular name near expiry is refreshed upstream while clients get the cached answer")
    func prefetch() throws {
        let upstream = try ScriptedUpstream(marker: Self.marker)
        let server = try ServerProcess(corefile: """
            .:{PORT} {
                cache 10 {
                    prefetch 2 1m 90%
                }
                forward . \(upstream.address)
            }
            """, workers: 1)
        let client = Self.client(server)
        _ = try client.query("hot.example.", .a)              // miss: stored for 10 s
        _ = try client.query("hot.example.", .a)              // hit 1
        usleep(1_300_000)
        let during = try client.query("hot.example.", .a)     // hit 2, 8 or 9 s left ≤ 90 %: prefetch
        #expect((during.answers.first?.ttl ?? 10) < 10)
        // The refreshed entry replaces the old one once the upstream's reply is in (a few ms).
        #expect(try ServerProcess.eventually(timeout: .seconds(5)) {
            try client.query("hot.example.", .a).answers.first?.ttl == 10
        })
        #expect(upstream.received(named: "hot.example.").count == 2)
    }

    @Test("serve_stale: with the upstream gone an expired entry is served at once with TTL 0")
    func serveStaleImmediate() throws {
        let upstream = try ScriptedUpstream(marker: Self.marker)
        let server = try ServerProcess(corefile: """
            .:{PORT} {
                cache 2 {
                    serve_stale 1h
                }
                forward . \(upstream.address)
            }
            """, workers: 1)
        let client = Self.client(server)
        #expect(try client.query("stale.example.", .a).answers.first?.ttl == 2)
        upstream.mode = .drop
        usleep(2_300_000)
        // `immediate`: answered from the stale entry, not after forward gives up on the upstream.
        let stale = try client.query("stale.example.", .a)
        #expect(stale.rcode == .noError)
        #expect(stale.answers.first?.rdata == .a(Self.marker))
        #expect(stale.answers.first?.ttl == 0)
        // The background refresh reached the (silent) upstream.
        #expect(ServerProcess.eventually(timeout: .seconds(3)) { upstream.received(named: "stale.example.").count >= 2 })
    }

    @Test("serve_stale verify: the upstream is asked first, the stale entry answers when it fails")
    func serveStaleVerify() throws {
        let upstream = try ScriptedUpstream(marker: Self.marker)
        let server = try ServerProcess(corefile: """
            .:{PORT} {
                cache 2 {
                    serve_stale 1h verify
                }
                forward . \(upstream.address)
            }
            """, workers: 1)
        let client = Self.client(server)
        _ = try client.query("verify.example.", .a)
        upstream.mode = .rcode(.serverFailure)
        usleep(2_300_000)
        let stale = try client.query("verify.example.", .a)
        #expect(stale.rcode == .noError)
        #expect(stale.answers.first?.ttl == 0)
        #expect(upstream.received(named: "verify.example.").count == 2)
        upstream.mode = .answer
        let fresh = try client.query("verify.example.", .a)
        #expect(fresh.answers.first?.ttl == 2)
        #expect(upstream.received(named: "verify.example.").count == 3)
    }

    @Test("a large answer cached from the TCP retry is cut with TC for UDP clients without asking upstream")
    func truncation() throws {
        let upstream = try ScriptedUpstream(marker: Self.marker)
        let server = try ServerProcess(corefile: ".:{PORT} {\n    cache\n    forward . \(upstream.address)\n}\n", workers: 1)
        let client = Self.client(server)
        let udp = try client.query("big.example.", .txt)
        #expect(udp.header.truncated)                          // not cached: truncated
        let tcp = try client.queryTCP("big.example.", .txt)
        #expect(tcp.answers.count == 40)
        let asked = upstream.received(named: "big.example.").count
        let again = try client.query("big.example.", .txt)
        #expect(again.header.truncated)
        #expect(again.answers.isEmpty)                         // one RRset of 4 KiB: nothing fits
        let full = try client.queryTCP("big.example.", .txt)
        #expect(full.answers.count == 40)
        #expect(upstream.received(named: "big.example.").count == asked)
    }
}
