import DNSWire

/// A position in a snapshot's service order. Valid only with the snapshot that produced it.
public struct ServiceID: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }
    public static func < (lhs: ServiceID, rhs: ServiceID) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { "service#\(rawValue)" }
}

/// Where a service's endpoints came from.
public enum EndpointOrigin: Sendable, Hashable, CustomStringConvertible {
    /// The EndpointSlice of this name.
    case endpointSlice(name: String)
    /// Subset number `subset` of the legacy Endpoints object named like the service (used only
    /// when the service has no EndpointSlice at all).
    case endpoints(subset: Int)

    public var description: String {
        switch self {
        case .endpointSlice(let name): "EndpointSlice/\(name)"
        case .endpoints(let subset): "Endpoints subsets[\(subset)]"
        }
    }
}

/// One address of a service, merged from all its slices, with what the answer needs resolved:
/// the readiness after the service's rules and the port list of its slice.
public struct ServiceEndpoint: Sendable, Hashable {
    public let service: ServiceID
    public let endpoint: EndpointAddress
    /// The ports of the slice (or subset) this address is in; SRV answers of headless services
    /// use these ports. Shared, not copied.
    public let ports: [EndpointPort]
    /// What DNS treats as ready: the `ready` condition (absent = ready), or always true for a
    /// service that publishes not-ready addresses.
    public let isReady: Bool
    public let origin: EndpointOrigin

    public var address: IPAddress { endpoint.address }

    /// The endpoint's DNS label, by CoreDNS's rule (`endpointHostname`): the `hostname`; else,
    /// with `endpoint_pod_names`, the target pod's name when shorter than 64 characters; else
    /// the address with `.` or `:` replaced by `-` (an IPv6 form ending in `-` gets a `0`).
    public func name(usingPodNames: Bool) -> String {
        if let hostname = endpoint.hostname { return hostname }
        if usingPodNames, let pod = endpoint.targetRef?.name, !pod.isEmpty, pod.utf8.count < 64 { return pod }
        return Self.dashedName(endpoint.address)
    }

    /// `10-244-1-5` for 10.244.1.5; `fd00-10-244--0` for fd00:10:244::.
    public static func dashedName(_ address: IPAddress) -> String {
        switch address {
        case .v4:
            return String(address.description.map { $0 == "." ? "-" : $0 })
        case .v6:
            let dashed = String(address.description.map { $0 == ":" ? "-" : $0 })
            return dashed.hasSuffix("-") ? dashed + "0" : dashed
        }
    }
}

/// The merged endpoints of one service, in slice-name order then address order.
/// Iterating allocates nothing beyond the `ServiceEndpoint` values themselves.
public struct ServiceEndpoints: Sequence, Sendable {
    let snapshot: ClusterSnapshot
    let service: ServiceID
    let groups: Range<Int>
    let publishesNotReady: Bool

    public struct Iterator: IteratorProtocol {
        let endpoints: ServiceEndpoints
        var group: Int
        var index = 0

        public mutating func next() -> ServiceEndpoint? {
            let all = endpoints.snapshot.groups
            while group < endpoints.groups.upperBound {
                let entry = all[group]
                if index < entry.group.addresses.count {
                    let address = entry.group.addresses[index]
                    index += 1
                    return ServiceEndpoint(
                        service: endpoints.service, endpoint: address, ports: entry.group.ports,
                        isReady: endpoints.publishesNotReady || address.conditions.isReady, origin: entry.origin)
                }
                group += 1
                index = 0
            }
            return nil
        }
    }

    public func makeIterator() -> Iterator { Iterator(endpoints: self, group: groups.lowerBound) }

    /// The groups (slices or legacy subsets) behind these endpoints, with their origin.
    public var groupsWithOrigin: [(origin: EndpointOrigin, group: EndpointGroup)] {
        snapshot.groups[groups].map { ($0.origin, $0.group) }
    }

    /// Number of addresses, ready or not. - Complexity: O(number of slices).
    public var count: Int { snapshot.groups[groups].reduce(0) { $0 + $1.group.addresses.count } }

    /// Only the ready ones (what A/AAAA of a headless service and PTR answer with).
    public var ready: [ServiceEndpoint] { filter(\.isReady) }
}

/// A service's endpoint group inside a snapshot.
struct EndpointGroupEntry: Sendable {
    let group: EndpointGroup
    let service: Int32
    let origin: EndpointOrigin
}

/// A packed (group, address) position: 8 bytes per indexed endpoint address.
struct EndpointPosition: Sendable, Hashable {
    let raw: UInt64
    init(group: Int, address: Int) { raw = UInt64(UInt32(truncatingIfNeeded: group)) << 32 | UInt64(UInt32(truncatingIfNeeded: address)) }
    var group: Int { Int(raw >> 32) }
    var address: Int { Int(raw & 0xFFFF_FFFF) }
}
