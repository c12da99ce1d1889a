import DNSWire

/// The one test of "is this name at or below that zone", on names where they lie in a packet
/// (uncompressed wire form, any case): the chain's block choice (`ZoneTable`), every plugin's
/// zones (`ZoneList`), `forward`'s `from`/`except`, `cache`'s and `log`'s scopes, `autopath`,
/// and `kubernetes`'s zones.
///
/// CoreDNS's `dns.IsSubDomain` on labels, done on octets: the zone must end the name exactly and
/// start at a label boundary, so `xexample.org.` is not below `example.org.`.
public enum ZoneMatch {
    /// True when a label starts at `offset` of the wire name `name`.
    /// - Complexity: O(labels before `offset`). Allocation-free.
    @inline(__always)
    public static func isLabelBoundary(_ name: UnsafeRawBufferPointer, _ offset: Int) -> Bool {
        var i = 0
        while i < offset { i += 1 + Int(name[i]) }
        return i == offset
    }

    /// Where `zone` (wire form, any case) starts in `name` when `name` equals it or lies below
    /// it; nil otherwise. The labels before the offset are the part of `name` under the zone.
    /// - Complexity: O(name length). Allocation-free.
    @inline(__always)
    public static func offset(of zone: UnsafeRawBufferPointer, in name: UnsafeRawBufferPointer) -> Int? {
        guard zone.count <= name.count else { return nil }
        let offset = name.count - zone.count
        // The octets first: most names tested are not in the zone, and a compare of the tail
        // (eight octets a step) rejects them sooner than walking the labels to the boundary.
        guard WireName.equalIgnoringCase(UnsafeRawBufferPointer(rebasing: name[offset...]), zone),
              isLabelBoundary(name, offset) else { return nil }
        return offset
    }

    /// `offset(of:in:)` for a zone kept as an array of wire octets.
    @inline(__always)
    public static func offset(of zone: [UInt8], in name: UnsafeRawBufferPointer) -> Int? {
        zone.withUnsafeBytes { offset(of: $0, in: name) }
    }

    /// True when `name` equals `zone` or lies below it.
    @inline(__always)
    public static func isWithin(_ name: UnsafeRawBufferPointer, zone: [UInt8]) -> Bool {
        offset(of: zone, in: name) != nil
    }
}
