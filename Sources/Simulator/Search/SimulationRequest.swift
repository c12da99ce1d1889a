import DNSWire

/// What to simulate: a name, what the application asks for, and the resolver configuration
/// of the pod it runs in.
public struct SimulationRequest: Sendable {
    /// The name exactly as the application passes it (case, trailing dot).
    public var name: String
    public var kind: LookupKind
    public var resolverKind: StubResolverKind
    public var conf: ResolvConf
    /// The pod's namespace, when known: decides what `autopath` could do.
    public var namespace: String?
    /// The cluster domain (`cluster.local`), without trailing dot.
    public var zone: String

    public init(name: String, kind: LookupKind = .addresses, resolverKind: StubResolverKind = .glibc,
                conf: ResolvConf, namespace: String? = nil, zone: String = "cluster.local") {
        self.name = name
        self.kind = kind
        self.resolverKind = resolverKind
        self.conf = conf
        self.namespace = namespace
        self.zone = ResolvConf.trimmingDots(zone)
    }
}
