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

/// One worker's cache counters, words of a `WorkerCounterBlock`. (The `entries` gauges are read
/// from the shared stores at scrape time.)
public final class CacheCounters: WorkerCounterBlock, @unchecked Sendable {
    enum Word: Int, CaseIterable {
        case requests, misses, hitsSuccess, hitsDenial, prefetches, drops, servedStale,
             evictionsSuccess, evictionsDenial
    }

    init() { super.init(words: Word.allCases.count) }

    @inline(__always) func bump(_ word: Word, by amount: UInt64 = 1) { bump(word.rawValue, by: amount) }

    @inline(__always) func set(_ word: Word, _ value: UInt64) { set(word.rawValue, value) }

    /// Reads one word (scraper side).
    func read(_ word: Word) -> UInt64 { read(word.rawValue) }
}

/// The counters of every worker for one cache (one server block).
typealias CacheCounterSet = WorkerCounterSet<CacheCounters>

extension WorkerCounterSet where Block == CacheCounters {
    convenience init() { self.init { CacheCounters() } }

    /// The sum of a word over all workers.
    func total(_ word: CacheCounters.Word) -> UInt64 { total(word.rawValue) }
}
