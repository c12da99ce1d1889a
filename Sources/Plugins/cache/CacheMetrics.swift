import Atomics

/// The cache's metric names and help texts, exactly CoreDNS's (`plugin/cache/metrics.go`).
enum CacheMetricNames {
    static let entries = "coredns_cache_entries"
    static let hits = "coredns_cache_hits_total"
    static let misses = "coredns_cache_misses_total"
    static let requests = "coredns_cache_requests_total"
    static let prefetch = "coredns_cache_prefetch_total"
    static let drops = "coredns_cache_drops_total"
    static let servedStale = "coredns_cache_served_stale_total"
    static let evictions = "coredns_cache_evictions_total"
}

/// One worker's cache counters: single-writer 64-bit words, as `BlockMetrics` keeps them.
///
/// The worker that owns the cache is the only writer (a relaxed load and a relaxed store, no
/// read-modify-write, no lock); the scraper reads every word with a relaxed load and sums the
/// workers. The two `entries` words are gauges the worker overwrites.
public final class CacheCounters: @unchecked Sendable {
    // @unchecked: all mutable state is the atomic words behind `base`, written by one worker only.
    enum Word: Int, CaseIterable {
        case requests, misses, hitsSuccess, hitsDenial, prefetches, drops, servedStale,
             evictionsSuccess, evictionsDenial, entriesSuccess, entriesDenial
    }

    let base: UnsafeMutablePointer<UInt64.AtomicRepresentation>

    init() {
        base = .allocate(capacity: Word.allCases.count)
        base.initialize(repeating: UInt64.AtomicRepresentation(0), count: Word.allCases.count)
    }

    deinit { base.deallocate() }

    @inline(__always) func bump(_ word: Word, by amount: UInt64 = 1) {
        let atomic = UnsafeAtomic<UInt64>(at: base + word.rawValue)
        atomic.store(atomic.load(ordering: .relaxed) &+ amount, ordering: .relaxed)
    }

    @inline(__always) func set(_ word: Word, _ value: UInt64) {
        UnsafeAtomic<UInt64>(at: base + word.rawValue).store(value, ordering: .relaxed)
    }

    /// Reads one word (scraper side).
    func read(_ word: Word) -> UInt64 {
        UnsafeAtomic<UInt64>(at: base + word.rawValue).load(ordering: .relaxed)
    }
}
