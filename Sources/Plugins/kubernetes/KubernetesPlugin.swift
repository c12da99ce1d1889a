import ClusterRegistry
import CSystem
import DNSWire
import Foundation
import Logging
import Synchronization

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
    public let indexes = SnapshotCell<KubernetesIndex>()
    let source = Mutex<ManifestDirectorySource?>(nil)
    let subscription = Mutex<SnapshotSubscription?>(nil)
    let localAddresses = Mutex<[IPAddress]>([])
    let statistics = Mutex<BuildStatistics>(BuildStatistics())

    struct BuildStatistics {
        var builds: UInt64 = 0
        var lastBuildSeconds: Double = 0
        var lastSnapshot: ClusterSnapshot?
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
        let path = URL(fileURLWithPath: config.manifests).standardizedFileURL.path
        let registry = try server.shared("manifests:" + path) { () throws -> ManifestDirectorySource in
            let made = ManifestDirectorySource(path: path)
            do {
                let snapshot = try made.start()
                server.logger.info("registry loaded", metadata: [
                    "manifests": .string(path), "objects": .string(snapshot.counts.description),
                    "issues": .stringConvertible(snapshot.issues.count),
                ])
                for issue in snapshot.issues { server.logger.warning("\(issue)") }
            } catch {
                throw KubernetesStartError(message: "plugin/kubernetes: manifests \(path): \(error)")
            }
            return made
        }
        source.withLock { $0 = registry }
        localAddresses.withLock { $0 = KubernetesPlugin.ownAddresses(server.listeners) }
        guard let snapshot = registry.snapshots.load() else {
            throw KubernetesStartError(message: "plugin/kubernetes: manifests \(path) produced no snapshot")
        }
        rebuild(snapshot)
        let logger = server.logger
        let token = registry.snapshots.subscribe { [weak self] snapshot in
            guard let self else { return }
            self.rebuild(snapshot)
            for issue in snapshot.errors { logger.error("\(issue)") }
        }
        subscription.withLock { $0 = token }
    }

    public func stop() {
        let token = subscription.withLock { value -> SnapshotSubscription? in
            defer { value = nil }
            return value
        }
        if let token, let registry = source.withLock({ $0 }) { registry.snapshots.unsubscribe(token) }
    }

    /// Builds and publishes the index for `snapshot` (on the registry's thread). A snapshot
    /// whose DNS content equals the last one's (a file touched, a node name changed) keeps the
    /// current index: it would answer every question the same way.
    func rebuild(_ snapshot: ClusterSnapshot) {
        if let last = statistics.withLock({ $0.lastSnapshot }), indexes.load() != nil, snapshot.hasSameDNSContent(as: last) {
            statistics.withLock { $0.lastSnapshot = snapshot }
            return
        }
        let started = monotonicNanoseconds()
        let index = KubernetesIndex.build(snapshot: snapshot, config: config, loaded: true,
                                          localAddresses: localAddresses.withLock { $0 })
        indexes.publish(index)
        let seconds = Double(monotonicNanoseconds() &- started) / 1e9
        statistics.withLock {
            $0.builds += 1
            $0.lastBuildSeconds = seconds
            $0.lastSnapshot = snapshot
        }
    }

    public var notReadyReason: String? {
        indexes.load() == nil ? "registry not loaded" : nil
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
            var list: UnsafeMutablePointer<ifaddrs>?
            if getifaddrs(&list) == 0 {
                var cursor = list
                while let entry = cursor {
                    defer { cursor = entry.pointee.ifa_next }
                    guard let address = entry.pointee.ifa_addr else { continue }
                    if Int32(address.pointee.sa_family) == AF_INET {
                        let raw = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt32(bigEndian: $0.pointee.sin_addr.s_addr) }
                        let ip = IPAddress.v4(IPv4Address(rawValue: raw))
                        if raw >> 24 != 127 && !result.contains(ip) { result.append(ip) }
                    }
                }
                freeifaddrs(list)
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
        guard config.pods == .verified, let index = indexes.load(), let ns = index.clientNamespaces[address] else { return nil }
        return index.searchPaths[Int(ns)]
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
        report.counter("clusterdns_kubernetes_index_builds_total", help: "Answer indexes built from registry snapshots.",
                       value: Double(stats.builds))
        report.gauge("clusterdns_kubernetes_index_build_seconds", help: "How long the last answer index took to build.",
                     value: stats.lastBuildSeconds)
    }
}

/// The registry could not start: the message names the directory and the reason.
struct KubernetesStartError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
