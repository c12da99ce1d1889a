/// The Kubernetes kinds the registry understands; everything else is counted and skipped.
///
/// A closed enum on purpose: a kind added here needs a decoder, an index and a digest, so the
/// compiler should list every switch that must learn about it.
public enum ObjectKind: String, Sendable, Hashable, CaseIterable, Comparable, CustomStringConvertible {
    case namespace = "Namespace"
    case service = "Service"
    case endpointSlice = "EndpointSlice"
    case endpoints = "Endpoints"
    case pod = "Pod"

    /// The `apiVersion` values accepted for this kind. Kubernetes serves each of these kinds at
    /// exactly one stable version today (`discovery.k8s.io/v1beta1` was removed in 1.25).
    public var apiVersions: [String] {
        switch self {
        case .endpointSlice: ["discovery.k8s.io/v1"]
        default: ["v1"]
        }
    }

    /// Namespaces are cluster-scoped; every other kind lives in a namespace.
    public var isNamespaced: Bool { self != .namespace }

    public var description: String { rawValue }

    public static func < (lhs: ObjectKind, rhs: ObjectKind) -> Bool {
        lhs.sortOrder < rhs.sortOrder
    }

    private var sortOrder: Int {
        switch self {
        case .namespace: 0
        case .service: 1
        case .endpointSlice: 2
        case .endpoints: 3
        case .pod: 4
        }
    }
}

/// What makes two manifest objects "the same object": kind, namespace and name, as the API
/// server keys them. Used for last-good-state fallback and for duplicate detection across files.
public struct ObjectIdentity: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var kind: ObjectKind
    /// Empty for cluster-scoped kinds (Namespace).
    public var namespace: String
    public var name: String

    public init(kind: ObjectKind, namespace: String, name: String) {
        self.kind = kind
        self.namespace = namespace
        self.name = name
    }

    /// `Service/production/web-app`, or `Namespace/production` for cluster-scoped objects.
    public var description: String {
        namespace.isEmpty ? "\(kind)/\(name)" : "\(kind)/\(namespace)/\(name)"
    }

    public static func < (lhs: ObjectIdentity, rhs: ObjectIdentity) -> Bool {
        if lhs.kind != rhs.kind { return lhs.kind < rhs.kind }
        if lhs.namespace != rhs.namespace { return lhs.namespace < rhs.namespace }
        return lhs.name < rhs.name
    }
}
