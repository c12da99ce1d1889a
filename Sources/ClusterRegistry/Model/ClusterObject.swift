/// One decoded object of a kind the registry understands.
public enum ClusterObject: Sendable, Hashable {
    case namespace(Namespace)
    case service(Service)
    case endpointSlice(EndpointSlice)
    case endpoints(Endpoints)
    case pod(Pod)

    public var identity: ObjectIdentity {
        switch self {
        case .namespace(let o): o.identity
        case .service(let o): o.identity
        case .endpointSlice(let o): o.identity
        case .endpoints(let o): o.identity
        case .pod(let o): o.identity
        }
    }

    public var kind: ObjectKind { identity.kind }
}

/// Objects grouped by kind: what one manifest file contributes, or what the synthetic
/// generator builds.
///
/// Kept per kind (not as `[ClusterObject]`) so each array's stride is its own type's size, and
/// so a snapshot can share these arrays with the manifest store instead of copying objects.
public struct ClusterObjects: Sendable, Hashable {
    public var namespaces: [Namespace] = []
    public var services: [Service] = []
    public var endpointSlices: [EndpointSlice] = []
    public var endpoints: [Endpoints] = []
    public var pods: [Pod] = []

    public init() {}

    public init(_ objects: some Sequence<ClusterObject>) {
        for object in objects { append(object) }
    }

    public mutating func append(_ object: ClusterObject) {
        switch object {
        case .namespace(let o): namespaces.append(o)
        case .service(let o): services.append(o)
        case .endpointSlice(let o): endpointSlices.append(o)
        case .endpoints(let o): endpoints.append(o)
        case .pod(let o): pods.append(o)
        }
    }

    /// Gives back what appending left unused (an array doubles its capacity as it grows), for
    /// arrays a store keeps for as long as their file is unchanged: up to half of each would
    /// otherwise be empty slots.
    mutating func trimCapacity() {
        Self.trim(&namespaces)
        Self.trim(&services)
        Self.trim(&endpointSlices)
        Self.trim(&endpoints)
        Self.trim(&pods)
    }

    private static func trim<Element>(_ array: inout [Element]) {
        guard array.capacity - array.count > max(1, array.count / 16) else { return }
        let exact = [Element](unsafeUninitializedCapacity: array.count) { buffer, count in
            count = buffer.initialize(fromContentsOf: array)
        }
        array = exact
    }

    public var count: Int {
        namespaces.count + services.count + endpointSlices.count + endpoints.count + pods.count
    }

    public var isEmpty: Bool { count == 0 }

    /// Every object, kind by kind.
    public var all: [ClusterObject] {
        namespaces.map(ClusterObject.namespace) + services.map(ClusterObject.service)
            + endpointSlices.map(ClusterObject.endpointSlice) + endpoints.map(ClusterObject.endpoints)
            + pods.map(ClusterObject.pod)
    }
}
