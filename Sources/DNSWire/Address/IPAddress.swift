/// An IPv4 or IPv6 address: Kubernetes objects carry both families in one list (`podIPs`,
/// `clusterIPs`, EndpointSlice addresses).
public enum IPAddress: Hashable, Comparable, Sendable, CustomStringConvertible {
    case v4(IPv4Address)
    case v6(IPv6Address)

    /// Parses either family's text form.
    public init?(_ text: some StringProtocol) {
        if let v4 = IPv4Address(text) {
            self = .v4(v4)
        } else if let v6 = IPv6Address(text) {
            self = .v6(v6)
        } else {
            return nil
        }
    }

    public var description: String {
        switch self {
        case .v4(let a): a.description
        case .v6(let a): a.description
        }
    }

    /// The record type that carries this address.
    public var recordType: RecordType {
        switch self {
        case .v4: .a
        case .v6: .aaaa
        }
    }

    /// The A or AAAA RDATA for this address.
    public var rdata: RData {
        switch self {
        case .v4(let a): .a(a)
        case .v6(let a): .aaaa(a)
        }
    }

    /// The name whose PTR record maps this address back (RFC 1035 §3.5, RFC 3596 §2.5).
    public var reverseName: DomainName {
        switch self {
        case .v4(let a): a.reverseName
        case .v6(let a): a.reverseName
        }
    }

    /// The address a fully specified reverse name stands for: four labels under `in-addr.arpa.`
    /// or 32 nibble labels under `ip6.arpa.`; nil for anything else (shorter names are reverse
    /// *zones*, not addresses).
    public init?(reverseName name: DomainName) {
        let labels = name.labels.map { String(decoding: $0, as: UTF8.self).lowercased() }
        if labels.count == 6, labels[4] == "in-addr", labels[5] == "arpa" {
            var octets: [UInt8] = []
            for label in labels[0..<4].reversed() {
                guard let v = UInt8(label), String(v) == label else { return nil }
                octets.append(v)
            }
            self = .v4(IPv4Address(octets[0], octets[1], octets[2], octets[3]))
        } else if labels.count == 34, labels[32] == "ip6", labels[33] == "arpa" {
            var high: UInt64 = 0
            var low: UInt64 = 0
            for (i, label) in labels[0..<32].reversed().enumerated() {
                guard label.utf8.count == 1, let nibble = UInt64(label, radix: 16) else { return nil }
                if i < 16 { high = high << 4 | nibble } else { low = low << 4 | nibble }
            }
            self = .v6(IPv6Address(high: high, low: low))
        } else {
            return nil
        }
    }
}

extension IPv4Address {
    /// `d.c.b.a.in-addr.arpa.`
    public var reverseName: DomainName {
        let o = octets
        var wire: [UInt8] = []
        for octet in [o.3, o.2, o.1, o.0] {
            let text = Array(String(octet).utf8)
            wire.append(UInt8(text.count))
            wire.append(contentsOf: text)
        }
        wire += [7] + Array("in-addr".utf8) + [4] + Array("arpa".utf8) + [0]
        return DomainName(uncheckedWire: wire)
    }
}

extension IPv6Address {
    /// The 32 nibbles, least significant first, under `ip6.arpa.`.
    public var reverseName: DomainName {
        let digits = Array("0123456789abcdef".utf8)
        var wire: [UInt8] = []
        wire.reserveCapacity(64 + 10)
        for half in [low, high] {
            var v = half
            for _ in 0..<16 {
                wire.append(1)
                wire.append(digits[Int(v & 0xF)])
                v >>= 4
            }
        }
        wire += [3] + Array("ip6".utf8) + [4] + Array("arpa".utf8) + [0]
        return DomainName(uncheckedWire: wire)
    }
}
