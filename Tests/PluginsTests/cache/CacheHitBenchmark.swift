#if canImport(Glibc)
import Glibc
#endif
import DNSWire
import Foundation
import Testing
@testable import Plugins

/// The cost of a cache hit through the whole query engine (parse, zone choice, chain, cache
/// lookup, copy and patches, finalize with metrics): ns per query and allocations per query.
///
/// By default it runs a few thousand hits as a smoke test (every reply must be a correct hit).
/// With `CLUSTERDNS_BENCH=1` it runs long enough to time, and prints the figures; build in
/// release for meaningful numbers:
///
///     swift build -c release -Xswiftc -enable-testing --build-tests
///     CLUSTERDNS_BENCH=1 LD_PRELOAD=/path/to/malloc-count-symbol.so \
///         swift test -c release --skip-build --filter CacheHitBenchmark
///
/// Allocations are counted when a preloaded library exports `clusterdns_malloc_count()` (a
/// counter of malloc/calloc/realloc/posix_memalign/aligned_alloc calls; see
/// `Docs/plugins/cache.md` for the twelve-line C file); otherwise only time is printed.
@Suite(.serialized) struct CacheHitBenchmark {
    typealias Counter = @convention(c) () -> UInt64

    static var mallocCounter: Counter? {
        // RTLD_DEFAULT is the null handle on glibc: search every loaded object.
        guard let symbol = dlsym(nil, "clusterdns_malloc_count") else { return nil }
        return unsafeBitCast(symbol, to: Counter.self)
    }

    @Test("cache hits: correct answers in a loop, and (with CLUSTERDNS_BENCH) ns and mallocs per hit")
    func hits() throws {
        let benchmarking = ProcessInfo.processInfo.environment["CLUSTERDNS_BENCH"] != nil
        let f = try CacheFixture()
        let names = (0..<64).map { "host\($0).example.org." }
        let queries = try names.map { try ChainHarness.queryBytes($0, .a, id: 0x4242, edns: EDNS(udpPayloadSize: 1232)) }
        for name in names { _ = try f.query(name) }
        #expect(f.upstream.calls == names.count)
        let output = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 8)
        defer { output.deallocate() }
        let route = ChainHarness.route(.udp)
        let iterations = benchmarking ? 2_000_000 : 5_000
        let packets = queries.map { bytes -> UnsafeMutableRawBufferPointer in
            let p = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 8)
            p.copyBytes(from: bytes)
            return p
        }
        defer { for p in packets { p.deallocate() } }
        var lengths = 0
        // Warm up (pools, caches), then measure.
        for i in 0..<1000 {
            if case .reply(let n) = f.harness.engine.handle(packet: UnsafeRawBufferPointer(packets[i & 63]), route: route, output: output) {
                lengths &+= n
            }
        }
        let counter = Self.mallocCounter
        let mallocsBefore = counter?() ?? 0
        let start = monotonicNanoseconds()
        var replies = 0
        var last = 0
        for i in 0..<iterations {
            if case .reply(let n) = f.harness.engine.handle(packet: UnsafeRawBufferPointer(packets[i & 63]), route: route, output: output) {
                lengths &+= n
                last = n
                replies += 1
            }
        }
        let elapsed = monotonicNanoseconds() - start
        let mallocsAfter = counter?() ?? 0
        #expect(replies == iterations)
        #expect(f.upstream.calls == names.count)
        #expect(lengths > 0)
        let reply = try Message(parsing: Array(UnsafeRawBufferPointer(rebasing: output[0..<last])))
        #expect(reply.header.id == 0x4242)
        #expect(reply.questions.first?.name == DomainName(stringLiteral: names[(iterations - 1) & 63]))
        #expect(reply.answers.first?.rdata == .a(IPv4Address(192, 0, 2, 1)))
        if benchmarking {
            let nsPerHit = Double(elapsed) / Double(iterations)
            var line = String(format: "cache hit: %.1f ns/op over %d hits", nsPerHit, iterations)
            if counter != nil {
                line += String(format: ", %.4f mallocs/op", Double(mallocsAfter - mallocsBefore) / Double(iterations))
            }
            print(line)
        }
        if counter != nil {
            // Other threads of the test runner may allocate meanwhile: allow a handful in total.
            #expect(mallocsAfter - mallocsBefore < UInt64(iterations / 1000), "cache hits allocated")
        }
        if benchmarking { try baseline(iterations: iterations, packets: packets, route: route, output: output) }
    }

    @Test("cache misses that store (and evict): correct answers, and (with CLUSTERDNS_BENCH) ns and mallocs per miss")
    func misses() throws {
        let benchmarking = ProcessInfo.processInfo.environment["CLUSTERDNS_BENCH"] != nil
        let cache = CacheHandler(config: try CorefileFixture.cache("cache {\n success 1024\n}"), workers: 1)
        let upstream = EchoAddressUpstream()
        let harness = ChainHarness(handlers: [cache, upstream], names: ["cache", "upstream"])
        let distinct = 20_000
        let packets = try (0..<distinct).map { i -> UnsafeMutableRawBufferPointer in
            let bytes = try ChainHarness.queryBytes("m\(i).example.org.", .a, id: 0x77, edns: EDNS(udpPayloadSize: 1232))
            let p = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 8)
            p.copyBytes(from: bytes)
            return p
        }
        defer { for p in packets { p.deallocate() } }
        let output = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 8)
        defer { output.deallocate() }
        let route = ChainHarness.route(.udp)
        for i in 0..<distinct { _ = harness.engine.handle(packet: UnsafeRawBufferPointer(packets[i]), route: route, output: output) }
        let iterations = benchmarking ? 1_000_000 : 5_000
        let counter = CacheHitBenchmark.mallocCounter
        let before = counter?() ?? 0
        let start = monotonicNanoseconds()
        var last = 0
        for i in 0..<iterations {
            if case .reply(let n) = harness.engine.handle(packet: UnsafeRawBufferPointer(packets[i % distinct]), route: route, output: output) {
                last = n
            }
        }
        let elapsed = monotonicNanoseconds() - start
        let after = counter?() ?? 0
        // 20 000 names through 1024 entries: nearly every query misses, is stored, and evicts one.
        #expect(upstream.calls > distinct + iterations * 9 / 10)
        #expect(cache.success.count == 1024)
        #expect(cache.counters.read(.evictionsSuccess) > UInt64(iterations / 2))
        let reply = try Message(parsing: Array(UnsafeRawBufferPointer(rebasing: output[0..<last])))
        #expect(reply.answers.first?.ttl == 60)
        if benchmarking {
            var line = String(format: "cache miss + store + evict: %.1f ns/op over %d misses", Double(elapsed) / Double(iterations), iterations)
            if counter != nil { line += String(format: ", %.4f mallocs/op", Double(after - before) / Double(iterations)) }
            print(line)
        }
        if counter != nil {
            #expect(after - before < UInt64(iterations / 1000), "cache misses allocated")
        }
    }

    /// The same queries through an engine whose only plugin answers NXDOMAIN with the question
    /// echoed: what the engine costs before any plugin work.
    func baseline(iterations: Int, packets: [UnsafeMutableRawBufferPointer], route: Route,
                  output: UnsafeMutableRawBufferPointer) throws {
        let harness = ChainHarness(handlers: [NameErrorResponder()], names: ["nxdomain"])
        for i in 0..<1000 { _ = harness.engine.handle(packet: UnsafeRawBufferPointer(packets[i & 63]), route: route, output: output) }
        let start = monotonicNanoseconds()
        for i in 0..<iterations { _ = harness.engine.handle(packet: UnsafeRawBufferPointer(packets[i & 63]), route: route, output: output) }
        let elapsed = monotonicNanoseconds() - start
        print(String(format: "engine baseline (NXDOMAIN responder): %.1f ns/op", Double(elapsed) / Double(iterations)))
    }
}

/// Answers every query NXDOMAIN through the response builder; allocation-free.
final class NameErrorResponder: PluginHandler {
    func serve(_ request: Request, engine: QueryEngine) -> PluginResult {
        request.respond(rcode: .nameError)
        return .answered
    }
}

/// Answers any A query with one record (owner a pointer to the question, TTL 60), written straight
/// into the output buffer: an allocation-free stand-in for an upstream.
final class EchoAddressUpstream: PluginHandler {
    var calls = 0
    func serve(_ request: Request, engine: QueryEngine) -> PluginResult {
        calls += 1
        guard request.startResponse() else { return .answered }
        request.response.recursionAvailable = true
        request.response.beginRRset()
        request.response.append(owner: .question, type: .a, ttl: 60, rdata: .a(IPv4Address(192, 0, 2, 99)))
        request.response.endRRset()
        request.finishResponse()
        return .answered
    }
}
