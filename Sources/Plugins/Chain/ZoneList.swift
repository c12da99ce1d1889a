import DNSWire

/// The zones a plugin answers for (`hosts FILE example.org example.net`, `file db example.org`),
/// matched against query names where they lie in the packet.
///
/// CoreDNS's `plugin.Zones.Matches`: the longest zone the name is at or below wins. Matching
/// walks label boundaries and compares bytes ignoring case; nothing is allocated per query.
public struct ZoneList: Sendable {
    /// The zones, lowercase, in the order given.
    public let zones: [DomainName]
    private let wires: [[UInt8]]

    public init(_ zones: [DomainName]) {
        self.zones = zones.map { $0.lowercased() }
        self.wires = self.zones.map(\.wire)
    }

    /// The index in `zones` of the longest zone `name` (uncompressed wire form, any case) is at or
    /// below, or nil when it is in none of them.
    /// - Complexity: O(zones × name length). Allocation-free.
    public func longestMatch(_ name: UnsafeRawBufferPointer) -> Int? {
        var best: Int? = nil
        var bestLength = -1
        for (i, zone) in wires.enumerated() where zone.count > bestLength && ZoneMatch.isWithin(name, zone: zone) {
            best = i
            bestLength = zone.count
        }
        return best
    }

    /// True when `name` is at or below one of the zones.
    public func contains(_ name: UnsafeRawBufferPointer) -> Bool { longestMatch(name) != nil }

    public var isEmpty: Bool { zones.isEmpty }
}
