/// Finds an object by (namespace, name) in O(1) with about 20 bytes per entry.
///
/// A `[NameKey: Int32]` dictionary would store both strings per bucket (32 bytes + value). This
/// index stores only a 64-bit hash of the pair and the position, and confirms a hit by comparing
/// the names of the object found there (the caller's `matches` closure), so a hash collision can
/// never return the wrong object. The rare keys whose hash collides with an earlier key go to a
/// small `overflow` dictionary keyed by the full names.
struct NameIndex: Sendable {
    private struct NameKey: Hashable, Sendable {
        let namespace: String
        let name: String
    }

    private var primary: [UInt64: Int32] = [:]
    private var overflow: [NameKey: Int32] = [:]

    init() {}

    /// Indexes `count` objects whose names `key(i)` returns; names must be unique.
    init(count: Int, key: (Int) -> (namespace: String, name: String)) {
        primary.reserveCapacity(count)
        for i in 0..<count {
            let (namespace, name) = key(i)
            let h = Self.hash(namespace, name)
            if primary[h] == nil {
                primary[h] = Int32(i)
            } else {
                overflow[NameKey(namespace: namespace, name: name)] = Int32(i)
            }
        }
    }

    /// The position of the object named (`namespace`, `name`), if any.
    /// - Parameter matches: whether the object at a candidate position has exactly these names.
    /// - Complexity: O(1): one hash of the two names, one or two dictionary probes.
    func position(
        namespace: some StringProtocol, name: some StringProtocol, matches: (Int32) -> Bool
    ) -> Int32? {
        if let candidate = primary[Self.hash(namespace, name)], matches(candidate) { return candidate }
        guard !overflow.isEmpty else { return nil }
        return overflow[NameKey(namespace: String(namespace), name: String(name))]
    }

    private static func hash(_ namespace: some StringProtocol, _ name: some StringProtocol) -> UInt64 {
        var hasher = Hasher()
        feed(namespace, into: &hasher)
        hasher.combine(0xFF as UInt8)  // never in UTF-8: separates ("ab","c") from ("a","bc")
        feed(name, into: &hasher)
        return UInt64(bitPattern: Int64(hasher.finalize()))
    }

    /// Feeds the UTF-8 bytes in one call (native strings are contiguous; others are copied so
    /// both paths hash the same byte stream the same way).
    private static func feed(_ s: some StringProtocol, into hasher: inout Hasher) {
        let fed: Void? = s.utf8.withContiguousStorageIfAvailable { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        if fed == nil {
            var copy = String(s)
            copy.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        }
    }
}
