import DNSWire

/// A v1 Service stripped to what DNS answers and `clusterdns explain` need.
///
/// Invariants established by the decoder: `name` is an RFC 1035 label and `namespace` an
/// RFC 1123 label (both lowercase, so lookups lowercase the query and compare bytes);
/// `clusterIPs` holds at most one address per family and is empty for headless and
/// ExternalName services; `externalName` is set only for `type: ExternalName`.
public struct Service: Sendable, Hashable {
    public var namespace: String
    public var name: String
    public var type: ServiceType
    /// True for `clusterIP: None`. Headless services answer with their ready endpoints.
    public var isHeadless: Bool
    /// `spec.clusterIPs` (falling back to `spec.clusterIP`), in the order given.
    public var clusterIPs: DualStackAddresses
    /// The CNAME target of an ExternalName service; nil otherwise, and nil when the manifest
    /// gave an IP address there (CoreDNS serves no CNAME for that either).
    public var externalName: DomainName?
    public var ports: [ServicePort]
    public var publishNotReadyAddresses: Bool
    /// The legacy annotation `service.alpha.kubernetes.io/tolerate-unready-endpoints: "true"`,
    /// which the DNS specification still names as making every address ready.
    public var toleratesUnreadyEndpoints: Bool
    /// `spec.selector`; nil for a service without selector (manually managed endpoints).
    public var selector: Labels?
    public var labels: Labels

    public init(
        namespace: String, name: String, type: ServiceType = .clusterIP, isHeadless: Bool = false,
        clusterIPs: DualStackAddresses = .none, externalName: DomainName? = nil, ports: [ServicePort] = [],
        publishNotReadyAddresses: Bool = false, toleratesUnreadyEndpoints: Bool = false,
        selector: Labels? = nil, labels: Labels = .empty
    ) {
        self.namespace = namespace
        self.name = name
        self.type = type
        self.isHeadless = isHeadless
        self.clusterIPs = clusterIPs
        self.externalName = externalName
        self.ports = ports
        self.publishNotReadyAddresses = publishNotReadyAddresses
        self.toleratesUnreadyEndpoints = toleratesUnreadyEndpoints
        self.selector = selector
        self.labels = labels
    }

    public var identity: ObjectIdentity { ObjectIdentity(kind: .service, namespace: namespace, name: name) }

    /// True when every endpoint address counts as ready whatever its condition says: the
    /// tolerate-unready annotation (DNS spec §2.1) or `publishNotReadyAddresses` (for which the
    /// EndpointSlice controller sets `ready: true` anyway; honoured here too so hand-written
    /// manifests behave like a real cluster).
    public var publishesNotReadyAddresses: Bool { publishNotReadyAddresses || toleratesUnreadyEndpoints }
}

/// `spec.type`. ExternalName is the only type without cluster IPs; NodePort and LoadBalancer
/// services have a cluster IP and answer exactly like ClusterIP ones.
public enum ServiceType: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case clusterIP = "ClusterIP"
    case nodePort = "NodePort"
    case loadBalancer = "LoadBalancer"
    case externalName = "ExternalName"

    public var description: String { rawValue }
}

/// One entry of `spec.ports`.
public struct ServicePort: Sendable, Hashable {
    /// Nil for an unnamed port (allowed only when the service has a single port); unnamed
    /// ports have no `_port._proto` SRV name.
    public var name: String?
    public var `protocol`: TransportProtocol
    public var port: UInt16
    public var targetPort: TargetPort?

    public init(name: String?, protocol: TransportProtocol = .tcp, port: UInt16, targetPort: TargetPort? = nil) {
        self.name = name
        self.protocol = `protocol`
        self.port = port
        self.targetPort = targetPort
    }
}

/// `targetPort`: a number or the name of a container port (Kubernetes' IntOrString).
public enum TargetPort: Sendable, Hashable, CustomStringConvertible {
    case number(UInt16)
    case name(String)

    public var description: String {
        switch self {
        case .number(let n): String(n)
        case .name(let s): s
        }
    }
}
