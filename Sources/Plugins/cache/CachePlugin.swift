import DNSWire
import Synchronization

/// `cache`: the configured plugin of one server block. It makes the block's success and denial
/// stores once (`CacheShards`, shared by every worker, `capacity` entries each), one
/// `CacheHandler` per worker over them, and reports the workers' counters to `/metrics`.
///
/// Why shared: a name is then fetched once per TTL whichever worker is asked, and the server
/// holds `capacity` distinct answers (per-worker stores held `capacity / workers` each and fetched
/// every name once per worker: hit ratio 0.57 with 8 workers against 0.79 with 1 on a Zipf
/// workload, `Docs/performance.md`). A hit still takes no lock and allocates nothing: it reads
/// the shared store without writing it and checks the entry's sequence number (`CacheStore`).
public final class CachePlugin: PluginFactory, MetricsReporting {
    public let name = "cache"
    public let config: CacheConfig
    /// The `server` label of the metrics (`dns://:53`).
    public let serverLabel: String
    /// The `zones` label: the cache's zones joined by commas, as CoreDNS writes it.
    public let zonesLabel: String
    /// Per-worker counters; replaced at `start` by the set kept across reloads.
    let counterSet = Mutex<CacheCounterSet>(CacheCounterSet())
    /// The stores every worker's handler shares, made by the first `makeHandler`.
    let stores = Mutex<(success: CacheShards, denial: CacheShards)?>(nil)

    public init(config: CacheConfig, serverLabel: String) {
        self.config = config
        self.serverLabel = serverLabel
        zonesLabel = config.zones.map(\.description).joined(separator: ",")
    }

    public func start(_ server: ServerContext) throws {
        let shared = server.shared("plugin/cache counters \(serverLabel) \(zonesLabel)") { CacheCounterSet() }
        counterSet.withLock { $0 = shared }
    }

    public func makeHandler(worker: WorkerContext) -> (any PluginHandler)? {
        let counters = counterSet.withLock { $0 }.counters(forWorker: worker.index)
        let shared = stores.withLock { stores in
            if let stores { return stores }
            let made = CacheHandler.makeStores(config: config, workers: worker.workerCount,
                                               memoryBudget: worker.cacheMemoryBudget)
            stores = made
            return made
        }
        return CacheHandler(config: config, success: shared.success, denial: shared.denial, counters: counters)
    }

    // MARK: Metrics

    public func reportMetrics(into report: inout MetricsReport) {
        let set = counterSet.withLock { $0 }
        let shared = stores.withLock { $0 }
        let common = [("server", serverLabel), ("zones", zonesLabel), ("view", "")]
        func typed(_ type: String) -> [(String, String)] {
            [("server", serverLabel), ("type", type), ("zones", zonesLabel), ("view", "")]
        }
        report.gauge(CacheMetricNames.entries, help: "The number of elements in the cache.",
                     labels: typed("success"), value: Double(shared?.success.count ?? 0))
        report.gauge(CacheMetricNames.entries, help: "The number of elements in the cache.",
                     labels: typed("denial"), value: Double(shared?.denial.count ?? 0))
        report.counter(CacheMetricNames.hits, help: "The count of cache hits.",
                       labels: typed("success"), value: Double(set.total(.hitsSuccess)))
        report.counter(CacheMetricNames.hits, help: "The count of cache hits.",
                       labels: typed("denial"), value: Double(set.total(.hitsDenial)))
        report.counter(CacheMetricNames.misses,
                       help: "The count of cache misses. Deprecated, derive misses from cache hits/requests counters.",
                       labels: common, value: Double(set.total(.misses)))
        report.counter(CacheMetricNames.requests, help: "The count of cache requests.",
                       labels: common, value: Double(set.total(.requests)))
        report.counter(CacheMetricNames.prefetch, help: "The number of times the cache has prefetched a cached item.",
                       labels: common, value: Double(set.total(.prefetches)))
        report.counter(CacheMetricNames.drops, help: "The number responses that are not cached, because the reply is malformed.",
                       labels: common, value: Double(set.total(.drops)))
        report.counter(CacheMetricNames.servedStale, help: "The number of requests served from stale cache entries.",
                       labels: common, value: Double(set.total(.servedStale)))
        report.counter(CacheMetricNames.evictions, help: "The count of cache evictions.",
                       labels: typed("success"), value: Double(set.total(.evictionsSuccess)))
        report.counter(CacheMetricNames.evictions, help: "The count of cache evictions.",
                       labels: typed("denial"), value: Double(set.total(.evictionsDenial)))
    }
}
