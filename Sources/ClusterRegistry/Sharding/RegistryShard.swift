import DNSWire

/// Which of the registry's shards an object lives in.
///
/// The registry is cut into `count` shards so that a change rebuilds one shard's snapshot and
/// index, not the cluster's. An object goes to the shard of the *service it belongs to*: a
/// Service by its own name, an EndpointSlice by its `kubernetes.io/service-name`, legacy
/// Endpoints by their name (the service's), a Pod with `hostname` and `subdomain` by the
/// subdomain (the headless service whose endpoints take its hostname), other Pods by their own
/// name. So everything one service's answers need is in one shard, and a query finds that shard
/// from the name it asks: the hash is the one the `kubernetes` plugin computes from the query's
/// `[len]service[len]namespace` labels, case-folded, without a table in between. Namespaces are
/// not sharded (the registry keeps them whole, see `ClusterState`).
public enum RegistryShard {
    /// Bits of the hash that choose the shard; 64 shards keep one shard of a 100 000-service
    /// cluster near 1 600 services, rebuilt in a few milliseconds.
    public static let bits = 6
    public static let count = 1 << bits

    /// The shard of a service key in wire form (`[len]service[len]namespace`, any case).
    @inline(__always)
    public static func of(wireKey: UnsafeRawBufferPointer) -> Int {
        of(hash: WireName.hashIgnoringCase(wireKey))
    }

    /// The shard of a key whose `WireName.hashIgnoringCase` is `hash`.
    @inline(__always)
    public static func of(hash: UInt64) -> Int {
        // The top bits: the plugin's probe tables index by the low bits of the same hash.
        Int(truncatingIfNeeded: hash >> UInt64(64 - bits))
    }

    /// The shard of the service `service` in `namespace`.
    public static func of(namespace: String, service: String) -> Int {
        var key: [UInt8] = []
        key.reserveCapacity(namespace.utf8.count + service.utf8.count + 2)
        appendLabel(service, to: &key)
        appendLabel(namespace, to: &key)
        return key.withUnsafeBytes { of(wireKey: $0) }
    }

    /// The shard of `object`, or nil for a Namespace.
    public static func of(_ object: ClusterObject) -> Int? {
        switch object {
        case .namespace: nil
        case .service(let s): of(namespace: s.namespace, service: s.name)
        case .endpointSlice(let s): of(namespace: s.namespace, service: s.serviceName)
        case .endpoints(let e): of(namespace: e.namespace, service: e.name)
        case .pod(let p): of(pod: p)
        }
    }

    static func of(pod: Pod) -> Int {
        if pod.hostname != nil, let subdomain = pod.subdomain { return of(namespace: pod.namespace, service: subdomain) }
        return of(namespace: pod.namespace, service: pod.name)
    }

    /// A label as the plugin's key holds it; names longer than a label (which the decoder
    /// rejects anyway) are hashed truncated, so every object still has a shard.
    private static func appendLabel(_ label: String, to key: inout [UInt8]) {
        let utf8 = label.utf8.prefix(63)
        key.append(UInt8(utf8.count))
        key.append(contentsOf: utf8)
    }
}

extension ClusterObjects {
    /// These objects split by shard (Namespaces left out: they are not sharded).
    func partitioned() -> [ClusterObjects] {
        var parts = [ClusterObjects](repeating: ClusterObjects(), count: RegistryShard.count)
        for s in services { parts[RegistryShard.of(namespace: s.namespace, service: s.name)].services.append(s) }
        for s in endpointSlices { parts[RegistryShard.of(namespace: s.namespace, service: s.serviceName)].endpointSlices.append(s) }
        for e in endpoints { parts[RegistryShard.of(namespace: e.namespace, service: e.name)].endpoints.append(e) }
        for p in pods { parts[RegistryShard.of(pod: p)].pods.append(p) }
        return parts
    }

    /// The namespaces the objects here live in (not counting Namespace objects).
    var occupiedNamespaces: Set<String> {
        var names = Set<String>()
        for s in services { names.insert(s.namespace) }
        for s in endpointSlices { names.insert(s.namespace) }
        for e in endpoints { names.insert(e.namespace) }
        for p in pods { names.insert(p.namespace) }
        return names
    }
}
