import DNSWire

// Hashes of the DNS-relevant content of each object, for the SOA serial rule (CoreDNS §2.5):
// an update counts as a change only when what DNS can answer changed (IPs, hostnames, ports,
// readiness, names, labels that a `labels` selector could test), not when a status timestamp or
// a node name did. Swift's `Hasher` is seeded per process, so these values are only compared
// within one process (old snapshot against new), never stored.

extension Service {
    func hashDNSContent(into hasher: inout Hasher) {
        hasher.combine(ObjectKind.service)
        hasher.combine(namespace)
        hasher.combine(name)
        hasher.combine(type)
        hasher.combine(isHeadless)
        hasher.combine(clusterIPs)
        hasher.combine(externalName.map { $0.lowercased().wire })
        hasher.combine(ports.count)
        for port in ports {
            hasher.combine(port.name)
            hasher.combine(port.protocol)
            hasher.combine(port.port)
        }
        hasher.combine(publishesNotReadyAddresses)
        hasher.combine(labels)
    }
}

extension EndpointGroup {
    func hashDNSContent(into hasher: inout Hasher) {
        hasher.combine(ports)
        hasher.combine(addresses.count)
        for a in addresses {
            hasher.combine(a.address)
            hasher.combine(a.conditions.isReady)
            hasher.combine(a.hostname)
            hasher.combine(a.targetRef?.name)
            hasher.combine(a.zone)
        }
    }
}

extension EndpointSlice {
    func hashDNSContent(into hasher: inout Hasher) {
        hasher.combine(ObjectKind.endpointSlice)
        hasher.combine(namespace)
        hasher.combine(name)
        hasher.combine(serviceName)
        hasher.combine(addressType)
        group.hashDNSContent(into: &hasher)
        hasher.combine(labels)
    }
}

extension Endpoints {
    func hashDNSContent(into hasher: inout Hasher) {
        hasher.combine(ObjectKind.endpoints)
        hasher.combine(namespace)
        hasher.combine(name)
        hasher.combine(subsets.count)
        for subset in subsets { subset.hashDNSContent(into: &hasher) }
        hasher.combine(labels)
    }
}

extension Pod {
    func hashDNSContent(into hasher: inout Hasher) {
        hasher.combine(ObjectKind.pod)
        hasher.combine(namespace)
        hasher.combine(name)
        hasher.combine(ips)
        hasher.combine(isServable)
        hasher.combine(labels)
    }
}

extension Namespace {
    func hashDNSContent(into hasher: inout Hasher) {
        hasher.combine(ObjectKind.namespace)
        hasher.combine(name)
        hasher.combine(labels)
    }
}

/// An order-independent digest of a set of objects: the wrapping sum of their content hashes.
///
/// Order independence matters because the same objects can move between files (or documents)
/// without any DNS-visible change, and because summing needs no sort.
struct DNSContentDigest: Hashable, Sendable {
    private(set) var value: UInt64 = 0

    mutating func add(_ body: (inout Hasher) -> Void) {
        var hasher = Hasher()
        body(&hasher)
        value &+= UInt64(bitPattern: Int64(hasher.finalize()))
    }
}
