/// An RR TYPE (RFC 1035 §3.2.2 and later registries). An open set: any 16-bit value survives a
/// round trip and prints as `TYPE12345` (RFC 3597) when it has no mnemonic here.
public struct RecordType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    @inlinable public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let a = RecordType(rawValue: 1)
    public static let ns = RecordType(rawValue: 2)
    public static let md = RecordType(rawValue: 3)
    public static let mf = RecordType(rawValue: 4)
    public static let cname = RecordType(rawValue: 5)
    public static let soa = RecordType(rawValue: 6)
    public static let mb = RecordType(rawValue: 7)
    public static let mg = RecordType(rawValue: 8)
    public static let mr = RecordType(rawValue: 9)
    public static let null = RecordType(rawValue: 10)
    public static let wks = RecordType(rawValue: 11)
    public static let ptr = RecordType(rawValue: 12)
    public static let hinfo = RecordType(rawValue: 13)
    public static let minfo = RecordType(rawValue: 14)
    public static let mx = RecordType(rawValue: 15)
    public static let txt = RecordType(rawValue: 16)
    public static let rp = RecordType(rawValue: 17)
    public static let afsdb = RecordType(rawValue: 18)
    public static let rt = RecordType(rawValue: 21)
    public static let aaaa = RecordType(rawValue: 28)
    public static let srv = RecordType(rawValue: 33)
    public static let naptr = RecordType(rawValue: 35)
    public static let dname = RecordType(rawValue: 39)
    public static let opt = RecordType(rawValue: 41)
    public static let ds = RecordType(rawValue: 43)
    public static let sshfp = RecordType(rawValue: 44)
    public static let rrsig = RecordType(rawValue: 46)
    public static let nsec = RecordType(rawValue: 47)
    public static let dnskey = RecordType(rawValue: 48)
    public static let nsec3 = RecordType(rawValue: 50)
    public static let nsec3param = RecordType(rawValue: 51)
    public static let tlsa = RecordType(rawValue: 52)
    public static let svcb = RecordType(rawValue: 64)
    public static let https = RecordType(rawValue: 65)
    public static let spf = RecordType(rawValue: 99)
    public static let tkey = RecordType(rawValue: 249)
    public static let tsig = RecordType(rawValue: 250)
    public static let ixfr = RecordType(rawValue: 251)
    public static let axfr = RecordType(rawValue: 252)
    public static let mailb = RecordType(rawValue: 253)
    public static let maila = RecordType(rawValue: 254)
    public static let any = RecordType(rawValue: 255)
    public static let uri = RecordType(rawValue: 256)
    public static let caa = RecordType(rawValue: 257)

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
