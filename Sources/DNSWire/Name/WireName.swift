/// Operations on names still in a packet buffer, for the hot path: a query's name is looked up
/// where it lies in the receive buffer, without building a `DomainName` (no allocation).
public enum WireName {
    /// ASCII lowercase of one octet; label-length octets (0...63) are below `A` and unchanged.
    @inlinable @inline(__always)
    public static func lowercase(_ byte: UInt8) -> UInt8 {
        byte &- 0x41 < 26 ? byte | 0x20 : byte
    }

    /// Lowercases eight octets at once (SWAR): sets bit 5 of every byte in `A`...`Z`.
    @inlinable @inline(__always)
    static func lowercase8(_ x: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let heptets = x & (0x7F * ones)
        let aboveA = heptets &+ ((0x80 - 0x41) * ones)   // high bit set where byte ≥ 'A'
        let aboveZ = heptets &+ ((0x80 - 0x5B) * ones)   // high bit set where byte > 'Z'
        let isUpper = (aboveA ^ aboveZ) & ~x & (0x80 * ones)
        return x | (isUpper >> 2)
    }

    /// Case-insensitive equality of two wire names (or any byte strings) of the same length.
    /// - Complexity: O(n), eight bytes per step. Allocation-free.
    @inlinable
    public static func equalIgnoringCase(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        guard a.count == b.count else { return false }
        let n = a.count
        var i = 0
        while i + 8 <= n {
            let x = a.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            let y = b.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            if x != y && lowercase8(x) != lowercase8(y) { return false }
            i += 8
        }
        while i < n {
            if lowercase(a[i]) != lowercase(b[i]) { return false }
            i += 1
        }
        return true
    }

    /// A 64-bit hash of a wire name that ignores ASCII case, for open-addressed name tables.
    /// Stable within a process (no seed), so tables built off the worker can be probed on it.
    /// - Complexity: O(n), eight bytes per step. Allocation-free.
    @inlinable
    public static func hashIgnoringCase(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        let k: UInt64 = 0x9E37_79B9_7F4A_7C15
        var h: UInt64 = 0x243F_6A88_85A3_08D3 ^ UInt64(bytes.count)
        var i = 0
        let n = bytes.count
        while i + 8 <= n {
            let x = lowercase8(bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            h = (h ^ x) &* k
            h ^= h >> 29
            i += 8
        }
        if i < n {
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while i < n {
                tail |= UInt64(lowercase(bytes[i])) << shift
                shift += 8
                i += 1
            }
            h = (h ^ tail) &* k
            h ^= h >> 29
        }
        h = (h ^ (h >> 32)) &* k
        return h ^ (h >> 31)
    }

    /// Length of the uncompressed wire name starting at `offset` in `bytes`, validated
    /// (labels ≤ 63, total ≤ 255, no pointers); nil when it is not such a name.
    /// - Complexity: O(labels). Allocation-free.
    @inlinable
    public static func uncompressedLength(in bytes: UnsafeRawBufferPointer, at offset: Int) -> Int? {
        var i = offset
        while i < bytes.count {
            let length = Int(bytes[i])
            if length == 0 {
                let total = i + 1 - offset
                return total <= DomainName.maxWireLength ? total : nil
            }
            guard length <= DomainName.maxLabelLength else { return nil }
            i += 1 + length
            guard i - offset < DomainName.maxWireLength else { return nil }
        }
        return nil
    }
}
