/// Makes equal strings and label sets share one heap buffer.
///
/// Node names, zones, port names, label keys and values and whole port or label lists repeat
/// across thousands of objects; interning them on decode is most of what keeps the registry
/// under 300 bytes per object. Strings of up to 15 UTF-8 bytes are stored inline by Swift and
/// are returned as they are. The tables only grow; their owner (the manifest store, the API
/// store) starts a fresh one when it holds far more values than there are objects, which bounds
/// it under churn.
///
/// Not thread-safe: one decoder thread owns it.
final class StringInterner {
    private var strings: Set<String> = []
    private var labelSets: Set<Labels> = []
    private var servicePortLists: Set<[ServicePort]> = []
    private var endpointPortLists: Set<[EndpointPort]> = []
    private var locations: Set<EndpointLocation> = []
    private var scopes: Set<ReferenceScope> = []

    /// Below this many values an owner never starts a fresh interner (see `ManifestStore`).
    static let floor = 65_536

    /// Swift keeps strings of at most this many UTF-8 bytes inline (no heap buffer to share).
    private static let smallStringCapacity = 15

    func intern(_ s: String) -> String {
        guard s.utf8.count > Self.smallStringCapacity else { return s }
        return strings.insert(s).memberAfterInsert
    }

    func intern(_ s: String?) -> String? { s.map { intern($0) } }

    func intern(_ labels: Labels) -> Labels {
        guard !labels.isEmpty else { return .empty }
        return labelSets.insert(labels).memberAfterInsert
    }

    func intern(_ ports: [ServicePort]) -> [ServicePort] {
        guard !ports.isEmpty else { return [] }
        return servicePortLists.insert(ports).memberAfterInsert
    }

    func intern(_ ports: [EndpointPort]) -> [EndpointPort] {
        guard !ports.isEmpty else { return [] }
        return endpointPortLists.insert(ports).memberAfterInsert
    }

    func location(nodeName: String?, zone: String?) -> EndpointLocation? {
        guard nodeName != nil || zone != nil else { return nil }
        return locations.insert(EndpointLocation(nodeName: intern(nodeName), zone: intern(zone))).memberAfterInsert
    }

    func scope(kind: String, namespace: String) -> ReferenceScope {
        scopes.insert(ReferenceScope(kind: intern(kind), namespace: intern(namespace))).memberAfterInsert
    }

    /// Number of distinct interned values (for tests and memory reports).
    var count: Int { strings.count + labelSets.count + servicePortLists.count + endpointPortLists.count + locations.count + scopes.count }
}
