import DNSWire

/// Writing DNS values into a log line exactly as CoreDNS (through miekg/dns and Go's `net` and
/// `strconv`) prints them, octet by octet, without building strings.
extension LogLine {
    /// An address as Go prints it, an IPv6 one in brackets (`{remote}`, `{local}`).
    @inline(__always)
    mutating func appendBracketed(_ address: IPAddress) {
        switch address {
        case .v4(let a):
            appendIPv4(a.rawValue)
        case .v6(let a) where a.high == 0 && a.low >> 32 == 0xFFFF:
            // Go prints an IPv4-mapped address as plain IPv4, so without brackets.
            appendIPv4(UInt32(truncatingIfNeeded: a.low))
        case .v6(let a):
            append(UInt8(ascii: "["))
            appendIPv6(high: a.high, low: a.low)
            append(UInt8(ascii: "]"))
        }
    }

    /// Dotted decimal.
    mutating func appendIPv4(_ value: UInt32) {
        appendDecimal(UInt64(value >> 24))
        append(UInt8(ascii: "."))
        appendDecimal(UInt64((value >> 16) & 0xFF))
        append(UInt8(ascii: "."))
        appendDecimal(UInt64((value >> 8) & 0xFF))
        append(UInt8(ascii: "."))
        appendDecimal(UInt64(value & 0xFF))
    }

    /// RFC 5952 text (Go's `net.IP.String`): lowercase hex, the longest run of two or more zero
    /// groups as `::` (the first on a tie).
    mutating func appendIPv6(high: UInt64, low: UInt64) {
        @inline(__always) func group(_ i: Int) -> UInt16 {
            i < 4 ? UInt16(truncatingIfNeeded: high >> UInt64(48 - 16 * i)) : UInt16(truncatingIfNeeded: low >> UInt64(48 - 16 * (i - 4)))
        }
        var bestStart = -1
        var bestLength = 0
        var i = 0
        while i < 8 {
            if group(i) == 0 {
                var j = i
                while j < 8 && group(j) == 0 { j += 1 }
                if j - i > bestLength && j - i >= 2 {
                    bestStart = i
                    bestLength = j - i
                }
                i = j
            } else {
                i += 1
            }
        }
        var k = 0
        var needColon = false
        while k < 8 {
            if k == bestStart {
                append("::")
                k += bestLength
                needColon = false
                continue
            }
            if needColon { append(UInt8(ascii: ":")) }
            appendHex(group(k))
            needColon = true
            k += 1
        }
    }

    mutating func appendHex(_ value: UInt16) {
        var started = false
        for shift in stride(from: 12, through: 0, by: -4) {
            let digit = UInt8((value >> UInt16(shift)) & 0xF)
            if digit == 0 && !started && shift != 0 { continue }
            started = true
            append(digit < 10 ? UInt8(ascii: "0") + digit : UInt8(ascii: "a") + digit - 10)
        }
    }

    /// A wire name (uncompressed, as it lies in the question) in lowercase presentation form with
    /// miekg/dns's escapes: `\.`, `\ `, `\'`, `\@`, `\;`, `\(`, `\)`, `\"`, `\\`, and `\DDD`
    /// for octets outside 0x20…0x7E. The root is `.`.
    mutating func appendName(_ wire: UnsafeRawBufferPointer) {
        var i = 0
        if wire.isEmpty || wire[0] == 0 {
            append(UInt8(ascii: "."))
            return
        }
        while i < wire.count {
            let length = Int(wire[i])
            if length == 0 { break }
            let end = min(i + 1 + length, wire.count)
            var j = i + 1
            while j < end {
                var byte = wire[j]
                switch byte {
                case UInt8(ascii: "."), UInt8(ascii: " "), UInt8(ascii: "'"), UInt8(ascii: "@"), UInt8(ascii: ";"),
                     UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "\""), UInt8(ascii: "\\"):
                    append(UInt8(ascii: "\\"))
                    append(byte)
                case 0x21...0x7E:
                    if byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") { byte |= 0x20 }
                    append(byte)
                default:
                    append(UInt8(ascii: "\\"))
                    append(UInt8(ascii: "0") + byte / 100)
                    append(UInt8(ascii: "0") + (byte / 10) % 10)
                    append(UInt8(ascii: "0") + byte % 10)
                }
                j += 1
            }
            append(UInt8(ascii: "."))
            i = end
        }
    }

    /// A type's mnemonic as miekg/dns names it, else `TYPEnnn`.
    mutating func appendType(_ type: RecordType) {
        let raw = Int(type.rawValue)
        if let name = LogNames.types.name(raw) {
            append(name)
        } else if raw == 32768 {
            append("TA")
        } else if raw == 32769 {
            append("DLV")
        } else {
            append("TYPE")
            appendDecimal(UInt64(raw))
        }
    }

    /// A class as miekg/dns names it, else `CLASSnnn`.
    mutating func appendClass(_ recordClass: RecordClass) {
        switch recordClass.rawValue {
        case 1: append("IN")
        case 3: append("CH")
        case 4: append("HS")
        case 254: append("NONE")
        case 255: append("ANY")
        default:
            append("CLASS")
            appendDecimal(UInt64(recordClass.rawValue))
        }
    }

    /// An rcode as miekg/dns's `RcodeToString` names it, else the number.
    mutating func appendRcode(_ rcode: Int) {
        if let name = LogNames.rcodes.name(rcode) {
            append(name)
        } else {
            appendDecimal(rcode)
        }
    }

    /// The header flags that are set, comma-separated (`qr,aa,rd,ra`); nothing when none is.
    mutating func appendFlags(_ flags1: UInt8, _ flags2: UInt8) {
        var first = true
        @inline(__always) func flag(_ set: Bool, _ name: StaticString, _ line: inout LogLine) {
            guard set else { return }
            if !first { line.append(UInt8(ascii: ",")) }
            line.append(name)
            first = false
        }
        flag(flags1 & 0x80 != 0, "qr", &self)
        flag(flags1 & 0x04 != 0, "aa", &self)
        flag(flags1 & 0x02 != 0, "tc", &self)
        flag(flags1 & 0x01 != 0, "rd", &self)
        flag(flags2 & 0x80 != 0, "ra", &self)
        flag(flags2 & 0x40 != 0, "z", &self)
        flag(flags2 & 0x20 != 0, "ad", &self)
        flag(flags2 & 0x10 != 0, "cd", &self)
    }

    /// Seconds as Go's `strconv.FormatFloat(d.Seconds(), 'f', -1, 64)` prints them, then `s`:
    /// `0.000213s`, `1.5s`, `0s`.
    ///
    /// For any duration under 10⁶ s the nanosecond count has at most 15 significant digits, so the
    /// shortest decimal that round-trips the float is the exact decimal of the nanoseconds: it
    /// is written from the integer, trailing zeros dropped.
    mutating func appendSeconds(nanoseconds: UInt64) {
        appendDecimal(nanoseconds / 1_000_000_000)
        var fraction = nanoseconds % 1_000_000_000
        if fraction != 0 {
            append(UInt8(ascii: "."))
            var digits = 9
            while fraction % 10 == 0 {
                fraction /= 10
                digits -= 1
            }
            var divisor: UInt64 = 1
            for _ in 1..<digits { divisor *= 10 }
            while divisor > 0 {
                append(UInt8(ascii: "0") + UInt8(fraction / divisor % 10))
                divisor /= 10
            }
        }
        append(UInt8(ascii: "s"))
    }
}

/// Names indexed by value in one flat buffer, built once and read-only afterwards, so a lookup on
/// the query path costs a bounds check and no reference counting.
final class LogNameTable: @unchecked Sendable {
    // @unchecked: `bytes` and `ranges` are written in `init` only and never freed (process lifetime).
    let bytes: UnsafeMutableRawBufferPointer
    let ranges: UnsafeMutableBufferPointer<(offset: UInt32, length: UInt32)>

    init(count: Int, names: [(Int, String)]) {
        var flat: [UInt8] = []
        var table = [(offset: UInt32, length: UInt32)](repeating: (0, 0), count: count)
        for (value, name) in names where value >= 0 && value < count {
            table[value] = (UInt32(flat.count), UInt32(name.utf8.count))
            flat += Array(name.utf8)
        }
        bytes = .allocate(byteCount: max(1, flat.count), alignment: 1)
        bytes.copyBytes(from: flat)
        ranges = .allocate(capacity: count)
        _ = ranges.initialize(from: table)
    }

    /// The name of `value`, nil when it has none.
    @inline(__always)
    func name(_ value: Int) -> UnsafeRawBufferPointer? {
        guard value >= 0 && value < ranges.count else { return nil }
        let range = ranges[value]
        guard range.length > 0, let base = bytes.baseAddress else { return nil }
        return UnsafeRawBufferPointer(start: base + Int(range.offset), count: Int(range.length))
    }
}

enum LogNames {
    /// miekg/dns's type mnemonics (0…261).
    static let types = LogNameTable(count: 262, names: [
        (1, "A"), (2, "NS"), (3, "MD"), (4, "MF"), (5, "CNAME"), (6, "SOA"), (7, "MB"), (8, "MG"), (9, "MR"),
        (10, "NULL"), (12, "PTR"), (13, "HINFO"), (14, "MINFO"), (15, "MX"), (16, "TXT"), (17, "RP"),
        (18, "AFSDB"), (19, "X25"), (20, "ISDN"), (21, "RT"), (23, "NSAPPTR"), (24, "SIG"), (25, "KEY"),
        (26, "PX"), (27, "GPOS"), (28, "AAAA"), (29, "LOC"), (30, "NXT"), (31, "EID"), (32, "NIMLOC"),
        (33, "SRV"), (34, "ATMA"), (35, "NAPTR"), (36, "KX"), (37, "CERT"), (39, "DNAME"), (41, "OPT"),
        (42, "APL"), (43, "DS"), (44, "SSHFP"), (45, "IPSECKEY"), (46, "RRSIG"), (47, "NSEC"), (48, "DNSKEY"),
        (49, "DHCID"), (50, "NSEC3"), (51, "NSEC3PARAM"), (52, "TLSA"), (53, "SMIMEA"), (55, "HIP"),
        (56, "NINFO"), (57, "RKEY"), (58, "TALINK"), (59, "CDS"), (60, "CDNSKEY"), (61, "OPENPGPKEY"),
        (62, "CSYNC"), (63, "ZONEMD"), (64, "SVCB"), (65, "HTTPS"), (99, "SPF"), (100, "UINFO"), (101, "UID"),
        (102, "GID"), (103, "UNSPEC"), (104, "NID"), (105, "L32"), (106, "L64"), (107, "LP"), (108, "EUI48"),
        (109, "EUI64"), (249, "TKEY"), (250, "TSIG"), (251, "IXFR"), (252, "AXFR"), (253, "MAILB"),
        (254, "MAILA"), (255, "ANY"), (256, "URI"), (257, "CAA"), (258, "AVC"), (260, "AMTRELAY"),
        (261, "RESINFO"),
    ])

    /// miekg/dns's `RcodeToString` (16 is `BADSIG`, which shares its value with BADVERS).
    static let rcodes = LogNameTable(count: 24, names: [
        (0, "NOERROR"), (1, "FORMERR"), (2, "SERVFAIL"), (3, "NXDOMAIN"), (4, "NOTIMP"), (5, "REFUSED"),
        (6, "YXDOMAIN"), (7, "YXRRSET"), (8, "NXRRSET"), (9, "NOTAUTH"), (10, "NOTZONE"), (16, "BADSIG"),
        (17, "BADKEY"), (18, "BADTIME"), (19, "BADMODE"), (20, "BADNAME"), (21, "BADALG"), (22, "BADTRUNC"),
        (23, "BADCOOKIE"),
    ])
}
