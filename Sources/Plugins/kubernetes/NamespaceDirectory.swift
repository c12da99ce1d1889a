import ClusterRegistry
import DNSWire

/// The namespaces the `kubernetes` plugin exposes, for the whole cluster, held once.
///
/// Registry shards hold only the namespaces their own objects occupy, so whether a namespace
/// exists (`<ns>.svc.<zone>` is NODATA, not NXDOMAIN), which namespaces the `namespaces` and
/// `namespace_labels` options expose, and the numbers the pod tables key namespaces by, all come
/// from here. Creating or emptying a namespace rebuilds this table (thousands of entries, a
/// millisecond), not the shards.
struct NamespaceDirectory: Sendable {
    /// `[len]ns` (lowercase) → the namespace's number.
    let table: WireNameTable<Int32>
    /// Exposed namespace name → its number (a position in the sorted exposed list).
    let numbers: [String: Int32]
    /// Per number, the pod search path (`pods verified` only; autopath reads it).
    let searchPaths: [[DomainName]]
    /// The namespace list it was built from (compared to tell whether a state moved it).
    let source: [Namespace]

    /// The exposed namespaces of `namespaces` (sorted by name, as `ClusterState` keeps them).
    init(_ namespaces: [Namespace], config: KubernetesConfig) {
        var table = WireNameTable<Int32>(capacity: namespaces.count)
        var numbers: [String: Int32] = [:]
        numbers.reserveCapacity(namespaces.count)
        var searchPaths: [[DomainName]] = []
        for namespace in namespaces where Self.exposes(namespace, config: config) {
            var key: [UInt8] = []
            guard KubernetesIndex.Builder.appendLabel(namespace.name, to: &key), numbers[namespace.name] == nil else { continue }
            let number = Int32(numbers.count)
            numbers[namespace.name] = number
            table.insert(key, number)
            if config.pods == .verified {
                searchPaths.append(KubernetesIndex.Builder.searchPath(namespace: namespace.name, zone: config.primaryZone))
            }
        }
        self.table = table
        self.numbers = numbers
        self.searchPaths = searchPaths
        self.source = namespaces
    }

    /// Every namespace of a whole snapshot, declared or implied (for an index built straight
    /// from one snapshot: benchmarks, tests).
    init(snapshot: ClusterSnapshot, config: KubernetesConfig) {
        self.init(snapshot.namespaces.map { Namespace(name: $0.name, labels: $0.labels) }, config: config)
    }

    static func exposes(_ namespace: Namespace, config: KubernetesConfig) -> Bool {
        if let allowed = config.namespaces { return allowed.contains(namespace.name) }
        if let selector = config.namespaceLabels { return selector.matches(namespace.labels) }
        return true
    }
}
