import DNSWire

/// Comparisons of possibly compressed names inside one message, in place.
///
/// The cache reads upstream answers without decoding them into `Message` values, so owner names
/// (usually pointers to the question) are compared where they lie. Every step checks bounds and
/// every pointer must go backwards, as `WireReader` requires, so a malformed message yields
/// `false`, never a trap or a loop.
enum MessageName {
    /// Resolves pointers at `offset` until a label (or the root) starts; nil on a bad pointer.
    @inline(__always)
    static func resolve(_ message: UnsafeRawBufferPointer, _ offset: Int) -> Int? {
        var p = offset
        var hops = 0
        while p < message.count, message[p] & 0xC0 == 0xC0 {
            guard p + 1 < message.count, hops < 64 else { return nil }
            let target = Int(message[p] & 0x3F) << 8 | Int(message[p + 1])
            guard target < p else { return nil }
            p = target
            hops += 1
        }
        return p < message.count ? p : nil
    }

    /// True when the names at `a` and `b` are equal ignoring ASCII case.
    /// - Complexity: O(name length). Allocation-free.
    static func equal(_ message: UnsafeRawBufferPointer, _ a: Int, _ b: Int) -> Bool {
        var p = a
        var q = b
        for _ in 0..<128 {
            guard let pp = resolve(message, p), let qq = resolve(message, q) else { return false }
            p = pp
            q = qq
            if p == q { return true }          // the same bytes from here on
            let length = Int(message[p])
            guard length == Int(message[q]), length <= 63 else { return false }
            if length == 0 { return true }
            guard p + 1 + length <= message.count, q + 1 + length <= message.count else { return false }
            for i in 1...length where WireName.lowercase(message[p + i]) != WireName.lowercase(message[q + i]) {
                return false
            }
            p += 1 + length
            q += 1 + length
        }
        return false
    }

    /// True when the name at `a` equals the uncompressed wire name `name`, ignoring case.
    static func equal(_ message: UnsafeRawBufferPointer, _ a: Int, wire name: UnsafeRawBufferPointer) -> Bool {
        var p = a
        var q = 0
        for _ in 0..<128 {
            guard let pp = resolve(message, p), q < name.count else { return false }
            p = pp
            let length = Int(message[p])
            guard length == Int(name[q]), length <= 63 else { return false }
            if length == 0 { return true }
            guard p + 1 + length <= message.count, q + 1 + length <= name.count else { return false }
            for i in 1...length where WireName.lowercase(message[p + i]) != WireName.lowercase(name[q + i]) {
                return false
            }
            p += 1 + length
            q += 1 + length
        }
        return false
    }
}
