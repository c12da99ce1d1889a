import DNSWire

extension QueryTarget {
    /// The address a full reverse name stands for, read from the packet's bytes: four decimal
    /// labels then `in-addr.arpa.` (no leading zeros, each ≤ 255), or 32 single hex-digit labels
    /// (any case) then `ip6.arpa.`. Nil for anything else — a partial name such as
    /// `96.10.in-addr.arpa.`, five labels, a label that is not a number.
    /// - Complexity: O(name length). Allocation-free.
    static func reverseAddress(_ name: UnsafeRawBufferPointer) -> IPAddress? {
        reverseV4(name) ?? reverseV6(name)
    }

    static func reverseV4(_ name: UnsafeRawBufferPointer) -> IPAddress? {
        var octets: UInt32 = 0
        var i = 0
        for k in 0..<4 {
            guard i < name.count else { return nil }
            let length = Int(name[i])
            guard (1...3).contains(length), i + 1 + length < name.count else { return nil }
            var value: UInt32 = 0
            for b in name[(i + 1)...(i + length)] {
                guard b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + UInt32(b - UInt8(ascii: "0"))
            }
            guard value <= 255, length == 1 || name[i + 1] != UInt8(ascii: "0") else { return nil }
            octets |= value << (8 * UInt32(k))
            i += 1 + length
        }
        guard WireName.equalIgnoringCase(UnsafeRawBufferPointer(rebasing: name[i...]), inAddrArpa) else { return nil }
        return .v4(IPv4Address(rawValue: octets))
    }

    static func reverseV6(_ name: UnsafeRawBufferPointer) -> IPAddress? {
        guard name.count == 64 + ip6Arpa.count else { return nil }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for k in 0..<32 {
            guard name[2 * k] == 1, let nibble = hexValue(name[2 * k + 1]) else { return nil }
            // The first label is the lowest nibble of the address.
            if k < 16 { low |= UInt64(nibble) << (4 * UInt64(k)) } else { high |= UInt64(nibble) << (4 * UInt64(k - 16)) }
        }
        guard WireName.equalIgnoringCase(UnsafeRawBufferPointer(rebasing: name[64...]), ip6Arpa) else { return nil }
        return .v6(IPv6Address(high: high, low: low))
    }

    nonisolated(unsafe) static let inAddrArpa = UnsafeRawBufferPointer(WireConstants.inAddrArpa)
    nonisolated(unsafe) static let ip6Arpa = UnsafeRawBufferPointer(WireConstants.ip6Arpa)
}

/// Wire-form constants the handler writes or compares on every query, allocated once for the
/// process and never freed or written after initialisation — which is why sharing them between
/// worker threads through `nonisolated(unsafe)` is safe.
enum WireConstants {
    nonisolated(unsafe) static let inAddrArpa = make([7] + Array("in-addr".utf8) + [4] + Array("arpa".utf8) + [0])
    nonisolated(unsafe) static let ip6Arpa = make([3] + Array("ip6".utf8) + [4] + Array("arpa".utf8) + [0])
    /// `03 svc`, between a service key and the zone.
    nonisolated(unsafe) static let svcLabel = make([3] + Array("svc".utf8))
    /// `02 ns 03 dns`, the SOA's MNAME labels before the zone.
    nonisolated(unsafe) static let nsDNSLabels = make([2] + Array("ns".utf8) + [3] + Array("dns".utf8))
    nonisolated(unsafe) static let hostmasterLabel = make([10] + Array("hostmaster".utf8))
    /// TXT RDATA of `dns-version.<zone>`: one string, the schema version.
    nonisolated(unsafe) static let versionText = make([5] + Array("1.1.0".utf8))

    static func make(_ bytes: [UInt8]) -> UnsafeRawBufferPointer {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 1)
        buffer.copyBytes(from: bytes)
        return UnsafeRawBufferPointer(buffer)
    }
}
