import DNSWire

/// An IPv4 or IPv6 network (`10.9.20.0/24`, `2001:db8::/32`), for `loadbalance … { prefer }`.
public struct AddressPrefix: Sendable, Equatable, CustomStringConvertible {
    public enum Network: Sendable, Equatable {
        case v4(UInt32, mask: UInt32)
        case v6(high: UInt64, low: UInt64, maskHigh: UInt64, maskLow: UInt64)
    }

    public let network: Network
    public let length: Int
    public let text: String

    /// Parses `ADDRESS/LENGTH`; nil for anything else (a bare address, a length out of range).
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let length = Int(parts[1]), let address = IPAddress(parts[0]) else { return nil }
        switch address {
        case .v4(let a):
            guard (0...32).contains(length) else { return nil }
            let mask: UInt32 = length == 0 ? 0 : ~0 << UInt32(32 - length)
            network = .v4(a.rawValue & mask, mask: mask)
        case .v6(let a):
            guard (0...128).contains(length) else { return nil }
            let maskHigh: UInt64 = length == 0 ? 0 : (length >= 64 ? ~0 : ~0 << UInt64(64 - length))
            let maskLow: UInt64 = length <= 64 ? 0 : (length == 128 ? ~0 : ~0 << UInt64(128 - length))
            network = .v6(high: a.high & maskHigh, low: a.low & maskLow, maskHigh: maskHigh, maskLow: maskLow)
        }
        self.length = length
        self.text = text
    }

    public var description: String { text }

    /// True when the IPv4 address (as on the wire, big-endian value) is in this network.
    @inline(__always)
    public func contains(v4 address: UInt32) -> Bool {
        guard case .v4(let base, let mask) = network else { return false }
        return address & mask == base
    }

    /// True when the IPv6 address is in this network.
    @inline(__always)
    public func contains(v6High high: UInt64, low: UInt64) -> Bool {
        guard case .v6(let baseHigh, let baseLow, let maskHigh, let maskLow) = network else { return false }
        return high & maskHigh == baseHigh && low & maskLow == baseLow
    }
}
