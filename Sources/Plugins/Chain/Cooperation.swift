import Corefile
import DNSWire

/// Small protocols through which plugins cooperate without importing each other's internals.

/// Gives `autopath @kubernetes` the search path of the pod that sent a query, found by the
/// query's source address (CoreDNS's `AutoPather`). Implemented by the `kubernetes` plugin's
/// factory; called on the worker's thread, so it must be cheap and allocation-light.
public protocol AutoPathProvider: AnyObject, Sendable {
    /// The search domains of the pod at `address`, first to last, for a pod known to the
    /// registry (`pods verified`); nil when no pod has that address. Any thread; may lock.
    func searchPath(forClient address: IPAddress) -> [DomainName]?
    /// A reader for one worker's queries, which must not lock in steady state (the query path
    /// takes no shared lock); autopath makes one per worker handler.
    func makeSearchPathReader() -> any SearchPathReader
}

/// One worker's view of an `AutoPathProvider`, used only on that worker's thread.
public protocol SearchPathReader: AnyObject {
    /// As `AutoPathProvider.searchPath(forClient:)`, without a shared lock.
    func searchPath(forClient address: IPAddress) -> [DomainName]?
    /// Lets go of replaced published state (`PluginHandler.refreshState()`).
    func refresh()
}

extension SearchPathReader {
    public func refresh() {}
}

/// What the `prometheus`, `ready` and `health` plugins read of the running server. Implemented
/// by the Server; every member is safe to call from any thread.
public protocol ServerIntrospection: AnyObject, Sendable {
    /// Every plugin of every running server block, for `ready`.
    var runningPlugins: [any PluginFactory] { get }
    /// Per-worker metrics, grouped by server block: each block's `serverLabel` and zones with one
    /// `BlockMetrics` per worker. Summed by the scraper.
    var blockMetrics: [(serverLabel: String, zones: [DomainName], workers: [BlockMetrics])] { get }
    /// Per-worker counters of queries dropped or refused before any block ran.
    var engineCounters: [EngineCounters] { get }
    /// Every running server block with all its plugins (`ready` checks the blocks that enable it;
    /// `prometheus` reports `coredns_plugin_enabled`).
    var runningBlocks: [ConfiguredBlock] { get }
    /// What the event loop counted (datagrams, batches, TCP connections), summed over the workers,
    /// as the server names them (`clusterdns_udp_*`, `clusterdns_tcp_*`); empty before the workers exist.
    var transportCounters: [CounterSample] { get }
    /// Queries answered before any block ran that CoreDNS reports under `zone="dropped"` (refused
    /// class, no zone, overload), per listening port: its `serverLabel` and one `BlockMetrics` per worker.
    var droppedMetrics: [(serverLabel: String, workers: [BlockMetrics])] { get }
}

extension ServerIntrospection {
    public var runningBlocks: [ConfiguredBlock] { [] }
    public var transportCounters: [CounterSample] { [] }
    public var droppedMetrics: [(serverLabel: String, workers: [BlockMetrics])] { [] }
}

/// A plugin that works with another plugin of its own server block (`autopath @kubernetes`
/// finds the `kubernetes` plugin's `AutoPathProvider`). `ServerConfiguration.build` shows it the
/// block's plugins once all of them are set up, before any starts, so the link is made once per
/// configuration (a reload links the new plugins to each other, never to the old ones) and a
/// missing partner is a configuration error at the directive's line.
public protocol BlockPluginsConsumer: AnyObject {
    /// - Parameter blockPlugins: every plugin of the block, in chain order (this one included).
    func connect(to blockPlugins: [any PluginFactory]) throws(CorefileError)
}

/// A plugin whose zones the `transfer` plugin can send whole (AXFR), as CoreDNS's `Transferer`:
/// the `kubernetes` and `file` plugins. Called on a worker's thread for each transfer; it may
/// allocate (transfers are rare and never on the per-query hot path).
public protocol ZoneTransferSource: AnyObject, Sendable {
    /// The zone's records in transfer order, its SOA first and last (RFC 5936 §2.2); nil when
    /// this plugin is not authoritative for `zone` or has not loaded it yet.
    func transferRecords(zone: DomainName) -> [ResourceRecord]?
}

/// One counter the server reports through `prometheus` without the plugin knowing what it counts.
public struct CounterSample: Sendable, Equatable {
    public var name: String
    public var help: String
    public var labels: [(String, String)]
    public var value: UInt64

    public init(name: String, help: String, labels: [(String, String)] = [], value: UInt64) {
        self.name = name
        self.help = help
        self.labels = labels
        self.value = value
    }

    public static func == (lhs: CounterSample, rhs: CounterSample) -> Bool {
        lhs.name == rhs.name && lhs.help == rhs.help && lhs.value == rhs.value
            && lhs.labels.elementsEqual(rhs.labels) { $0 == $1 }
    }
}
