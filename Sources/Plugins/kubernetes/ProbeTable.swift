import DNSWire

/// An open-addressed hash table of `Int32` entry numbers that keeps no keys of its own: the
/// caller hashes its key and, when probing, says whether an entry number is a match by looking
/// at the entry itself (an endpoint's label in the index's arena, a PTR target's address).
///
/// Why not `Dictionary` or `WireNameTable`: those store a copy of every key, and `Dictionary`
/// hashes with a per-process seeded SipHash. The kubernetes index has one entry per endpoint
/// address (a million in a large cluster), and the keys already live in the index; eight bytes
/// per slot, at most half full, is 16 bytes per entry.
///
/// Sized once for a known number of entries and never grown: inserting more than `capacity`
/// entries is a programming error of the builder (checked with a precondition, which no input
/// can reach because the builder counts entries before sizing).
struct ProbeTable: Sendable {
    struct Slot: Sendable {
        /// Upper hash bits; 0 marks an empty slot.
        var tag: UInt32
        var value: Int32
    }

    private var slots: [Slot]
    private let mask: Int
    let capacity: Int
    private(set) var count = 0

    /// A table that holds up to `capacity` entries at a load factor of at most one half.
    init(capacity: Int) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = Array(repeating: Slot(tag: 0, value: 0), count: size)
        mask = size - 1
        self.capacity = max(capacity, 0)
    }

    /// Octets the table holds.
    var footprint: Int { slots.capacity * MemoryLayout<Slot>.stride }

    @inline(__always) static func tag(_ hash: UInt64) -> UInt32 {
        let t = UInt32(truncatingIfNeeded: hash >> 32)
        return t == 0 ? 1 : t
    }

    /// Adds `value` under `hash`. Keys are not compared: call `find` first to avoid duplicates.
    mutating func insert(hash: UInt64, value: Int32) {
        precondition(count < capacity, "ProbeTable sized for \(capacity) entries")
        let tag = Self.tag(hash)
        var i = Int(truncatingIfNeeded: hash) & mask
        while slots[i].tag != 0 { i = (i + 1) & mask }
        slots[i] = Slot(tag: tag, value: value)
        count += 1
    }

    /// The first entry under `hash` for which `matches` is true, or nil.
    /// - Complexity: O(1) expected. Allocation-free (`matches` is not escaping).
    @inline(__always)
    func find(hash: UInt64, _ matches: (Int32) -> Bool) -> Int32? {
        let tag = Self.tag(hash)
        var i = Int(truncatingIfNeeded: hash) & mask
        return slots.withUnsafeBufferPointer { slots in
            while slots[i].tag != 0 {
                if slots[i].tag == tag && matches(slots[i].value) { return slots[i].value }
                i = (i + 1) & mask
            }
            return nil
        }
    }

    /// Replaces the value of the entry `find` would return for the same `hash` and `matches`.
    mutating func replace(hash: UInt64, with value: Int32, _ matches: (Int32) -> Bool) {
        let tag = Self.tag(hash)
        var i = Int(truncatingIfNeeded: hash) & mask
        while slots[i].tag != 0 {
            if slots[i].tag == tag && matches(slots[i].value) {
                slots[i].value = value
                return
            }
            i = (i + 1) & mask
        }
    }
}

extension IPAddress {
    /// A well-mixed, unseeded 64-bit hash (the splitmix64 finalizer), stable within a process so
    /// that a table built on the registry's thread can be probed on a worker.
    @inline(__always)
    var probeHash: UInt64 {
        var x: UInt64
        switch self {
        case .v4(let a): x = UInt64(a.rawValue) ^ 0x4_0000_0000
        case .v6(let a): x = a.high ^ (a.low &* 0x9E37_79B9_7F4A_7C15) ^ 0x6_0000_0000
        }
        x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
        x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
        return x ^ (x >> 31)
    }
}
