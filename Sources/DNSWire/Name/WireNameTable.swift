/// A hash table keyed by wire-form names (or any label sequence), probed with bytes straight
/// from a packet: no `DomainName`, no `String`, no allocation per lookup.
///
/// Keys are stored lowercased in one contiguous arena and compared without regard to ASCII case,
/// so a query in any case finds them. Open addressing with linear probing at a load factor of at
/// most 1/2; each slot keeps 32 bits of the hash as a tag, so a probe touches the key arena only
/// for a likely match. Built once per snapshot off the workers, then only read (it is a value
/// type: share it inside an immutable class).
public struct WireNameTable<Value: Sendable>: Sendable {
    struct Slot: Sendable {
        var tag: UInt32          // upper hash bits; 0 marks an empty slot
        var keyOffset: UInt32
        var keyLength: UInt8
        var value: UInt32        // index into `values`
    }

    private var slots: [Slot]
    private var mask: Int
    private var keys: [UInt8] = []
    public private(set) var values: [Value] = []

    /// An empty table sized for `capacity` keys without growing.
    public init(capacity: Int = 16) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = Array(repeating: Slot(tag: 0, keyOffset: 0, keyLength: 0, value: 0), count: size)
        mask = size - 1
    }

    public var count: Int { values.count }

    /// Octets of memory the table holds (slots, keys and values), for memory accounting.
    public var footprint: Int {
        slots.capacity * MemoryLayout<Slot>.stride + keys.capacity + values.capacity * MemoryLayout<Value>.stride
    }

    @inline(__always) static func tag(_ hash: UInt64) -> UInt32 {
        let t = UInt32(truncatingIfNeeded: hash >> 32)
        return t == 0 ? 1 : t
    }

    /// Adds `key` → `value`. Returns false (and changes nothing) when the key is already there.
    /// - Precondition: `key.count` ≤ 255.
    @discardableResult
    public mutating func insert(_ key: UnsafeRawBufferPointer, _ value: Value) -> Bool {
        precondition(key.count <= 255, "wire names are at most 255 octets")
        if (values.count + 1) * 2 > slots.count { grow() }
        let hash = WireName.hashIgnoringCase(key)
        let tag = Self.tag(hash)
        var i = Int(truncatingIfNeeded: hash) & mask
        while slots[i].tag != 0 {
            if slots[i].tag == tag && matches(slots[i], key) { return false }
            i = (i + 1) & mask
        }
        let offset = UInt32(keys.count)
        for byte in key { keys.append(WireName.lowercase(byte)) }
        slots[i] = Slot(tag: tag, keyOffset: offset, keyLength: UInt8(key.count), value: UInt32(values.count))
        values.append(value)
        return true
    }

    /// Adds a key given as an array.
    @discardableResult
    public mutating func insert(_ key: [UInt8], _ value: Value) -> Bool {
        key.withUnsafeBytes { insert($0, value) }
    }

    /// The value for `key` (any case), or nil. - Complexity: O(key length). Allocation-free.
    @inline(__always)
    public func lookup(_ key: UnsafeRawBufferPointer) -> Value? {
        guard key.count <= 255 else { return nil }
        let hash = WireName.hashIgnoringCase(key)
        let tag = Self.tag(hash)
        var i = Int(truncatingIfNeeded: hash) & mask
        while slots[i].tag != 0 {
            if slots[i].tag == tag && matches(slots[i], key) { return values[Int(slots[i].value)] }
            i = (i + 1) & mask
        }
        return nil
    }

    public func lookup(_ key: [UInt8]) -> Value? { key.withUnsafeBytes { lookup($0) } }

    @inline(__always)
    private func matches(_ slot: Slot, _ key: UnsafeRawBufferPointer) -> Bool {
        guard Int(slot.keyLength) == key.count else { return false }
        return keys.withUnsafeBytes { arena in
            WireName.equalIgnoringCase(
                UnsafeRawBufferPointer(rebasing: arena[Int(slot.keyOffset)..<(Int(slot.keyOffset) + key.count)]), key)
        }
    }

    private mutating func grow() {
        let old = slots
        let size = slots.count * 2
        slots = Array(repeating: Slot(tag: 0, keyOffset: 0, keyLength: 0, value: 0), count: size)
        mask = size - 1
        for slot in old where slot.tag != 0 {
            let hash = keys.withUnsafeBytes { arena in
                WireName.hashIgnoringCase(UnsafeRawBufferPointer(rebasing: arena[Int(slot.keyOffset)..<(Int(slot.keyOffset) + Int(slot.keyLength))]))
            }
            var i = Int(truncatingIfNeeded: hash) & mask
            while slots[i].tag != 0 { i = (i + 1) & mask }
            slots[i] = slot
        }
    }

    /// Releases spare capacity once the table is complete.
    public mutating func shrinkToFit() {
        keys = Array(keys)
        values = Array(values)
    }
}
