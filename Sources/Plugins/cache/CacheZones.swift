import DNSWire

/// A set of zones a wire-form name is tested against on the query path: is the name one of
/// them or below one, on a label boundary, ignoring case. Allocation-free.
struct CacheZones: Sendable {
    /// Lowercase wire forms, without the root.
    let zones: [[UInt8]]
    /// True when the root is among the zones (every name matches).
    let coversEverything: Bool

    init(_ names: [DomainName]) {
        coversEverything = names.contains(.root)
        zones = names.filter { !$0.isRoot }.map { $0.lowercased().wire }
    }

    var isEmpty: Bool { !coversEverything && zones.isEmpty }

    /// - Complexity: O(zones × name length). Allocation-free.
    func contains(_ name: UnsafeRawBufferPointer) -> Bool {
        if coversEverything { return true }
        for zone in zones where ZoneMatch.isWithin(name, zone: zone) { return true }
        return false
    }
}
