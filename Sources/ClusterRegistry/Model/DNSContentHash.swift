import DNSWire

// Hashes of the DNS-relevant content of each object, for the SOA serial rule (CoreDNS §2.5):
// an update counts as a change only when what DNS can answer changed (IPs, hostnames, ports,
// readiness, names, labels that a `labels` selector could test), not when a status timestamp or
// a node name did. Swift's `Hasher` is seeded per process, so these values are only compared
// within one process (old snapshot against new), never stored.
//
// Strings are fed as raw UTF-8 bytes: `String`'s own `Hashable` is Unicode-aware and several
// times slower, and Kubernetes names are ASCII anyway.

extension Hasher {
    @inline(__always)
    mutating func combineText(_ s: String) {
        var s = s
        s.withUTF8 { bytes in
            combine(bytes.count)
            combine(bytes: UnsafeRawBufferPointer(bytes))
        }
    }

    @inline(__always)
    mutating func combineText(_ s: String?) {
        if let s {
            combine(true)
            combineText(s)
        } else {
            combine(false)
        }
    }

    @inline(__always)
    mutating func combineAddress(_ address: IPAddress) {
        switch address {
        case .v4(let a):
            combine(a.rawValue)
        case .v6(let a):
            combine(a.high)
            combine(a.low)
        }
    }

    mutating func combineLabels(_ labels: Labels) {
        combine(labels.count)
        for pair in labels {
            combineText(pair.key)
            combineText(pair.value)
        }
    }
}

extension Service {
    func hashDNSContent(into hasher: inout Hasher) {
        hasher.combine(ObjectKind.service)
        hasher.combineText(namespace)
        hasher.combineText(name)
        hasher.combine(type)
        hasher.combine(isHeadless)
        for address in clusterIPs { hasher.combineAddress(address) }
        hasher.combine(externalName.map { $0.lowercased().wire })
        hasher.combine(ports.count)
        for port in ports {
            hasher.combineText(port.name)
            hasher.combine(port.protocol)
            hasher.combine(port.port)
        }
        hasher.combine(publishesNotReadyAddresses)
        hasher.combineLabels(labels)
    }
}

extension EndpointGroup {
    func hashDNSContent(into hasher: inout Hasher) {
        hasher.combine(ports.count)
        for port in ports {
            hasher.combineText(port.name)
            hasher.combine(port.protocol)
            hasher.combine(port.port)
        }
        hasher.combine(addresses.count)
        for a in addresses {
            hasher.combineAddress(a.address)
            hasher.combine(a.conditions.isReady)
            hasher.combineText(a.hostname)
            hasher.combineText(a.targetRef?.name)
            hasher.combineText(a.location?.zone)
        }
    }
}

extension EndpointSlice {
    func hashDNSContent(into hasher: inout Hasher) {
        hasher.combine(ObjectKind.endpointSlice)
        hasher.combineText(namespace)
        hasher.combineText(name)
        hasher.combineText(serviceName)
        hasher.combine(addressType)
        group.hashDNSContent(into: &hasher)
    }
}

extension Endpoints {
    func hashDNSContent(into hasher: inout Hasher) {
        hasher.combine(ObjectKind.endpoints)
        hasher.combineText(namespace)
        hasher.combineText(name)
        hasher.combine(subsets.count)
        for subset in subsets { subset.hashDNSContent(into: &hasher) }
    }
}

extension Pod {
    func hashDNSContent(into hasher: inout Hasher) {
        hasher.combine(ObjectKind.pod)
        hasher.combineText(namespace)
        hasher.combineText(name)
        for address in ips { hasher.combineAddress(address) }
        hasher.combine(isServable)
        // `pods verified` leaves out pods being deleted; hostname + subdomain name endpoints.
        hasher.combine(isTerminating)
        hasher.combineText(hostname)
        hasher.combineText(subdomain)
        hasher.combineLabels(labels)
    }
}

extension Namespace {
    func hashDNSContent(into hasher: inout Hasher) {
        hasher.combine(ObjectKind.namespace)
        hasher.combineText(name)
        hasher.combineLabels(labels)
    }
}

/// An order-independent digest of a set of objects: the wrapping sum of their content hashes.
///
/// Order independence matters because the same objects can move between files (or documents)
/// without any DNS-visible change, and because it lets a source's digest be computed once when
/// the source changes and summed with the others at every rebuild (duplicates that lose are
/// subtracted back out).
struct DNSContentDigest: Hashable, Sendable {
    private(set) var value: UInt64 = 0

    mutating func add(_ hash: UInt64) { value &+= hash }
    mutating func remove(_ hash: UInt64) { value &-= hash }

    static func hash(_ body: (inout Hasher) -> Void) -> UInt64 {
        var hasher = Hasher()
        body(&hasher)
        return UInt64(bitPattern: Int64(hasher.finalize()))
    }
}

extension ClusterObjects {
    /// The content hash of the object of `kind` at `index`.
    func dnsHash(of kind: ObjectKind, at index: Int) -> UInt64 {
        switch kind {
        case .namespace: DNSContentDigest.hash(namespaces[index].hashDNSContent)
        case .service: DNSContentDigest.hash(services[index].hashDNSContent)
        case .endpointSlice: DNSContentDigest.hash(endpointSlices[index].hashDNSContent)
        case .endpoints: DNSContentDigest.hash(endpoints[index].hashDNSContent)
        case .pod: DNSContentDigest.hash(pods[index].hashDNSContent)
        }
    }

    /// The digest of every object here.
    func dnsDigest() -> UInt64 {
        var digest = DNSContentDigest()
        for i in namespaces.indices { digest.add(dnsHash(of: .namespace, at: i)) }
        for i in services.indices { digest.add(dnsHash(of: .service, at: i)) }
        for i in endpointSlices.indices { digest.add(dnsHash(of: .endpointSlice, at: i)) }
        for i in endpoints.indices { digest.add(dnsHash(of: .endpoints, at: i)) }
        for i in pods.indices { digest.add(dnsHash(of: .pod, at: i)) }
        return digest.value
    }
}
