/// The reverse zones (`in-addr.arpa.`, `ip6.arpa.`) that a CIDR server block key stands for.
///
/// CoreDNS (`plugin/normalize.go` `SplitHostPort`, `plugin/pkg/cidr`) lets a key be a network in
/// CIDR notation. A prefix on a label boundary (a multiple of 8 bits for IPv4, of 4 bits — one
/// nibble — for IPv6) is one zone: `10.0.0.0/8` → `10.in-addr.arpa.`. Any other prefix is split
/// into the networks of the next boundary, one zone each: `10.0.0.0/15` →
/// `0.10.in-addr.arpa.`, `1.10.in-addr.arpa.`; `10.0.0.0/27` → the 32 names
/// `0.0.0.10.in-addr.arpa.` … `31.0.0.10.in-addr.arpa.`. So at most 128 zones (IPv4, prefix one
/// bit past a boundary) or 8 (IPv6).
///
/// The address is masked to the prefix first, as Go's `net.ParseCIDR` does (`10.1.2.3/8` is
/// `10.0.0.0/8`). Text that is not a valid CIDR is not an error here: it is then an ordinary
/// domain name (`a/b` is a legal zone), exactly as in CoreDNS.
enum ReverseZones {
    enum Outcome: Equatable {
        /// Not CIDR notation: treat the text as a domain name.
        case notCIDR
        /// CIDR notation that CoreDNS refuses (an IPv6 text starting with `:` or `0`).
        case invalid
        case zones([String])
    }

    static func zones(forCIDR text: String) -> Outcome {
        guard let slash = text.firstIndex(of: "/") else { return .notCIDR }
        let addressText = text[..<slash]
        let prefixText = text[text.index(after: slash)...]
        let units: [Int]
        let unitBits: Int
        if let v4 = parseIPv4(addressText) {
            units = v4
            unitBits = 8
        } else if let nibbles = parseIPv6(addressText) {
            units = nibbles
            unitBits = 4
        } else {
            return .notCIDR
        }
        let totalBits = units.count * unitBits
        guard !prefixText.isEmpty, prefixText.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
              let prefix = Int(prefixText), prefix <= totalBits
        else { return .notCIDR }

        // CoreDNS's SplitHostPort rejects these after ParseCIDR succeeds ("invalid CIDR").
        if unitBits == 4, let first = text.first, first == ":" || first == "0" {
            return .invalid
        }

        let masked = mask(units, unitBits: unitBits, prefix: prefix)
        let boundary = (prefix + unitBits - 1) / unitBits * unitBits
        let fixedUnits = boundary / unitBits
        let suffix = unitBits == 8 ? "in-addr.arpa." : "ip6.arpa."
        if boundary == prefix {
            return .zones([name(units: masked[0..<fixedUnits], unitBits: unitBits, suffix: suffix)])
        }
        // The bits between prefix and boundary all sit in the last fixed unit.
        let varying = boundary - prefix
        let lastIndex = fixedUnits - 1
        var zones: [String] = []
        zones.reserveCapacity(1 << varying)
        for offset in 0..<(1 << varying) {
            var subnet = Array(masked[0..<fixedUnits])
            subnet[lastIndex] += offset
            zones.append(name(units: subnet[...], unitBits: unitBits, suffix: suffix))
        }
        return .zones(zones)
    }

    private static func mask(_ units: [Int], unitBits: Int, prefix: Int) -> [Int] {
        units.enumerated().map { index, unit in
            let keep = min(max(prefix - index * unitBits, 0), unitBits)
            let unitMask = ((1 << keep) - 1) << (unitBits - keep)
            return unit & unitMask
        }
    }

    private static func name(units: ArraySlice<Int>, unitBits: Int, suffix: String) -> String {
        let labels = units.reversed().map { unitBits == 8 ? String($0) : String($0, radix: 16) }
        return labels.isEmpty ? suffix : labels.joined(separator: ".") + "." + suffix
    }

    /// Four decimal octets, no leading zeros (Go 1.17+ `net.ParseIP`), as octets.
    static func parseIPv4(_ text: Substring) -> [Int]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var octets: [Int] = []
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
                  !(part.count > 1 && part.first == "0"), let value = Int(part), value <= 255
            else { return nil }
            octets.append(value)
        }
        return octets
    }

    /// RFC 4291 text (one `::`, groups of 1–4 hex digits, optional dotted IPv4 tail), as 32 nibbles.
    static func parseIPv6(_ text: Substring) -> [Int]? {
        guard !text.isEmpty else { return nil }
        var groups: [Int] = []          // 16-bit groups
        var gapAt: Int?                 // index in `groups` where `::` stands
        var rest = text[...]
        if rest.hasPrefix("::") {
            gapAt = 0
            rest = rest.dropFirst(2)
        }
        while !rest.isEmpty {
            if let dot = rest.firstIndex(of: "."), !rest[..<dot].contains(":") {
                // The dotted IPv4 tail takes the last two groups.
                guard let v4 = parseIPv4(rest) else { return nil }
                groups.append(v4[0] << 8 | v4[1])
                groups.append(v4[2] << 8 | v4[3])
                break
            }
            let end = rest.firstIndex(of: ":") ?? rest.endIndex
            let group = rest[..<end]
            guard !group.isEmpty, group.count <= 4, let value = Int(group, radix: 16),
                  group.utf8.allSatisfy(isHexDigit)
            else { return nil }
            groups.append(value)
            rest = rest[end...]
            if rest.hasPrefix("::") {
                guard gapAt == nil else { return nil }
                gapAt = groups.count
                rest = rest.dropFirst(2)
            } else if rest.hasPrefix(":") {
                rest = rest.dropFirst()
                guard !rest.isEmpty else { return nil }  // a trailing single colon
            }
        }
        if let gap = gapAt {
            guard groups.count < 8 else { return nil }
            groups.insert(contentsOf: repeatElement(0, count: 8 - groups.count), at: gap)
        }
        guard groups.count == 8 else { return nil }
        return groups.flatMap { group in (0..<4).map { (group >> (12 - 4 * $0)) & 0xF } }
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (byte >= 48 && byte <= 57) || (byte >= 65 && byte <= 70) || (byte >= 97 && byte <= 102)
    }
}
