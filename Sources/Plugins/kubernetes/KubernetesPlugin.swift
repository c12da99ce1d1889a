import ClusterRegistry
import DNSWire
import Foundation
import Logging
import Synchronization
import SystemCalls

#if canImport(Glibc)
import Glibc
#endif

/// The `kubernetes` plugin: the records of the Kubernetes DNS-Based Service Discovery spec
/// (1.1.0) and CoreDNS's `kubernetes` plugin, answered from the in-memory registry.
///
/// Split three ways, as STYLE.md asks: the registry (`ClusterRegistry`) keeps the objects and
/// watches the manifests; `KubernetesIndex` turns a snapshot into per-name lookup tables;
/// `QueryTarget` reads the query name, `KubernetesAnswer` writes the answer from the index, and
/// the per-worker `KubernetesHandler` finishes it (negative answers, fallthrough, ExternalName
/// chasing).
/// This factory wires them: at `start` it obtains the registry for its manifest directory
/// (shared with every other block and kept across reloads), builds an index for the current
/// snapshot, and rebuilds one each time the registry publishes a new snapshot.
public final class KubernetesPlugin: PluginFactory, MetricsReporting, AutoPathProvider, @unchecked Sendable {
    // @unchecked: `config` is immutable; every mutable member is a Mutex, Atomic or SnapshotCell.
    public let name = "kubernetes"
    public let config: KubernetesConfig
    /// The index workers read, republished on every registry change.
    public let indexes = SnapshotCell<KubernetesIndexSet>()
    /// The registry states this plugin indexes (a manifest directory's or the API source's).
    let registry = Mutex<SnapshotCell<ClusterState>?>(nil)
    /// The API source, when objects come from the API (for its metrics).
    let apiSource = Mutex<KubernetesAPISource?>(nil)
    /// The manifest directory source, when objects come from manifests (for its metrics).
    let manifestSource = Mutex<ManifestDirectorySource?>(nil)
    let subscription = Mutex<SnapshotSubscription?>(nil)
    let localAddresses = Mutex<[IPAddress]>([])
    let statistics = Mutex<BuildStatistics>(BuildStatistics())
    /// Serialises index builds (the start-up build and the registry's callbacks).
    private let rebuilding = Mutex<Void>(())

    struct BuildStatistics {
        var builds: UInt64 = 0
        var shardBuilds: UInt64 = 0
        var lastBuildSeconds: Double = 0
        var lastSnapshot: ClusterState?
        /// Builds sets shard by shard from successive states (created at the first build).
        var builder: KubernetesIndexSet.Builder?
    }

    /// A plugin for `config`; `start` (or publishing an index to `indexes` directly, as
    /// benchmarks do) makes it answer.
    public init(config: KubernetesConfig) {
        self.config = config
    }

    public func makeHandler(worker: WorkerContext) -> (any PluginHandler)? {
        KubernetesHandler(plugin: self)
    }

    public func start(_ server: ServerContext) throws {
        let registry: SnapshotCell<ClusterState>
        switch config.source {
        case .manifests(let directory):
            let source = try Self.manifestRegistry(directory, server: server)
            manifestSource.withLock { $0 = source }
            registry = source.snapshots
        case .api(let settings):
            let source = try Self.apiRegistry(settings, config: config, server: server)
            apiSource.withLock { $0 = source }
            registry = source.snapshots
        }
        self.registry.withLock { $0 = registry }
        localAddresses.withLock { $0 = KubernetesPlugin.ownAddresses(server.listeners) }
        let logger = server.logger
        let issueLog = ManifestIssueLog.of(registry, server: server)
        // Subscribe first, then index what is there: a snapshot published in between is indexed
        // by the callback, and `rebuild` never goes back to an older generation.
        let token = registry.subscribe { [weak self] snapshot in
            guard let self else { return }
            self.rebuild(snapshot, loaded: true)
            issueLog.report(snapshot.issues, logger: logger)
        }
        subscription.withLock { $0 = token }
        // Before the API's first sync there is no snapshot: cluster names answer SERVFAIL
        // (an empty index that knows it is not loaded) while other zones serve.
        if let current = registry.load() { rebuild(current, loaded: true) } else { rebuild(ClusterState.empty(), loaded: false) }
    }

    /// The registry of a manifest directory, loaded before the server answers; one per directory
    /// for the life of the process (shared by blocks and kept across reloads).
    static func manifestRegistry(_ directory: String, server: ServerContext) throws -> ManifestDirectorySource {
        let path = URL(fileURLWithPath: directory).standardizedFileURL.path
        let source = try server.shared("manifests:" + path) { () throws -> ManifestDirectorySource in
            let made = ManifestDirectorySource(path: path)
            do {
                let snapshot = try made.start()
                server.logger.info("registry loaded", metadata: [
                    "manifests": .string(path), "objects": .string(snapshot.counts.description),
                    "issues": .stringConvertible(snapshot.issues.count),
                ])
            } catch {
                throw KubernetesStartError(message: "plugin/kubernetes: manifests \(path): \(error)")
            }
            return made
        }
        guard let snapshot = source.snapshots.load() else {
            throw KubernetesStartError(message: "plugin/kubernetes: manifests \(path) produced no snapshot")
        }
        // Outside `shared`'s closure (it holds the table's lock); logged once however many blocks ask.
        ManifestIssueLog.of(source.snapshots, server: server).report(snapshot.issues, logger: server.logger)
        return source
    }

    /// The API source for `settings`, started and waited for up to `startup_timeout` (CoreDNS
    /// blocks its start the same way, then serves "with unsynced Kubernetes API"). One per
    /// server and resource set for the life of the process.
    static func apiRegistry(_ settings: APIServerSettings, config: KubernetesConfig, server: ServerContext) throws -> KubernetesAPISource {
        guard let transports = server.controlPlane.apiTransports else {
            throw KubernetesStartError(message: "plugin/kubernetes: this command cannot watch the Kubernetes API (\(settings.origin)); use --manifests DIR")
        }
        var options = KubernetesAPISource.Options()
        options.resources = [.namespaces, .services, .endpointSlices] + (config.pods == .verified ? [.pods] : [])
        options.userAgent = "clusterdns/\(server.controlPlane.version)"
        options.applyEnvironment()
        let key = "api:\(settings.server)|\(settings.origin)|\(options.resources.map(\.rawValue))"
        return try server.shared(key) { () throws -> KubernetesAPISource in
            let transport: any APITransport
            do { transport = try transports.makeTransport(settings: settings) } catch {
                throw KubernetesStartError(message: "plugin/kubernetes: \(error)")
            }
            let made = KubernetesAPISource(settings: settings, transport: transport, options: options,
                                           logger: server.logger)
            made.start()
            if !made.waitUntilSynced(timeout: config.startupTimeout) {
                server.logger.warning("starting with an unsynced Kubernetes API: cluster names answer SERVFAIL until the first sync", metadata: [
                    "server": .string(settings.server), "startup_timeout": .stringConvertible(config.startupTimeout),
                ])
            }
            return made
        }
    }

    public func stop() {
        let token = subscription.withLock { value -> SnapshotSubscription? in
            defer { value = nil }
            return value
        }
        if let token, let registry = registry.withLock({ $0 }) { registry.unsubscribe(token) }
    }

    /// Builds and publishes the index set for `state` (on the registry's thread), rebuilding the
    /// indexes of the shards the state rebuilt. A state whose DNS content equals the last one's
    /// (a file touched, a node name changed) keeps the current set: it would answer every
    /// question the same way.
    func rebuild(_ state: ClusterState, loaded: Bool) {
        rebuilding.withLock { _ in rebuildLocked(state, loaded: loaded) }
    }

    private func rebuildLocked(_ state: ClusterState, loaded: Bool) {
        if let current = indexes.load(), current.loaded, !loaded { return }
        if let last = statistics.withLock({ $0.lastSnapshot }), state.generation < last.generation { return }
        if loaded, let current = indexes.load(), current.loaded,
           let last = statistics.withLock({ $0.lastSnapshot }), state.hasSameDNSContent(as: last) {
            statistics.withLock {
                $0.lastSnapshot = state
                $0.builder?.adopt(state)
            }
            return
        }
        let started = monotonicNanoseconds()
        let addresses = localAddresses.withLock { $0 }
        let builder = statistics.withLock { stats -> KubernetesIndexSet.Builder in
            if let builder = stats.builder { return builder }
            let made = KubernetesIndexSet.Builder(config: config, localAddresses: addresses)
            stats.builder = made
            return made
        }
        let set = builder.build(state, loaded: loaded, localAddresses: addresses)
        indexes.publish(set)
        let seconds = Double(monotonicNanoseconds() &- started) / 1e9
        statistics.withLock {
            $0.builds += 1
            $0.shardBuilds += UInt64(builder.lastRebuilt)
            $0.lastBuildSeconds = seconds
            $0.lastSnapshot = loaded ? state : nil
        }
    }

    /// Not ready until the first snapshot is answered from: for the API, until every resource
    /// synced and its snapshot was published (CoreDNS's `HasSynced`). Once synced, it stays
    /// ready when the API goes away: the last state keeps answering.
    public var notReadyReason: String? {
        guard let index = indexes.load() else { return "registry not loaded" }
        return index.loaded ? nil : "waiting for the Kubernetes API to sync"
    }

    /// The addresses this server answers on, for the zone's NS glue: the bound addresses, or
    /// every non-loopback interface address for a wildcard listener (loopback when none).
    static func ownAddresses(_ listeners: [ServerContext.Listener]) -> [IPAddress] {
        var result: [IPAddress] = []
        var wildcard = false
        for listener in listeners {
            switch listener.address {
            case .v4(let a) where a.rawValue == 0: wildcard = true
            case .v6(let a) where a.high == 0 && a.low == 0: wildcard = true
            default: if !result.contains(listener.address) { result.append(listener.address) }
            }
        }
        if wildcard {
            for raw in InterfaceAddresses.ipv4() {
                let ip = IPAddress.v4(IPv4Address(rawValue: raw))
                if !result.contains(ip) { result.append(ip) }
            }
        }
        if result.isEmpty { result.append(.v4(IPv4Address(127, 0, 0, 1))) }
        return result
    }

    // MARK: AutoPathProvider

    /// `autopath @kubernetes`: the search path of the pod at `address` —
    /// `<ns>.svc.<zone> svc.<zone> <zone>` — when a pod with that address is known (needs
    /// `pods verified`, as in CoreDNS). Called on workers: one uncontended lock to read the
    /// current index, one hash lookup, and an array precomputed per namespace (no allocation).
    public func searchPath(forClient address: IPAddress) -> [DomainName]? {
        guard config.pods == .verified, let set = indexes.load(), let ns = set.home.clientNamespaces[address] else { return nil }
        return set.home.searchPaths[Int(ns)]
    }

    // MARK: MetricsReporting

    public func reportMetrics(into report: inout MetricsReport) {
        let stats = statistics.withLock { $0 }
        guard let snapshot = stats.lastSnapshot else { return }
        let counts = snapshot.counts
        for (kind, value) in [("Service", counts.services), ("EndpointSlice", counts.endpointSlices),
                              ("Endpoints", counts.endpoints), ("Pod", counts.pods), ("Namespace", counts.namespaces)] {
            report.gauge("clusterdns_registry_objects", help: "Kubernetes objects in the registry, by kind.",
                         labels: [("kind", kind)], value: Double(value))
        }
        report.gauge("clusterdns_registry_endpoint_addresses", help: "Endpoint addresses in the registry.",
                     value: Double(counts.endpointAddresses))
        report.gauge("clusterdns_registry_last_update_timestamp_seconds", help: "When the registry last published a snapshot.",
                     value: snapshot.loadedAt.timeIntervalSince1970)
        report.gauge("clusterdns_registry_serial", help: "The SOA serial: Unix time of the last DNS-relevant change.",
                     value: Double(snapshot.serial))
        report.gauge("clusterdns_registry_issues", help: "Current manifest problems.", labels: [("severity", "error")],
                     value: Double(snapshot.errors.count))
        report.gauge("clusterdns_registry_issues", help: "Current manifest problems.", labels: [("severity", "warning")],
                     value: Double(snapshot.issues.count - snapshot.errors.count))
        for (kind, value) in snapshot.unknownKinds.sorted(by: { $0.key < $1.key }) {
            report.gauge("clusterdns_registry_skipped_objects", help: "Objects of kinds the registry does not serve, by kind.",
                         labels: [("kind", kind)], value: Double(value))
        }
        if let api = apiSource.withLock({ $0 }) { Self.reportAPIMetrics(api.statistics, into: &report) }
        if let manifests = manifestSource.withLock({ $0 }) {
            let histogram = manifests.updateSeconds
            report.histogram("clusterdns_registry_update_seconds",
                             help: "Time from a manifest change seen by inotify to its answers published.",
                             buckets: histogram.cumulative, sum: histogram.sum, count: histogram.count)
        }
        report.counter("clusterdns_kubernetes_index_builds_total", help: "Answer index sets built from registry states.",
                       value: Double(stats.builds))
        report.counter("clusterdns_kubernetes_index_shard_builds_total",
                       help: "Shard indexes built (a change rebuilds only the shards it touched).", value: Double(stats.shardBuilds))
        report.gauge("clusterdns_kubernetes_index_build_seconds", help: "How long the last answer index took to build.",
                     value: stats.lastBuildSeconds)
    }
}

extension KubernetesPlugin {
    /// The API source's metrics: CoreDNS's programming-duration SLI, and the source's state.
    static func reportAPIMetrics(_ stats: APISourceStatistics, into report: inout MetricsReport) {
        for kind in ["cluster_ip", "headless_with_selector", "headless_without_selector"] {
            let histogram = stats.programming[kind] ?? DurationHistogram()
            report.histogram("coredns_kubernetes_dns_programming_duration_seconds",
                             help: "Histogram of the time (in seconds) it took to program a dns instance.",
                             labels: [("service_kind", kind)], buckets: histogram.cumulative, sum: histogram.sum, count: histogram.count)
        }
        report.gauge("clusterdns_kubernetes_api_up", help: "1 while every watched resource's last request to the Kubernetes API succeeded.",
                     value: stats.up ? 1 : 0)
        report.gauge("clusterdns_kubernetes_api_synced", help: "1 once every resource was listed and the first snapshot published.",
                     value: stats.synced ? 1 : 0)
        let age = stats.lastContact.map { max(0, Date().timeIntervalSince($0)) } ?? -1
        report.gauge("clusterdns_kubernetes_api_last_contact_age_seconds",
                     help: "Seconds since the Kubernetes API last sent anything (event, bookmark, list page); -1 before the first.",
                     value: age)
        for resource in APIResource.allCases {
            for type in ["ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"] {
                guard let count = stats.events[resource]?[type] else { continue }
                report.counter("clusterdns_kubernetes_api_events_total", help: "Watch events received, by resource and type.",
                               labels: [("resource", resource.rawValue), ("type", type)], value: Double(count))
            }
            guard stats.lists[resource] != nil || stats.watches[resource] != nil else { continue }
            report.counter("clusterdns_kubernetes_api_lists_total", help: "Lists (first pages, or streaming lists) started, by resource.",
                           labels: [("resource", resource.rawValue)], value: Double(stats.lists[resource] ?? 0))
            report.counter("clusterdns_kubernetes_api_relists_total", help: "Lists after the first (history expired), by resource.",
                           labels: [("resource", resource.rawValue)], value: Double(stats.relists[resource] ?? 0))
            report.counter("clusterdns_kubernetes_api_watches_total", help: "Watch requests answered, by resource.",
                           labels: [("resource", resource.rawValue)], value: Double(stats.watches[resource] ?? 0))
        }
        report.counter("clusterdns_kubernetes_api_publications_total", help: "Snapshots published from the Kubernetes API.",
                       value: Double(stats.publications))
    }
}

/// The registry could not start: the message names the directory and the reason.
struct KubernetesStartError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
