import DNSWire

/// What a query name under the cluster zone asks for (CoreDNS `parse.go` rules), found by
/// reading its labels right to left without copying them.
///
/// Every range is a byte range of the question name in the packet, so the index can be probed
/// with the packet's own bytes: the service key `[len]svc[len]ns` is a contiguous slice.
enum QueryTarget: Equatable {
    /// The zone itself.
    case apex
    /// `dns-version.<zone>`.
    case dnsVersion
    /// `ns.dns.<zone>`, the zone's name server.
    case nameServer
    /// `svc.<zone>` or `pod.<zone>`: exists, holds no records.
    case typeLevel
    /// `<ns>.svc.<zone>` / `<ns>.pod.<zone>`: the `[len]ns` label.
    case namespace(Range<Int>)
    /// `<svc>.<ns>.svc.<zone>`: the `[len]svc[len]ns` key.
    case service(key: Range<Int>)
    /// `<ep>.<svc>.<ns>.svc.<zone>`: the `[len]ep[len]svc[len]ns` key and the service key.
    case endpoint(key: Range<Int>, service: Range<Int>)
    /// `_<port>._<proto>.<svc>.<ns>.svc.<zone>`: port and protocol label contents (leading `_`
    /// removed) and the service key.
    case port(name: Range<Int>, proto: Range<Int>, service: Range<Int>)
    /// `<a-b-c-d>.<ns>.pod.<zone>`: the label content (no length octet) and the `[len]ns` label.
    case pod(address: Range<Int>, namespace: Range<Int>)
    /// A name under the zone that cannot exist (wrong type label, too many labels).
    case invalid

    /// Classifies `name` (a wire name) whose zone suffix starts at `zoneOffset`.
    /// - Complexity: O(labels). Allocation-free.
    static func parse(_ name: UnsafeRawBufferPointer, zoneOffset: Int) -> QueryTarget {
        // Label starts before the zone; at most 6 are meaningful, one more tells "too long".
        var starts: (Int, Int, Int, Int, Int, Int, Int) = (0, 0, 0, 0, 0, 0, 0)
        var count = 0
        var i = 0
        while i < zoneOffset {
            if count == 7 { return .invalid }
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
        if count == 0 { return .apex }
        let last = count - 1
        if count == 1 && equals(0, "dns-version") { return .dnsVersion }
        if count == 2 && equals(0, "ns") && equals(1, "dns") { return .nameServer }
        if equals(last, "svc") {
            switch count {
            case 1: return .typeLevel
            case 2: return .namespace(label(0))
            case 3: return .service(key: start(0)..<start(2))
            case 4: return .endpoint(key: start(0)..<start(3), service: start(1)..<start(3))
            case 5:
                var port = content(0)
                var proto = content(1)
                if !port.isEmpty && name[port.lowerBound] == UInt8(ascii: "_") { port = (port.lowerBound + 1)..<port.upperBound }
                if !proto.isEmpty && name[proto.lowerBound] == UInt8(ascii: "_") { proto = (proto.lowerBound + 1)..<proto.upperBound }
                return .port(name: port, proto: proto, service: start(2)..<start(4))
            default: return .invalid
            }
        }
        if equals(last, "pod") {
            switch count {
            case 1: return .typeLevel
            case 2: return .namespace(label(0))
            case 3: return .pod(address: content(0), namespace: label(1))
            default: return .invalid
            }
        }
        return .invalid
    }

    /// Parses a pod label `a-b-c-d` (IPv4) or the dashed IPv6 form (`-` for `:`).
    /// Allocation-free for IPv4; IPv6 goes through text.
    static func podAddress(_ bytes: UnsafeRawBufferPointer) -> IPAddress? {
        var dashes = 0
        var doubleDash = false
        for (i, b) in bytes.enumerated() where b == UInt8(ascii: "-") {
            dashes += 1
            if i > 0 && bytes[i - 1] == UInt8(ascii: "-") { doubleDash = true }
        }
        if dashes == 3 && !doubleDash {
            var value: UInt32 = 0
            var part: UInt32 = 0
            var digits = 0
            for b in bytes {
                if b == UInt8(ascii: "-") {
                    guard digits > 0 else { return nil }
                    value = value << 8 | part
                    part = 0
                    digits = 0
                } else if b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") {
                    part = part * 10 + UInt32(b - UInt8(ascii: "0"))
                    digits += 1
                    guard part <= 255, digits <= 3 else { return nil }
                } else {
                    return nil
                }
            }
            guard digits > 0 else { return nil }
            return .v4(IPv4Address(rawValue: value << 8 | part))
        }
        let text = String(decoding: bytes.map { $0 == UInt8(ascii: "-") ? UInt8(ascii: ":") : $0 }, as: UTF8.self)
        return IPv6Address(text).map(IPAddress.v6)
    }

    /// The address a full reverse name (`4.3.2.1.in-addr.arpa.`, 32 nibbles `.ip6.arpa.`) stands
    /// for, reading the packet's bytes; nil for shorter or malformed names. Allocation-free.
    static func reverseAddress(_ name: UnsafeRawBufferPointer) -> IPAddress? {
        // IPv4: four decimal labels then 7 "in-addr" 4 "arpa" 0.
        var octets: UInt32 = 0
        var i = 0
        var labels = 0
        while i < name.count && name[i] != 0 {
            let length = Int(name[i])
            if labels == 4 {
                guard WireName.equalIgnoringCase(UnsafeRawBufferPointer(rebasing: name[i...]), inAddrArpa) else { break }
                return .v4(IPv4Address(rawValue: octets))
            }
            guard (1...3).contains(length), i + 1 + length <= name.count else { break }
            var value: UInt32 = 0
            for b in name[(i + 1)...(i + length)] {
                guard b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") else { return reverseV6(name) }
                value = value * 10 + UInt32(b - UInt8(ascii: "0"))
            }
            guard value <= 255, length == 1 || name[i + 1] != UInt8(ascii: "0") else { return reverseV6(name) }
            octets |= value << (8 * UInt32(labels))
            labels += 1
            i += 1 + length
        }
        return reverseV6(name)
    }

    static func reverseV6(_ name: UnsafeRawBufferPointer) -> IPAddress? {
        guard name.count == 64 + ip6Arpa.count else { return nil }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for k in 0..<32 {
            guard name[2 * k] == 1 else { return nil }
            let c = name[2 * k + 1]
            let nibble: UInt64
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = UInt64(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = UInt64(c - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = UInt64(c - UInt8(ascii: "A") + 10)
            default: return nil
            }
            if k < 16 { low |= nibble << (4 * UInt64(k)) } else { high |= nibble << (4 * UInt64(k - 16)) }
        }
        guard WireName.equalIgnoringCase(UnsafeRawBufferPointer(rebasing: name[64...]), ip6Arpa) else { return nil }
        return .v6(IPv6Address(high: high, low: low))
    }

    nonisolated(unsafe) static let inAddrArpa = UnsafeRawBufferPointer(DomainName.inAddrArpaWire)
    nonisolated(unsafe) static let ip6Arpa = UnsafeRawBufferPointer(DomainName.ip6ArpaWire)
}

extension DomainName {
    /// `in-addr.arpa.` and `ip6.arpa.` in wire form, allocated once for the process.
    nonisolated(unsafe) static let inAddrArpaWire: UnsafeMutableRawBufferPointer = {
        let bytes: [UInt8] = [7] + Array("in-addr".utf8) + [4] + Array("arpa".utf8) + [0]
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 1)
        buffer.copyBytes(from: bytes)
        return buffer
    }()
    nonisolated(unsafe) static let ip6ArpaWire: UnsafeMutableRawBufferPointer = {
        let bytes: [UInt8] = [3] + Array("ip6".utf8) + [4] + Array("arpa".utf8) + [0]
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 1)
        buffer.copyBytes(from: bytes)
        return buffer
    }()
}
