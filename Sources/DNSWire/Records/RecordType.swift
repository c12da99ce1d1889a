/// An RR TYPE (RFC 1035 §3.2.2 and later registries). An open set: any 16-bit value survives a
/// round trip and prints as `TYPE12345` (RFC 3597) when it has no mnemonic here.
public struct RecordType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    @inlinable public init(rawValue: UInt16) { self.rawValue = rawValue }

    @inlinable public static var a: RecordType { RecordType(rawValue: 1) }
    @inlinable public static var ns: RecordType { RecordType(rawValue: 2) }
    @inlinable public static var md: RecordType { RecordType(rawValue: 3) }
    @inlinable public static var mf: RecordType { RecordType(rawValue: 4) }
    @inlinable public static var cname: RecordType { RecordType(rawValue: 5) }
    @inlinable public static var soa: RecordType { RecordType(rawValue: 6) }
    @inlinable public static var mb: RecordType { RecordType(rawValue: 7) }
    @inlinable public static var mg: RecordType { RecordType(rawValue: 8) }
    @inlinable public static var mr: RecordType { RecordType(rawValue: 9) }
    @inlinable public static var null: RecordType { RecordType(rawValue: 10) }
    @inlinable public static var wks: RecordType { RecordType(rawValue: 11) }
    @inlinable public static var ptr: RecordType { RecordType(rawValue: 12) }
    @inlinable public static var hinfo: RecordType { RecordType(rawValue: 13) }
    @inlinable public static var minfo: RecordType { RecordType(rawValue: 14) }
    @inlinable public static var mx: RecordType { RecordType(rawValue: 15) }
    @inlinable public static var txt: RecordType { RecordType(rawValue: 16) }
    @inlinable public static var rp: RecordType { RecordType(rawValue: 17) }
    @inlinable public static var afsdb: RecordType { RecordType(rawValue: 18) }
    @inlinable public static var rt: RecordType { RecordType(rawValue: 21) }
    @inlinable public static var aaaa: RecordType { RecordType(rawValue: 28) }
    @inlinable public static var srv: RecordType { RecordType(rawValue: 33) }
    @inlinable public static var naptr: RecordType { RecordType(rawValue: 35) }
    @inlinable public static var dname: RecordType { RecordType(rawValue: 39) }
    @inlinable public static var opt: RecordType { RecordType(rawValue: 41) }
    @inlinable public static var ds: RecordType { RecordType(rawValue: 43) }
    @inlinable public static var sshfp: RecordType { RecordType(rawValue: 44) }
    @inlinable public static var rrsig: RecordType { RecordType(rawValue: 46) }
    @inlinable public static var nsec: RecordType { RecordType(rawValue: 47) }
    @inlinable public static var dnskey: RecordType { RecordType(rawValue: 48) }
    @inlinable public static var nsec3: RecordType { RecordType(rawValue: 50) }
    @inlinable public static var nsec3param: RecordType { RecordType(rawValue: 51) }
    @inlinable public static var tlsa: RecordType { RecordType(rawValue: 52) }
    @inlinable public static var svcb: RecordType { RecordType(rawValue: 64) }
    @inlinable public static var https: RecordType { RecordType(rawValue: 65) }
    @inlinable public static var spf: RecordType { RecordType(rawValue: 99) }
    @inlinable public static var tkey: RecordType { RecordType(rawValue: 249) }
    @inlinable public static var tsig: RecordType { RecordType(rawValue: 250) }
    @inlinable public static var ixfr: RecordType { RecordType(rawValue: 251) }
    @inlinable public static var axfr: RecordType { RecordType(rawValue: 252) }
    @inlinable public static var mailb: RecordType { RecordType(rawValue: 253) }
    @inlinable public static var maila: RecordType { RecordType(rawValue: 254) }
    @inlinable public static var any: RecordType { RecordType(rawValue: 255) }
    @inlinable public static var uri: RecordType { RecordType(rawValue: 256) }
    @inlinable public static var caa: RecordType { RecordType(rawValue: 257) }

    /// Mnemonics this codec knows by name, for printing and parsing.
    static let mnemonics: [(RecordType, String)] = [
        (.a, "A"), (.ns, "NS"), (.md, "MD"), (.mf, "MF"), (.cname, "CNAME"), (.soa, "SOA"), (.mb, "MB"),
        (.mg, "MG"), (.mr, "MR"), (.null, "NULL"), (.wks, "WKS"), (.ptr, "PTR"), (.hinfo, "HINFO"),
        (.minfo, "MINFO"), (.mx, "MX"), (.txt, "TXT"), (.rp, "RP"), (.afsdb, "AFSDB"), (.rt, "RT"),
        (.aaaa, "AAAA"), (.srv, "SRV"), (.naptr, "NAPTR"), (.dname, "DNAME"), (.opt, "OPT"), (.ds, "DS"),
        (.sshfp, "SSHFP"), (.rrsig, "RRSIG"), (.nsec, "NSEC"), (.dnskey, "DNSKEY"), (.nsec3, "NSEC3"),
        (.nsec3param, "NSEC3PARAM"), (.tlsa, "TLSA"), (.svcb, "SVCB"), (.https, "HTTPS"), (.spf, "SPF"),
        (.tkey, "TKEY"), (.tsig, "TSIG"), (.ixfr, "IXFR"), (.axfr, "AXFR"), (.mailb, "MAILB"),
        (.maila, "MAILA"), (.any, "ANY"), (.uri, "URI"), (.caa, "CAA"),
    ]

    /// The mnemonic (`AAAA`) or the RFC 3597 generic form (`TYPE65280`).
    public var description: String {
        for (type, name) in RecordType.mnemonics where type == self { return name }
        return "TYPE\(rawValue)"
    }

    /// Parses a mnemonic (any case) or `TYPEnnn`.
    public init?(mnemonic text: some StringProtocol) {
        let upper = text.uppercased()
        for (type, name) in RecordType.mnemonics where name == upper {
            self = type
            return
        }
        guard upper.hasPrefix("TYPE"), let value = UInt16(upper.dropFirst(4)) else { return nil }
        rawValue = value
    }

    /// Meta and query-only types (RFC 6895 §3.1: 128–255), never stored as data.
    public var isMetaType: Bool { (128...255).contains(rawValue) || self == .opt }
}
