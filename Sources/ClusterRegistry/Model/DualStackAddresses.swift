import DNSWire

/// At most one IPv4 and one IPv6 address, in the order the object listed them.
///
/// Kubernetes allows exactly this shape for `spec.clusterIPs` and `status.podIPs` (one address
/// per family, the first being the primary family), so it is stored inline — 32 bytes instead
/// of an array's 8-byte reference plus a 56-byte heap buffer per object.
public struct DualStackAddresses: Sendable, Hashable, RandomAccessCollection {
    public private(set) var ipv4: IPv4Address?
    public private(set) var ipv6: IPv6Address?
    /// True when the IPv6 address was listed first (IPv6-primary dual stack).
    public private(set) var ipv6First: Bool

    public static let none = DualStackAddresses(ipv4: nil, ipv6: nil, ipv6First: false)

    public init(ipv4: IPv4Address?, ipv6: IPv6Address?, ipv6First: Bool = false) {
        self.ipv4 = ipv4
        self.ipv6 = ipv6
        self.ipv6First = ipv6First && ipv4 != nil && ipv6 != nil
    }

    /// Collects `addresses` in order; returns nil when two share a family, which the API server
    /// rejects for clusterIPs and podIPs alike.
    public init?(_ addresses: some Sequence<IPAddress>) {
        var v4: IPv4Address?
        var v6: IPv6Address?
        var sixFirst = false
        for address in addresses {
            switch address {
            case .v4(let a):
                guard v4 == nil else { return nil }
                v4 = a
            case .v6(let a):
                guard v6 == nil else { return nil }
                if v4 == nil { sixFirst = true }
                v6 = a
            }
        }
        self.init(ipv4: v4, ipv6: v6, ipv6First: sixFirst)
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { (ipv4 == nil ? 0 : 1) + (ipv6 == nil ? 0 : 1) }

    public subscript(position: Int) -> IPAddress {
        precondition(position >= 0 && position < endIndex, "DualStackAddresses index out of range")
        switch (ipv4, ipv6) {
        case (let v4?, let v6?):
            return (position == 0) != ipv6First ? .v4(v4) : .v6(v6)
        case (let v4?, nil):
            return .v4(v4)
        case (nil, let v6?):
            return .v6(v6)
        case (nil, nil):
            preconditionFailure("DualStackAddresses is empty")
        }
    }

    /// The primary (first listed) address.
    public var primary: IPAddress? { isEmpty ? nil : self[0] }

    public func contains(_ address: IPAddress) -> Bool {
        switch address {
        case .v4(let a): ipv4 == a
        case .v6(let a): ipv6 == a
        }
    }
}
