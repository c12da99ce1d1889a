/// How many objects of each kind a snapshot serves (after duplicates are resolved).
public struct ObjectCounts: Sendable, Hashable, CustomStringConvertible {
    public var namespaces = 0
    /// Namespaces implied by objects in them without a Namespace manifest of their own.
    public var impliedNamespaces = 0
    public var services = 0
    public var endpointSlices = 0
    public var endpoints = 0
    public var pods = 0
    /// Endpoint addresses across every slice and legacy subset attached to a service.
    public var endpointAddresses = 0

    public init() {}

    public subscript(kind: ObjectKind) -> Int {
        switch kind {
        case .namespace: namespaces
        case .service: services
        case .endpointSlice: endpointSlices
        case .endpoints: endpoints
        case .pod: pods
        }
    }

    public var description: String {
        "\(namespaces) namespaces (\(impliedNamespaces) implied), \(services) services, \(endpointSlices) endpoint slices, "
            + "\(endpoints) endpoints, \(pods) pods, \(endpointAddresses) endpoint addresses"
    }
}

/// A namespace as the snapshot knows it: declared by a Namespace manifest, or implied because
/// objects live in it (a real cluster cannot hold objects in a namespace that does not exist).
public struct NamespaceInfo: Sendable, Hashable {
    public let name: String
    public let labels: Labels
    /// False when no Namespace object declared it.
    public let isDeclared: Bool
    /// The namespace's services, a contiguous run of the snapshot's service order.
    public let services: Range<Int32>
    /// The namespace's pods, a contiguous run of the snapshot's pod order.
    public let pods: Range<Int32>
}
