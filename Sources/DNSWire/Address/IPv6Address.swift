/// An IPv6 address held as two `UInt64` halves (network order of bits, host integers).
public struct IPv6Address: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The first 64 bits: `2001:db8::1` has `high == 0x2001_0db8_0000_0000`.
    public var high: UInt64
    /// The last 64 bits.
    public var low: UInt64

    @inlinable public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Builds an address from its 16 octets in network order.
    public init(octets bytes: some Collection<UInt8>) {
        var h: UInt64 = 0
        var l: UInt64 = 0
        for (i, b) in bytes.prefix(16).enumerated() {
            if i < 8 { h = h << 8 | UInt64(b) } else { l = l << 8 | UInt64(b) }
        }
        high = h
        low = l
    }

    /// The eight 16-bit groups, most significant first.
    public var groups: [UInt16] {
        (0..<8).map { i in
            let half = i < 4 ? high : low
            return UInt16(truncatingIfNeeded: half >> UInt64((3 - i % 4) * 16))
        }
    }

    /// Octet `index` (0...15) in network order.
    @inlinable public func octet(_ index: Int) -> UInt8 {
        let half = index < 8 ? high : low
        return UInt8(truncatingIfNeeded: half >> UInt64((7 - index % 8) * 8))
    }

    /// Parses RFC 4291 text: full or `::`-compressed groups, and an embedded IPv4 tail
    /// (`::ffff:10.0.0.1`). Zone indexes (`%eth0`) are not addresses and are rejected.
    public init?(_ text: some StringProtocol) {
        let s = Substring(text)
        guard !s.isEmpty, s.utf8.count <= 45 else { return nil }
        var groups: [UInt16] = []
        var gapIndex: Int? = nil
        var rest = s[...]
        if rest.hasPrefix("::") {
            gapIndex = 0
            rest = rest.dropFirst(2)
        }
        while !rest.isEmpty {
            let end = rest.firstIndex(of: ":") ?? rest.endIndex
            let part = rest[rest.startIndex..<end]
            if part.contains(".") {
                // An embedded IPv4 address must be the last part.
                guard end == rest.endIndex, let v4 = IPv4Address(part) else { return nil }
                groups.append(UInt16(truncatingIfNeeded: v4.rawValue >> 16))
                groups.append(UInt16(truncatingIfNeeded: v4.rawValue))
                rest = rest[end...]
                break
            }
            guard (1...4).contains(part.utf8.count), let g = UInt16(part, radix: 16) else { return nil }
            groups.append(g)
            if end == rest.endIndex {
                rest = rest[end...]
                break
            }
            let afterColon = rest.index(after: end)
            if afterColon < rest.endIndex, rest[afterColon] == ":" {
                guard gapIndex == nil else { return nil }
                gapIndex = groups.count
                rest = rest[rest.index(after: afterColon)...]
            } else {
                rest = rest[afterColon...]
                guard !rest.isEmpty else { return nil }  // trailing single colon
            }
        }
        if let gap = gapIndex {
            guard groups.count < 8 else { return nil }
            groups.insert(contentsOf: repeatElement(0, count: 8 - groups.count), at: gap)
        }
        guard groups.count == 8 else { return nil }
        var h: UInt64 = 0
        var l: UInt64 = 0
        for i in 0..<4 { h = h << 16 | UInt64(groups[i]) }
        for i in 4..<8 { l = l << 16 | UInt64(groups[i]) }
        high = h
        low = l
    }

    /// RFC 5952 canonical text: lowercase hex, no leading zeros, the longest run (≥ 2) of zero
    /// groups compressed to `::` (the first such run on a tie).
    public var description: String {
        let g = groups
        var bestStart = -1
        var bestLength = 0
        var i = 0
        while i < 8 {
            if g[i] == 0 {
                var j = i
                while j < 8 && g[j] == 0 { j += 1 }
                if j - i > bestLength && j - i >= 2 {
                    bestStart = i
                    bestLength = j - i
                }
                i = j
            } else {
                i += 1
            }
        }
        var out = ""
        var k = 0
        while k < 8 {
            if k == bestStart {
                out += "::"
                k += bestLength
                continue
            }
            if !out.isEmpty && !out.hasSuffix(":") { out += ":" }
            out += String(g[k], radix: 16)
            k += 1
        }
        return out
    }

    @inlinable public static func < (lhs: IPv6Address, rhs: IPv6Address) -> Bool {
        lhs.high != rhs.high ? lhs.high < rhs.high : lhs.low < rhs.low
    }
}
