/// A discovery.k8s.io/v1 EndpointSlice, stripped.
///
/// Several slices may serve one service (the controller splits at 100 endpoints and by port
/// set); the snapshot merges every slice whose `serviceName` matches.
///
/// Its labels are not kept: nothing answered reads them beyond `kubernetes.io/service-name`
/// (the `kubernetes` plugin's `labels` selector applies to services and pods, and a slice's
/// endpoints go with its service). The controller copies the service's labels onto every
/// slice, so keeping them cost a heap block per slice (64 bytes and up, 13 % of the registry's
/// memory per object at 100 000 services) and a rebuild whenever only they changed.
public struct EndpointSlice: Sendable, Hashable {
    public var namespace: String
    public var name: String
    /// From the label `kubernetes.io/service-name`; a slice without it is skipped with a warning.
    public var serviceName: String
    public var addressType: EndpointAddressType
    public var group: EndpointGroup

    /// The label that ties a slice to its service.
    public static let serviceNameLabel = "kubernetes.io/service-name"

    public init(
        namespace: String, name: String, serviceName: String, addressType: EndpointAddressType,
        ports: [EndpointPort], endpoints: [EndpointAddress]
    ) {
        self.namespace = namespace
        self.name = name
        self.serviceName = serviceName
        self.addressType = addressType
        self.group = EndpointGroup(ports: ports, addresses: endpoints)
    }

    public var identity: ObjectIdentity { ObjectIdentity(kind: .endpointSlice, namespace: namespace, name: name) }
    public var ports: [EndpointPort] { group.ports }
    /// One entry per address (endpoints with several addresses are flattened).
    public var endpoints: [EndpointAddress] { group.addresses }
}

/// `addressType`. FQDN slices are decoded but contribute no addresses (nothing to answer with).
public enum EndpointAddressType: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case ipv4 = "IPv4"
    case ipv6 = "IPv6"
    case fqdn = "FQDN"

    public var description: String { rawValue }
}
