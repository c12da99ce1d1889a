import DNSWire

/// What a query name under a forward cluster zone asks for (CoreDNS `parse.go` rules), found by
/// reading its labels right to left without copying them.
///
/// Every range is a byte range of the question name in the packet, so the index can be probed
/// with the packet's own bytes: the service key `[len]svc[len]ns` is a contiguous slice.
/// Case is not folded here; every later comparison ignores ASCII case.
enum QueryTarget: Equatable {
    /// The zone itself.
    case apex
    /// `dns-version.<zone>`.
    case dnsVersion
    /// `ns.dns.<zone>`, the zone's name server.
    case nameServer
    /// `svc.<zone>` or `pod.<zone>`: exists, holds no records.
    case typeLevel
    /// `<ns>.svc.<zone>`: the `[len]ns` label.
    case namespace(Range<Int>)
    /// `<ns>.pod.<zone>`: the `[len]ns` label (exists only when pod records are on).
    case podNamespace(Range<Int>)
    /// `<svc>.<ns>.svc.<zone>`: the `[len]svc[len]ns` key.
    case service(key: Range<Int>)
    /// `<ep>.<svc>.<ns>.svc.<zone>`: the endpoint label's content and the service key.
    case endpoint(label: Range<Int>, service: Range<Int>)
    /// `_<port>._<proto>.<svc>.<ns>.svc.<zone>`: port and protocol label contents (one leading
    /// `_` removed; empty means any, as in CoreDNS) and the service key.
    case port(name: Range<Int>, proto: Range<Int>, service: Range<Int>)
    /// `<a-b-c-d>.<ns>.pod.<zone>`: the label content (no length octet) and the `[len]ns` label.
    case pod(address: Range<Int>, namespace: Range<Int>)
    /// A name under the zone that cannot exist: the last label is neither `svc` nor `pod`, or
    /// there are too many labels (CoreDNS: "too long", NXDOMAIN). Wildcards (`*`, `any`) get no
    /// special meaning and so fall here or fail their lookup.
    case invalid

    /// Classifies `name` (an uncompressed wire name) whose zone suffix starts at `zoneOffset`
    /// (a label boundary).
    /// - Complexity: O(labels). Allocation-free.
    static func parse(_ name: UnsafeRawBufferPointer, zoneOffset: Int) -> QueryTarget {
        // Label starts before the zone; at most 5 are meaningful, a 6th means "too long".
        var starts: (Int, Int, Int, Int, Int, Int) = (0, 0, 0, 0, 0, 0)
        var count = 0
        var i = 0
        while i < zoneOffset {
            if count == 6 { return .invalid }
            withUnsafeMutableBytes(of: &starts) { $0.storeBytes(of: i, toByteOffset: count * MemoryLayout<Int>.stride, as: Int.self) }
            count += 1
            i += 1 + Int(name[i])
        }
        @inline(__always) func start(_ k: Int) -> Int {
            withUnsafeBytes(of: starts) { $0.load(fromByteOffset: k * MemoryLayout<Int>.stride, as: Int.self) }
        }
        @inline(__always) func label(_ k: Int) -> Range<Int> { start(k)..<(k + 1 < count ? start(k + 1) : zoneOffset) }
        @inline(__always) func content(_ k: Int) -> Range<Int> { let r = label(k); return (r.lowerBound + 1)..<r.upperBound }
        @inline(__always) func equals(_ k: Int, _ text: StaticString) -> Bool {
            let r = content(k)
            guard r.count == text.utf8CodeUnitCount else { return false }
            return text.withUTF8Buffer { literal in
                WireName.equalIgnoringCase(UnsafeRawBufferPointer(rebasing: name[r]), UnsafeRawBufferPointer(literal))
            }
        }
        @inline(__always) func withoutUnderscore(_ r: Range<Int>) -> Range<Int> {
            !r.isEmpty && name[r.lowerBound] == UInt8(ascii: "_") ? (r.lowerBound + 1)..<r.upperBound : r
        }
        if count == 0 { return .apex }
        let last = count - 1
        if count == 1 && equals(0, "dns-version") { return .dnsVersion }
        if count == 2 && equals(0, "ns") && equals(1, "dns") { return .nameServer }
        if equals(last, "svc") {
            switch count {
            case 1: return .typeLevel
            case 2: return .namespace(label(0))
            case 3: return .service(key: start(0)..<start(2))
            case 4: return .endpoint(label: content(0), service: start(1)..<start(3))
            case 5: return .port(name: withoutUnderscore(content(0)), proto: withoutUnderscore(content(1)), service: start(2)..<start(4))
            default: return .invalid
            }
        }
        if equals(last, "pod") {
            switch count {
            case 1: return .typeLevel
            case 2: return .podNamespace(label(0))
            case 3: return .pod(address: content(0), namespace: label(1))
            default: return .invalid
            }
        }
        return .invalid
    }

    /// Parses a pod label by CoreDNS's rule: exactly three `-` and no `--` make a dotted IPv4
    /// address (`10-244-1-10`); anything else is read as IPv6 with `-` for `:`
    /// (`fd00-10-244-1--10`). An IPv4-mapped IPv6 address counts as IPv4, as in Go's `To4`.
    /// Leading zeros in an IPv4 part are rejected, as Go's `net.ParseIP` does.
    /// - Complexity: O(label length). Allocation-free.
    static func podAddress(_ bytes: UnsafeRawBufferPointer) -> IPAddress? {
        var dashes = 0
        var doubleDash = false
        var previousDash = false
        for b in bytes {
            let dash = b == UInt8(ascii: "-")
            if dash {
                dashes += 1
                if previousDash { doubleDash = true }
            }
            previousDash = dash
        }
        if dashes == 3 && !doubleDash { return parseDashedIPv4(bytes).map(IPAddress.v4) }
        guard let v6 = parseDashedIPv6(bytes) else { return nil }
        if v6.high == 0 && v6.low >> 32 == 0xFFFF { return .v4(IPv4Address(rawValue: UInt32(truncatingIfNeeded: v6.low))) }
        return .v6(v6)
    }

    static func parseDashedIPv4(_ bytes: UnsafeRawBufferPointer) -> IPv4Address? {
        var value: UInt32 = 0
        var part: UInt32 = 0
        var digits = 0
        var leadingZero = false
        for b in bytes {
            if b == UInt8(ascii: "-") {
                guard digits > 0 else { return nil }
                value = value << 8 | part
                part = 0
                digits = 0
            } else if b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") {
                if digits == 0 { leadingZero = b == UInt8(ascii: "0") } else if leadingZero { return nil }
                part = part * 10 + UInt32(b - UInt8(ascii: "0"))
                digits += 1
                guard part <= 255 else { return nil }
            } else {
                return nil
            }
        }
        guard digits > 0 else { return nil }
        return IPv4Address(rawValue: value << 8 | part)
    }

    /// IPv6 text with `-` for `:`: up to eight groups of 1–4 hex digits, at most one `--`.
    static func parseDashedIPv6(_ bytes: UnsafeRawBufferPointer) -> IPv6Address? {
        var groups: (UInt64, UInt64) = (0, 0)     // eight 16-bit groups, packed
        var count = 0
        var gap = -1                               // group index where `--` stands
        let n = bytes.count
        var pos = 0
        @inline(__always) func group(_ index: Int) -> UInt64 {
            index < 4 ? (groups.0 >> UInt64(48 - 16 * index)) & 0xFFFF : (groups.1 >> UInt64(48 - 16 * (index - 4))) & 0xFFFF
        }
        if n >= 2 && bytes[0] == UInt8(ascii: "-") && bytes[1] == UInt8(ascii: "-") {
            gap = 0
            pos = 2
        } else if n == 0 || bytes[0] == UInt8(ascii: "-") {
            return nil
        }
        var values: (UInt64, UInt64) = (0, 0)
        while pos < n {
            var value: UInt64 = 0
            var digits = 0
            while pos < n, let nibble = hexValue(bytes[pos]) {
                value = value << 4 | UInt64(nibble)
                digits += 1
                pos += 1
                guard digits <= 4 else { return nil }
            }
            guard digits > 0, count < 8 else { return nil }
            if count < 4 { values.0 |= value << UInt64(48 - 16 * count) } else { values.1 |= value << UInt64(48 - 16 * (count - 4)) }
            count += 1
            if pos == n { break }
            guard bytes[pos] == UInt8(ascii: "-") else { return nil }
            pos += 1
            if pos < n && bytes[pos] == UInt8(ascii: "-") {
                guard gap < 0 else { return nil }
                gap = count
                pos += 1
            } else if pos == n {
                return nil
            }
        }
        groups = values
        if gap < 0 {
            guard count == 8 else { return nil }
        } else {
            guard count <= 7 else { return nil }
            // Move the groups after the gap to the end.
            var moved: (UInt64, UInt64) = (0, 0)
            let tail = count - gap
            for k in 0..<8 {
                let value: UInt64
                if k < gap { value = group(k) } else if k >= 8 - tail { value = group(gap + k - (8 - tail)) } else { value = 0 }
                if k < 4 { moved.0 |= value << UInt64(48 - 16 * k) } else { moved.1 |= value << UInt64(48 - 16 * (k - 4)) }
            }
            groups = moved
        }
        return IPv6Address(high: groups.0, low: groups.1)
    }

    @inline(__always)
    static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
