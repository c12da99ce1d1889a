import DNSWire

/// What to simulate: a name, what the application asks for, and the resolver configuration
/// of the pod it runs in.
package struct SimulationRequest: Sendable {
    /// The name exactly as the application passes it (case, trailing dot).
    package var name: String
    package var kind: LookupKind
    package var resolverKind: StubResolverKind
    package var conf: ResolvConf
    /// The pod's namespace, when known: decides what `autopath` could do.
    package var namespace: String?
    /// The cluster domain (`cluster.local`), without trailing dot.
    package var zone: String

    package init(name: String, kind: LookupKind = .addresses, resolverKind: StubResolverKind = .glibc,
                conf: ResolvConf, namespace: String? = nil, zone: String = "cluster.local") {
        self.name = name
        self.kind = kind
        self.resolverKind = resolverKind
        self.conf = conf
        self.namespace = namespace
        self.zone = ResolvConf.trimmingDots(zone)
    }
}
