import Atomics
import DNSWire

/// A worker's counters for one server block, in CoreDNS's metric shape, written only by that
/// worker and read by the scraper.
///
/// Each counter is a 64-bit word updated with a relaxed load and a relaxed store (not a
/// read-modify-write): there is exactly one writer, so no increment is lost, and on x86-64 and
/// arm64 both compile to plain moves — no lock prefix, no shared cache line between workers. The
/// scraper's relaxed loads see every word whole, possibly a little stale, which a scrape allows.
public final class BlockMetrics: @unchecked Sendable {
    // @unchecked: all mutable state is the atomic words behind `base`, written by one worker only.

    /// `type` label values of `coredns_dns_requests_total`, in CoreDNS's list; the rest is `other`.
    public static let typeLabels: [(RecordType, String)] = [
        (.a, "A"), (.aaaa, "AAAA"), (.mx, "MX"), (.soa, "SOA"), (.cname, "CNAME"), (.ptr, "PTR"), (.txt, "TXT"),
        (.ns, "NS"), (.srv, "SRV"), (.ds, "DS"), (.dnskey, "DNSKEY"), (.rrsig, "RRSIG"), (.nsec, "NSEC"),
        (.nsec3, "NSEC3"), (.https, "HTTPS"), (.ixfr, "IXFR"), (.axfr, "AXFR"), (.any, "ANY"),
    ]
    public static let typeCount = typeLabels.count + 1   // + other
    public static let rcodeCount = 24                    // 0...23; larger codes count as 23's neighbour "other"
    /// Upper bounds (seconds) of the duration histogram: 0.25 ms × 2^k, k = 0…15 (CoreDNS's buckets).
    public static let durationBounds: [Double] = (0..<16).map { 0.00025 * Double(1 << $0) }
    /// Upper bounds (octets) of the size histograms (CoreDNS's buckets).
    public static let sizeBounds: [Double] = [0, 100, 200, 300, 400, 511, 1023, 2047, 4095, 8291, 16000, 32000, 48000, 64000]

    public let pluginNames: [String]
    let plugins: Int
    // Layout offsets into `base`.
    let requestsOffset = 0                                           // [proto 2][family 2][type]
    var doOffset: Int { requestsOffset + 2 * 2 * BlockMetrics.typeCount }
    var responsesOffset: Int { doOffset + 1 }                         // [rcode][plugin + 1]
    var durationOffset: Int { responsesOffset + BlockMetrics.rcodeCount * (plugins + 1) } // [bucket 17] + sum(ns)
    var requestSizeOffset: Int { durationOffset + BlockMetrics.durationBounds.count + 2 } // [proto][bucket 15] + sum
    var responseSizeOffset: Int { requestSizeOffset + 2 * (BlockMetrics.sizeBounds.count + 2) }
    var totalWords: Int { responseSizeOffset + 2 * (BlockMetrics.sizeBounds.count + 2) }

    let base: UnsafeMutablePointer<UInt64.AtomicRepresentation>
    let count: Int

    public init(pluginNames: [String]) {
        self.pluginNames = pluginNames
        plugins = pluginNames.count
        let words = 2 * 2 * BlockMetrics.typeCount + 1 + BlockMetrics.rcodeCount * (pluginNames.count + 1)
            + BlockMetrics.durationBounds.count + 2 + 4 * (BlockMetrics.sizeBounds.count + 2)
        count = words
        base = .allocate(capacity: words)
        base.initialize(repeating: UInt64.AtomicRepresentation(0), count: words)
    }

    deinit { base.deallocate() }

    @inline(__always) func bump(_ index: Int, by amount: UInt64 = 1) {
        let word = UnsafeAtomic<UInt64>(at: base + index)
        word.store(word.load(ordering: .relaxed) &+ amount, ordering: .relaxed)
    }

    /// Reads one word (scraper side).
    public func read(_ index: Int) -> UInt64 {
        UnsafeAtomic<UInt64>(at: base + index).load(ordering: .relaxed)
    }

    @inline(__always) static func typeIndex(_ type: RecordType) -> Int {
        for (i, entry) in typeLabels.enumerated() where entry.0 == type { return i }
        return typeLabels.count
    }

    /// Counts one answered query. Allocation-free.
    @inline(__always)
    func record(tcp: Bool, ipv6: Bool, type: RecordType, dnssecOK: Bool, rcode: ResponseCode, plugin: Int,
                durationNanoseconds: UInt64, requestSize: Int, responseSize: Int) {
        let proto = tcp ? 1 : 0
        bump(requestsOffset + (proto * 2 + (ipv6 ? 1 : 0)) * BlockMetrics.typeCount + BlockMetrics.typeIndex(type))
        if dnssecOK { bump(doOffset) }
        let r = min(Int(rcode.rawValue), BlockMetrics.rcodeCount - 1)
        bump(responsesOffset + r * (plugins + 1) + (plugin >= 0 && plugin < plugins ? plugin + 1 : 0))
        let seconds = Double(durationNanoseconds) / 1e9
        var bucket = BlockMetrics.durationBounds.count
        for (i, bound) in BlockMetrics.durationBounds.enumerated() where seconds <= bound { bucket = i; break }
        bump(durationOffset + bucket)
        bump(durationOffset + BlockMetrics.durationBounds.count + 1, by: durationNanoseconds)
        BlockMetrics.observeSize(requestSize, into: self, offset: requestSizeOffset + proto * (BlockMetrics.sizeBounds.count + 2))
        BlockMetrics.observeSize(responseSize, into: self, offset: responseSizeOffset + proto * (BlockMetrics.sizeBounds.count + 2))
    }

    @inline(__always) static func observeSize(_ size: Int, into m: BlockMetrics, offset: Int) {
        var bucket = sizeBounds.count
        for (i, bound) in sizeBounds.enumerated() where Double(size) <= bound { bucket = i; break }
        m.bump(offset + bucket)
        m.bump(offset + sizeBounds.count + 1, by: UInt64(size))
    }

    // MARK: Scrape-side accessors

    public func requests(tcp: Bool, ipv6: Bool, typeIndex: Int) -> UInt64 {
        read(requestsOffset + ((tcp ? 1 : 0) * 2 + (ipv6 ? 1 : 0)) * BlockMetrics.typeCount + typeIndex)
    }
    public var dnssecOKRequests: UInt64 { read(doOffset) }
    /// Responses with `rcode` written by `plugin` (-1: by the server itself).
    public func responses(rcode: Int, plugin: Int) -> UInt64 {
        read(responsesOffset + rcode * (plugins + 1) + plugin + 1)
    }
    /// Non-cumulative bucket counts (last one is +Inf) and the sum in seconds.
    public var durationBuckets: (counts: [UInt64], sumSeconds: Double) {
        let n = BlockMetrics.durationBounds.count + 1
        return ((0..<n).map { read(durationOffset + $0) }, Double(read(durationOffset + n)) / 1e9)
    }
    public func sizeBuckets(response: Bool, tcp: Bool) -> (counts: [UInt64], sum: UInt64) {
        let n = BlockMetrics.sizeBounds.count + 1
        let offset = (response ? responseSizeOffset : requestSizeOffset) + (tcp ? 1 : 0) * (n + 1)
        return ((0..<n).map { read(offset + $0) }, read(offset + n))
    }
}

/// Counters of a worker that belong to no block: queries dropped or refused before a chain ran.
public final class EngineCounters: @unchecked Sendable {
    // @unchecked: same single-writer atomic words as BlockMetrics.
    public enum Counter: Int, CaseIterable, Sendable {
        case droppedShort, droppedResponse, formatErrors, notImplemented, refusedNoZone, refusedClass,
             badVersion, overloaded, panics,
             cookieClientOnly, cookieValid, cookieInvalid, cookieMalformed
    }
    let base: UnsafeMutablePointer<UInt64.AtomicRepresentation>

    public init() {
        base = .allocate(capacity: Counter.allCases.count)
        base.initialize(repeating: UInt64.AtomicRepresentation(0), count: Counter.allCases.count)
    }
    deinit { base.deallocate() }

    @inline(__always) func bump(_ c: Counter) {
        let word = UnsafeAtomic<UInt64>(at: base + c.rawValue)
        word.store(word.load(ordering: .relaxed) &+ 1, ordering: .relaxed)
    }
    public func read(_ c: Counter) -> UInt64 { UnsafeAtomic<UInt64>(at: base + c.rawValue).load(ordering: .relaxed) }
}
