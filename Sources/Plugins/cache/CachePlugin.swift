import DNSWire
import Synchronization

/// `cache`: the configured plugin of one server block. It makes one `CacheHandler` per worker,
/// each with its own share of the capacity, and reports the workers' counters to `/metrics`.
///
/// Why a cache per worker rather than one shared cache (CoreDNS shares one, 256 shards with a
/// lock each): a worker's hit then takes no lock, touches no cache line another core writes, and
/// allocates nothing. The price is that a name is fetched once per worker that sees it (at most
/// once per worker per TTL; workers default to the CPU quota), and that each worker holds `capacity / workers`
/// entries, so the whole server still holds `capacity`.
public final class CachePlugin: PluginFactory, MetricsReporting {
    public let name = "cache"
    public let config: CacheConfig
    /// The `server` label of the metrics (`dns://:53`).
    public let serverLabel: String
    /// The `zones` label: the cache's zones joined by commas, as CoreDNS writes it.
    public let zonesLabel: String
    /// Per-worker counters; replaced at `start` by the set kept across reloads.
    let counterSet = Mutex<CacheCounterSet>(CacheCounterSet())

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
        return CacheHandler(config: config, workers: worker.workerCount, memoryBudget: worker.cacheMemoryBudget,
                            counters: counters)
    }

    // MARK: Metrics

    public func reportMetrics(into report: inout MetricsReport) {
        let set = counterSet.withLock { $0 }
        let common = [("server", serverLabel), ("zones", zonesLabel), ("view", "")]
        func typed(_ type: String) -> [(String, String)] {
            [("server", serverLabel), ("type", type), ("zones", zonesLabel), ("view", "")]
        }
        report.gauge(CacheMetricNames.entries, help: "The number of elements in the cache.",
                     labels: typed("success"), value: Double(set.total(.entriesSuccess)))
        report.gauge(CacheMetricNames.entries, help: "The number of elements in the cache.",
                     labels: typed("denial"), value: Double(set.total(.entriesDenial)))
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
