import DNSWire
import Testing
@testable import Plugins

/// The cache in a real query engine, in front of a scripted upstream that counts its calls.
final class CacheFixture {
    let cache: CacheHandler
    let upstream: ScriptedUpstream
    let harness: ChainHarness

    init(_ body: String = "cache", udpSize: UInt16 = 1232,
         answer: @escaping (DomainName, RecordType, Bool) -> Message? = { name, _, _ in
             Records.answer("\(name) 300 IN A 192.0.2.1")
         }) throws {
        cache = CacheHandler(config: try CorefileFixture.cache(body), workers: 1)
        upstream = ScriptedUpstream(answer: answer)
        harness = ChainHarness(handlers: [cache, upstream], names: ["cache", "upstream"], udpSize: udpSize)
    }

    /// Moves the cache's clock forward.
    func advance(seconds: UInt64) { cache.timeShift &+= seconds * 1_000_000_000 }

    func query(_ name: String, _ type: RecordType = .a, id: UInt16 = 0x1234, edns: EDNS? = EDNS(udpPayloadSize: 1232),
               checkingDisabled: Bool = false, authenticData: Bool = false, transport: Route.Transport = .udp) throws -> Message {
        try harness.query(name, type, id: id, edns: edns, checkingDisabled: checkingDisabled,
                          authenticData: authenticData, transport: transport)
    }

    func word(_ w: CacheCounters.Word) -> UInt64 { cache.counters.read(w) }

    /// Entries the cache's shared store of `kind` holds.
    func entries(_ kind: CacheHandler.Kind) -> UInt64 { UInt64(kind == .success ? cache.success.count : cache.denial.count) }
}

@Suite struct CacheHandlerTests {
    @Test("a second query is answered from the cache: same records, the upstream asked once")
    func hit() throws {
        let f = try CacheFixture()
        let first = try f.query("www.example.org.")
        let second = try f.query("www.example.org.", id: 777)
        #expect(f.upstream.calls == 1)
        #expect(second.header.id == 777)
        #expect(second.answers == first.answers)
        #expect(second.answers.first?.rdata == .a(IPv4Address(192, 0, 2, 1)))
        #expect(second.header.authoritative)      // CoreDNS sets AA on cached answers
        #expect(second.header.recursionAvailable)
        #expect(second.header.recursionDesired)
        #expect(second.edns?.udpPayloadSize == 1232)
        #expect(f.word(.requests) == 2 && f.word(.misses) == 1 && f.word(.hitsSuccess) == 1)
        #expect(f.entries(.success) == 1)
    }

    @Test("TTLs count down by whole seconds from the clamped duration, and keepttl keeps them")
    func ttlDecay() throws {
        let f = try CacheFixture()
        #expect(try f.query("a.example.").answers.first?.ttl == 300)
        f.advance(seconds: 1)
        #expect(try f.query("a.example.").answers.first?.ttl == 299)
        f.advance(seconds: 100)
        #expect(try f.query("a.example.").answers.first?.ttl == 199)
        f.advance(seconds: 199)
        _ = try f.query("a.example.")
        #expect(f.upstream.calls == 2)            // expired: fetched again

        let keep = try CacheFixture("cache {\n keepttl\n}")
        _ = try keep.query("a.example.")
        keep.advance(seconds: 120)
        #expect(try keep.query("a.example.").answers.first?.ttl == 300)
        #expect(keep.upstream.calls == 1)
    }

    @Test("every record takes the smallest TTL, clamped to the cache's maximum and minimum")
    func ttlClamp() throws {
        let f = try CacheFixture("cache 30") { name, _, _ in
            Records.answer("\(name) 3600 IN A 192.0.2.1", "\(name) 100 IN A 192.0.2.2",
                           authority: ["example. 7200 IN NS ns.example."], additional: ["ns.example. 50 IN A 192.0.2.53"])
        }
        let first = try f.query("x.example.")
        #expect((first.answers + first.authorities + first.additionals).allSatisfy { $0.ttl == 30 })
        let low = try CacheFixture { name, _, _ in Records.answer("\(name) 1 IN A 192.0.2.1") }
        #expect(try low.query("x.example.").answers.first?.ttl == 5)
        low.advance(seconds: 4)
        #expect(try low.query("x.example.").answers.first?.ttl == 1)
        #expect(low.upstream.calls == 1)
    }

    @Test("the client's question case and ID come back on a hit, also in owners that point to the question")
    func caseRestored() throws {
        let f = try CacheFixture()
        _ = try f.query("www.example.org.")
        let bytes = try ChainHarness.queryBytes("WwW.ExAmPlE.oRg.", .a, id: 4242)
        let reply = try #require(f.harness.exchangeRaw(bytes))
        let message = try Message(parsing: reply)
        #expect(message.header.id == 4242)
        #expect(message.questions.first?.name.exactlyEquals(DomainName("WwW.ExAmPlE.oRg.")) == true)
        #expect(message.answers.first?.name.exactlyEquals(DomainName("WwW.ExAmPlE.oRg.")) == true)
        #expect(f.upstream.calls == 1)
    }

    @Test("DO and CD answers are kept apart")
    func keyBits() throws {
        let f = try CacheFixture { name, _, dnssecOK in
            Records.answer("\(name) 300 IN A \(dnssecOK ? "192.0.2.2" : "192.0.2.1")")
        }
        _ = try f.query("k.example.")
        let withDO = try f.query("k.example.", edns: EDNS(udpPayloadSize: 1232, dnssecOK: true))
        #expect(withDO.answers.first?.rdata == .a(IPv4Address(192, 0, 2, 2)))
        #expect(withDO.edns?.dnssecOK == true)
        _ = try f.query("k.example.", checkingDisabled: true)
        #expect(f.upstream.calls == 3)
        let plain = try f.query("k.example.")
        #expect(plain.answers.first?.rdata == .a(IPv4Address(192, 0, 2, 1)))
        let cd = try f.query("k.example.", checkingDisabled: true)
        #expect(cd.header.checkingDisabled)
        #expect(f.upstream.calls == 3)
        // Type and class are part of the key too.
        _ = try f.query("k.example.", .aaaa)
        #expect(f.upstream.calls == 4)
    }

    @Test("a query without EDNS gets no OPT from the cache, one with EDNS gets one")
    func optEcho() throws {
        let f = try CacheFixture()
        _ = try f.query("o.example.")
        let bare = try f.query("o.example.", edns: nil)
        #expect(bare.edns == nil)
        #expect(bare.answers.count == 1)
        #expect(f.upstream.calls == 1)
    }

    @Test("the AD bit is stored but only shown to clients that set DO or AD")
    func adBit() throws {
        let f = try CacheFixture { name, _, _ in Records.answer("\(name) 300 IN A 192.0.2.1", authenticData: true) }
        let miss = try f.query("ad.example.")
        #expect(!miss.header.authenticData)
        #expect(!(try f.query("ad.example.")).header.authenticData)
        #expect(try f.query("ad.example.", authenticData: true).header.authenticData)
        #expect(f.upstream.calls == 1)
    }

    @Test("a large cached answer is cut at an RRset boundary with TC for a small client, whole over TCP")
    func truncation() throws {
        let f = try CacheFixture { name, _, _ in
            var lines = (1...40).map { "\(name) 300 IN A 192.0.2.\($0)" }
            lines += (1...10).map { "\(name) 300 IN TXT \"\(String(repeating: "x", count: 30))-\($0)\"" }
            return Records.answer().with(answers: Records.parse(lines))
        }
        let full = try f.query("big.example.", transport: .tcp)
        #expect(full.answers.count == 50)
        #expect(!full.header.truncated)
        let small = try f.query("big.example.", edns: nil)      // 512 octets
        #expect(small.header.truncated)
        #expect(small.answers.isEmpty)                      // 40 A records take 640 octets
        #expect(try #require(small.encoded()).count <= 512)
        let medium = try f.query("big.example.", edns: EDNS(udpPayloadSize: 800))
        #expect(medium.header.truncated)
        #expect(medium.answers.count == 40)                   // the A RRset whole, the TXT set dropped
        #expect(medium.answers.allSatisfy { $0.type == .a })
        #expect(f.upstream.calls == 1)
    }

    @Test("only additional records that do not fit are dropped without TC")
    func additionalDropped() throws {
        let f = try CacheFixture { name, _, _ in
            Records.answer("\(name) 300 IN NS ns1.example.",
                           additional: (1...60).map { "ns1.example. 300 IN AAAA 2001:db8::\($0)" })
        }
        _ = try f.query("add.example.", .ns, transport: .tcp)
        let small = try f.query("add.example.", .ns, edns: nil)
        #expect(!small.header.truncated)
        #expect(small.answers.count == 1)
        #expect(small.additionals.isEmpty)
        #expect(f.upstream.calls == 1)
    }

    @Test("NXDOMAIN with SOA is cached for min(record TTLs, SOA MINIMUM), clamped; without SOA it is not")
    func negative() throws {
        let f = try CacheFixture { name, _, _ in
            if name.description.hasPrefix("nosoa") { return Records.answer(rcode: .nameError) }
            return Records.answer(rcode: .nameError,
                                  authority: ["example.org. 900 IN SOA ns.example.org. host.example.org. 1 7200 3600 1209600 120"])
        }
        let first = try f.query("missing.example.org.")
        #expect(first.rcode == .nameError)
        #expect(first.authorities.first?.ttl == 120)
        f.advance(seconds: 20)
        let second = try f.query("missing.example.org.")
        #expect(second.rcode == .nameError)
        #expect(second.authorities.first?.ttl == 100)
        #expect(f.upstream.calls == 1)
        #expect(f.word(.hitsDenial) == 1)
        _ = try f.query("nosoa.example.org.")
        _ = try f.query("nosoa.example.org.")
        #expect(f.upstream.calls == 3)
    }

    @Test("NODATA (NOERROR, SOA, no answer) is cached as a denial")
    func noData() throws {
        let f = try CacheFixture { _, _, _ in Records.answer(authority: [Records.soa]) }
        _ = try f.query("nodata.example.org.", .aaaa)
        let again = try f.query("nodata.example.org.", .aaaa)
        #expect(again.rcode == .noError && again.answers.isEmpty && again.authorities.count == 1)
        #expect(f.word(.hitsDenial) == 1)
        #expect(f.entries(.denial) == 1 && f.entries(.success) == 0)
    }

    @Test("SERVFAIL is cached for the servfail duration, and not at all with servfail 0")
    func servfail() throws {
        let f = try CacheFixture { _, _, _ in Records.answer(rcode: .serverFailure) }
        _ = try f.query("sf.example.")
        _ = try f.query("sf.example.")
        #expect(f.upstream.calls == 1)
        f.advance(seconds: 5)
        _ = try f.query("sf.example.")
        #expect(f.upstream.calls == 2)
        let off = try CacheFixture("cache {\n servfail 0\n}") { _, _, _ in Records.answer(rcode: .serverFailure) }
        _ = try off.query("sf.example.")
        _ = try off.query("sf.example.")
        #expect(off.upstream.calls == 2)
    }

    @Test("the engine's own SERVFAIL (no plugin answered) is not cached, REFUSED neither")
    func notCached() throws {
        let none = try CacheFixture { _, _, _ in nil }
        #expect(try none.query("x.example.").rcode == .serverFailure)
        _ = try none.query("x.example.")
        #expect(none.upstream.calls == 2)
        let refused = try CacheFixture { _, _, _ in Records.answer(rcode: .refused) }
        _ = try refused.query("x.example.")
        _ = try refused.query("x.example.")
        #expect(refused.upstream.calls == 2)
        #expect(refused.entries(.denial) == 0)
    }

    @Test("the kubeadm block passes cluster.local through uncached and caches everything else")
    func kubeadm() throws {
        let f = try CacheFixture("""
            cache 30 {
               disable success cluster.local
               disable denial cluster.local
            }
            """) { name, _, _ in
            if name.description.hasPrefix("nx") {
                return Records.answer(rcode: .nameError,
                                      authority: ["cluster.local. 30 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 1 7200 1800 86400 30"])
            }
            return Records.answer("\(name) 5 IN A 10.96.0.10")
        }
        _ = try f.query("kube-dns.kube-system.svc.cluster.local.")
        _ = try f.query("kube-dns.kube-system.svc.cluster.local.")
        _ = try f.query("nx.default.svc.cluster.local.")
        _ = try f.query("nx.default.svc.cluster.local.")
        #expect(f.upstream.calls == 4)
        _ = try f.query("www.example.com.")
        let hit = try f.query("www.example.com.")
        #expect(f.upstream.calls == 5)
        #expect(hit.answers.first?.ttl == 5)
        // Not cached, but the TTL of a passing answer is clamped as CoreDNS does (5 stays 5).
        #expect(try f.query("kube-dns.kube-system.svc.cluster.local.").answers.first?.ttl == 5)
    }

    @Test("under the kubeadm block a cluster.local answer is shaped as CoreDNS shapes it: counted as a miss, TTLs set to the capped minimum, AD cleared, a mismatch dropped")
    func kubeadmShaping() throws {
        let f = try CacheFixture("""
            cache 30 {
               disable success cluster.local
               disable denial cluster.local
            }
            """) { name, _, _ in
            if name.description.hasPrefix("nx") {
                // RFC 2308: the SOA's MINIMUM (10) bounds the negative TTL under the SOA's TTL (60).
                return Records.answer(rcode: .nameError,
                                      authority: ["cluster.local. 60 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 1 7200 1800 86400 10"])
            }
            return Records.answer("\(name) 90 IN A 10.96.0.10", "\(name) 45 IN A 10.96.0.11",
                                  additional: ["extra.cluster.local. 120 IN A 10.96.0.12"], authenticData: true)
        }
        let a = try f.query("web.default.svc.cluster.local.")
        #expect(a.answers.map(\.ttl) == [30, 30])
        #expect(a.additionals.map(\.ttl) == [30])
        #expect(!a.header.authenticData)
        let nx = try f.query("nx.default.svc.cluster.local.")
        #expect(nx.rcode == .nameError)
        #expect(nx.authorities.map(\.ttl) == [10])
        _ = try f.query("web.default.svc.cluster.local.")
        #expect(f.upstream.calls == 3)
        #expect(f.word(.requests) == 3)
        #expect(f.word(.misses) == 3)
        #expect(f.entries(.success) == 0 && f.entries(.denial) == 0)

        let wrong = WrongQuestionUpstream()
        let g = try CacheFixture("""
            cache 30 {
               disable success cluster.local
               disable denial cluster.local
            }
            """)
        let harness = ChainHarness(handlers: [g.cache, wrong], names: ["cache", "wrong"])
        _ = try harness.query("asked.cluster.local.", .a)
        #expect(g.word(.drops) == 1)
        #expect(g.entries(.success) == 0)
    }

    @Test("queries outside the cache's zones pass through untouched")
    func outsideZones() throws {
        let f = try CacheFixture("cache example.org") { name, _, _ in Records.answer("\(name) 1 IN A 192.0.2.1") }
        let out = try f.query("www.example.net.")
        _ = try f.query("www.example.net.")
        #expect(f.upstream.calls == 2)
        #expect(out.answers.first?.ttl == 1)                  // not clamped: the cache never saw it
        _ = try f.query("www.example.org.")
        _ = try f.query("WWW.EXAMPLE.ORG.")
        #expect(f.upstream.calls == 3)
        #expect(f.word(.requests) == 2)
    }

    @Test("a reply whose question does not match is not cached and counts as a drop")
    func mismatch() throws {
        let f = try CacheFixture()
        let wrong = WrongQuestionUpstream()
        let harness = ChainHarness(handlers: [f.cache, wrong], names: ["cache", "wrong"])
        _ = try harness.query("asked.example.", .a)
        _ = try harness.query("asked.example.", .a)
        #expect(wrong.calls == 2)
        #expect(f.word(.drops) == 2)
    }

    @Test("an answer whose CNAME chain does not reach the asked type is not cached without an SOA")
    func danglingChain() throws {
        let f = try CacheFixture { _, _, _ in
            Records.answer("alias.example.org. 300 IN CNAME target1.example.net.",
                           "target1.example.net. 300 IN CNAME target2.example.net.")
        }
        _ = try f.query("alias.example.org.")
        _ = try f.query("alias.example.org.")
        #expect(f.upstream.calls == 2)
        let complete = try CacheFixture { _, _, _ in
            Records.answer("alias.example.org. 300 IN CNAME target1.example.net.",
                           "target1.example.net. 300 IN A 192.0.2.7")
        }
        _ = try complete.query("alias.example.org.")
        let hit = try complete.query("ALIAS.example.org.")
        #expect(complete.upstream.calls == 1)
        #expect(hit.answers.count == 2)
    }

    @Test("prefetch: a popular entry near expiry is refreshed in the background while the client gets the cached answer")
    func prefetch() throws {
        var serial = 0
        let f = try CacheFixture("cache {\n prefetch 3 10m 20%\n}") { name, _, _ in
            serial += 1
            return Records.answer("\(name) 100 IN A 192.0.2.\(serial)")
        }
        _ = try f.query("p.example.")                          // miss: serial 1
        for _ in 0..<3 { _ = try f.query("p.example.") }      // popular, TTL far from expiry
        #expect(f.upstream.calls == 1)
        f.advance(seconds: 81)                                  // 19 s left ≤ 20 % of 100
        let during = try f.query("p.example.")
        #expect(during.answers.first?.rdata == .a(IPv4Address(192, 0, 2, 1)))
        #expect(during.answers.first?.ttl == 19)
        #expect(f.upstream.calls == 2)
        #expect(f.upstream.asked.last?.refresh == true)
        #expect(f.word(.prefetches) == 1)
        let after = try f.query("p.example.")
        #expect(after.answers.first?.rdata == .a(IPv4Address(192, 0, 2, 2)))
        #expect(after.answers.first?.ttl == 100)
        #expect(f.upstream.calls == 2)

        // A gap as long as the window restarts the count: the entry is not popular any more.
        let gap = try CacheFixture("cache {\n prefetch 3 1m 20%\n}")
        for _ in 0..<4 { _ = try gap.query("p.example.") }
        gap.advance(seconds: 281)
        _ = try gap.query("p.example.")
        #expect(gap.upstream.calls == 1)
        #expect(gap.word(.prefetches) == 0)
    }

    @Test("prefetch starts one refresh per entry while the upstream is slow")
    func prefetchOnce() throws {
        let f = try CacheFixture("cache {\n prefetch 1\n}")
        _ = try f.query("slow.example.")
        f.upstream.holds = true
        f.advance(seconds: 280)
        _ = try f.query("slow.example.")
        _ = try f.query("slow.example.")
        _ = try f.query("slow.example.")
        #expect(f.upstream.calls == 2)
        f.upstream.holds = false
        f.upstream.releaseHeld(engine: f.harness.engine)
        #expect(f.harness.sink.delivered.isEmpty)             // nobody waits for a refresh
        #expect(try f.query("slow.example.").answers.first?.ttl == 300)
        #expect(f.upstream.calls == 2)
    }

    @Test("serve_stale immediate: an expired entry is served with TTL 0 and refreshed; failures keep it")
    func serveStaleImmediate() throws {
        var failing = false
        let f = try CacheFixture("cache {\n serve_stale 1h\n}") { name, _, _ in
            failing ? Records.answer(rcode: .serverFailure) : Records.answer("\(name) 60 IN A 192.0.2.1")
        }
        _ = try f.query("s.example.")
        failing = true
        f.advance(seconds: 120)
        let stale = try f.query("s.example.")
        #expect(stale.rcode == .noError)
        #expect(stale.answers.first?.ttl == 0)
        #expect(f.upstream.calls == 2)                          // the background refresh
        #expect(f.word(.servedStale) == 1)
        let again = try f.query("s.example.")
        #expect(again.answers.first?.rdata == .a(IPv4Address(192, 0, 2, 1)))
        failing = false
        _ = try f.query("s.example.")                           // refreshes (and succeeds)
        let fresh = try f.query("s.example.")
        #expect(fresh.answers.first?.ttl == 60)
        f.advance(seconds: 60 + 3600)
        _ = try f.query("s.example.")                           // older than the stale window: a miss
        #expect(f.word(.misses) == 2)
    }

    @Test("serve_stale verify: the next plugins are asked first; the stale entry answers only when they fail")
    func serveStaleVerify() throws {
        var failing = false
        var serial = 0
        let f = try CacheFixture("cache {\n serve_stale 1h verify\n}") { name, _, _ in
            serial += 1
            return failing ? Records.answer(rcode: .serverFailure) : Records.answer("\(name) 60 IN A 192.0.2.\(serial)")
        }
        _ = try f.query("v.example.")
        f.advance(seconds: 61)
        failing = true
        let stale = try f.query("v.example.")
        #expect(stale.rcode == .noError)
        #expect(stale.answers.first?.rdata == .a(IPv4Address(192, 0, 2, 1)))
        #expect(stale.answers.first?.ttl == 0)
        #expect(f.upstream.calls == 2)
        failing = false
        let fresh = try f.query("v.example.")
        #expect(fresh.answers.first?.rdata == .a(IPv4Address(192, 0, 2, 3)))
        #expect(fresh.answers.first?.ttl == 60)
        #expect(try f.query("v.example.").answers.first?.rdata == .a(IPv4Address(192, 0, 2, 3)))
        #expect(f.upstream.calls == 3)
    }

    @Test("a suspended upstream's answer is stored when it arrives and serves the next query")
    func asynchronousMiss() throws {
        let f = try CacheFixture()
        f.upstream.holds = true
        let bytes = try ChainHarness.queryBytes("late.example.", .a, id: 99)
        #expect(f.harness.exchangeRaw(bytes) == nil)
        f.upstream.holds = false
        f.upstream.releaseHeld(engine: f.harness.engine)
        let delivered = try Message(parsing: try #require(f.harness.sink.delivered.first))
        #expect(delivered.header.id == 99)
        #expect(delivered.answers.first?.ttl == 300)
        _ = try f.query("late.example.")
        #expect(f.upstream.calls == 1)
    }
}

/// An upstream that answers a different question than the one asked (a spoofed or broken reply).
final class WrongQuestionUpstream: PluginHandler {
    var calls = 0
    func serve(_ request: Request, engine: QueryEngine) -> PluginResult {
        calls += 1
        var message = Records.answer("other.example. 300 IN A 192.0.2.9")
        message.header.id = request.query.header.id
        message.header.isResponse = true
        message.questions = [Question(name: "other.example.", type: .a)]
        guard let bytes = message.encoded() else { return .next }
        let output = request.writableOutput()
        bytes.withUnsafeBytes { raw in
            if let s = raw.baseAddress, let d = output.baseAddress { d.copyMemory(from: s, byteCount: raw.count) }
        }
        request.setRawResponse(length: bytes.count)
        return .answered
    }
}

extension Message {
    func with(answers: [ResourceRecord]) -> Message {
        var copy = self
        copy.answers = answers
        return copy
    }
}
