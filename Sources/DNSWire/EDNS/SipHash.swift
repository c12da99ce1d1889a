/// SipHash-2-4 (Aumasson & Bernstein), the keyed hash RFC 9018 uses for interoperable DNS server
/// cookies.
///
/// Written over raw bytes so that a cookie is computed on the query path without an allocation
/// or a dependency: the input is at most 32 octets (client cookie, version, reserved, timestamp,
/// IPv6 address) and the state is four words on the stack. Words are read little-endian, as the
/// reference implementation does, whatever the host's byte order.
public enum SipHash24 {
    /// Hashes `message` with the 128-bit key `(k0, k1)` (the key's two halves read little-endian
    /// from its 16 octets). Allocation-free.
    /// - Complexity: O(message length).
    @inlinable
    public static func hash(_ message: UnsafeRawBufferPointer, k0: UInt64, k1: UInt64) -> UInt64 {
        var v0: UInt64 = 0x736f_6d65_7073_6575 ^ k0
        var v1: UInt64 = 0x646f_7261_6e64_6f6d ^ k1
        var v2: UInt64 = 0x6c79_6765_6e65_7261 ^ k0
        var v3: UInt64 = 0x7465_6462_7974_6573 ^ k1

        @inline(__always) func round() {
            v0 &+= v1; v1 = rotate(v1, 13); v1 ^= v0; v0 = rotate(v0, 32)
            v2 &+= v3; v3 = rotate(v3, 16); v3 ^= v2
            v0 &+= v3; v3 = rotate(v3, 21); v3 ^= v0
            v2 &+= v1; v1 = rotate(v1, 17); v1 ^= v2; v2 = rotate(v2, 32)
        }

        let count = message.count
        let whole = count & ~7
        var i = 0
        while i < whole {
            let m = littleEndianWord(message, at: i, count: 8)
            v3 ^= m
            round(); round()
            v0 ^= m
            i += 8
        }
        // The last block holds the remaining octets and the length's low byte on top.
        let last = littleEndianWord(message, at: whole, count: count - whole) | UInt64(truncatingIfNeeded: count) << 56
        v3 ^= last
        round(); round()
        v0 ^= last
        v2 ^= 0xFF
        round(); round(); round(); round()
        return v0 ^ v1 ^ v2 ^ v3
    }

    /// The key halves of a 16-octet secret, as `hash` takes them.
    @inlinable
    public static func key(_ secret: UnsafeRawBufferPointer) -> (k0: UInt64, k1: UInt64)? {
        guard secret.count == 16 else { return nil }
        return (littleEndianWord(secret, at: 0, count: 8), littleEndianWord(secret, at: 8, count: 8))
    }

    @inlinable @inline(__always)
    static func rotate(_ x: UInt64, _ b: UInt64) -> UInt64 { (x << b) | (x >> (64 &- b)) }

    /// Up to eight octets from `offset`, the first in the lowest byte.
    @inlinable @inline(__always)
    static func littleEndianWord(_ bytes: UnsafeRawBufferPointer, at offset: Int, count: Int) -> UInt64 {
        var word: UInt64 = 0
        var j = 0
        while j < count {
            word |= UInt64(bytes[offset + j]) << UInt64(8 * j)
            j += 1
        }
        return word
    }
}
