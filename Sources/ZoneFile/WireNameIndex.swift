import DNSWire

/// An immutable hash index from domain names to small integers, probed with a name still in a
/// packet buffer: a query's name (or any suffix of it) is looked up where it lies, in any case,
/// without building a `DomainName`.
///
/// Open addressing with linear probing over a power-of-two table at most half full; the names
/// are kept lowercase and concatenated in one array, so a probe touches two small arrays and
/// compares bytes with `WireName.equalIgnoringCase`. Built once (when a zone or hosts file is
/// loaded), read by every worker: `Sendable` because nothing changes after `init`.
public struct WireNameIndex: Sendable {
    /// Entry number per slot, -1 for empty.
    private let slots: [Int32]
    private let slotHashes: [UInt64]
    /// All names, lowercase wire form, back to back.
    private let nameBytes: [UInt8]
    private let nameStarts: [Int32]
    private let mask: Int

    /// Indexes `names`: entry `i` is `names[i]`. A name given twice keeps its first entry.
    public init(_ names: [DomainName]) {
        var capacity = 8
        while capacity < names.count * 2 { capacity <<= 1 }
        var slots = [Int32](repeating: -1, count: capacity)
        var hashes = [UInt64](repeating: 0, count: capacity)
        var bytes: [UInt8] = []
        var starts: [Int32] = []
        starts.reserveCapacity(names.count + 1)
        for name in names {
            starts.append(Int32(bytes.count))
            bytes.append(contentsOf: name.wire.map(WireName.lowercase))
        }
        starts.append(Int32(bytes.count))
        let mask = capacity - 1
        bytes.withUnsafeBytes { all in
            for entry in names.indices {
                let wire = UnsafeRawBufferPointer(rebasing: all[Int(starts[entry])..<Int(starts[entry + 1])])
                let hash = WireName.hashIgnoringCase(wire)
                var slot = Int(truncatingIfNeeded: hash) & mask
                var duplicate = false
                while slots[slot] >= 0 {
                    let other = Int(slots[slot])
                    if hashes[slot] == hash,
                       WireName.equalIgnoringCase(UnsafeRawBufferPointer(rebasing: all[Int(starts[other])..<Int(starts[other + 1])]), wire) {
                        duplicate = true
                        break
                    }
                    slot = (slot + 1) & mask
                }
                if !duplicate {
                    slots[slot] = Int32(entry)
                    hashes[slot] = hash
                }
            }
        }
        self.slots = slots
        self.slotHashes = hashes
        self.nameBytes = bytes
        self.nameStarts = starts
        self.mask = mask
    }

    /// The entry for the uncompressed wire name `wire` (any case), or nil.
    /// - Complexity: O(name length) expected. Allocation-free.
    public func find(_ wire: UnsafeRawBufferPointer) -> Int? {
        let hash = WireName.hashIgnoringCase(wire)
        var slot = Int(truncatingIfNeeded: hash) & mask
        return nameBytes.withUnsafeBytes { all -> Int? in
            while true {
                let entry = Int(slots[slot])
                if entry < 0 { return nil }
                if slotHashes[slot] == hash {
                    let start = Int(nameStarts[entry])
                    let end = Int(nameStarts[entry + 1])
                    if end - start == wire.count,
                       WireName.equalIgnoringCase(UnsafeRawBufferPointer(rebasing: all[start..<end]), wire) {
                        return entry
                    }
                }
                slot = (slot + 1) & mask
            }
        }
    }

    /// The entry for `name`, or nil.
    public func find(_ name: DomainName) -> Int? {
        name.wire.withUnsafeBytes { find($0) }
    }

    /// How many names are indexed.
    public var count: Int { nameStarts.count - 1 }
}
