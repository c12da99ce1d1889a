/// A DNS opcode (RFC 1035 §4.1.1, RFC 1996, RFC 2136): four bits, open set.
public struct Opcode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue & 0x0F }

    @inlinable public static var query: Opcode { Opcode(rawValue: 0) }
    @inlinable public static var iquery: Opcode { Opcode(rawValue: 1) }
    @inlinable public static var status: Opcode { Opcode(rawValue: 2) }
    @inlinable public static var notify: Opcode { Opcode(rawValue: 4) }
    @inlinable public static var update: Opcode { Opcode(rawValue: 5) }

    public var description: String {
        switch self {
        case .query: "QUERY"
        case .iquery: "IQUERY"
        case .status: "STATUS"
        case .notify: "NOTIFY"
        case .update: "UPDATE"
        default: "OPCODE\(rawValue)"
        }
    }
}

/// A response code, 12 bits wide once EDNS supplies the upper 8 (RFC 6891 §6.1.3). Open set.
public struct ResponseCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    @inlinable public init(rawValue: UInt16) { self.rawValue = rawValue & 0x0FFF }

    @inlinable public static var noError: ResponseCode { ResponseCode(rawValue: 0) }
    @inlinable public static var formatError: ResponseCode { ResponseCode(rawValue: 1) }
    @inlinable public static var serverFailure: ResponseCode { ResponseCode(rawValue: 2) }
    @inlinable public static var nameError: ResponseCode { ResponseCode(rawValue: 3) }
    @inlinable public static var notImplemented: ResponseCode { ResponseCode(rawValue: 4) }
    @inlinable public static var refused: ResponseCode { ResponseCode(rawValue: 5) }
    @inlinable public static var yxDomain: ResponseCode { ResponseCode(rawValue: 6) }
    @inlinable public static var yxRRSet: ResponseCode { ResponseCode(rawValue: 7) }
    @inlinable public static var nxRRSet: ResponseCode { ResponseCode(rawValue: 8) }
    @inlinable public static var notAuth: ResponseCode { ResponseCode(rawValue: 9) }
    @inlinable public static var notZone: ResponseCode { ResponseCode(rawValue: 10) }
    @inlinable public static var badVersion: ResponseCode { ResponseCode(rawValue: 16) }
    @inlinable public static var badCookie: ResponseCode { ResponseCode(rawValue: 23) }

    /// The name `dig` prints in `status:`.
    public var description: String {
        switch rawValue {
        case 0: "NOERROR"
        case 1: "FORMERR"
        case 2: "SERVFAIL"
        case 3: "NXDOMAIN"
        case 4: "NOTIMP"
        case 5: "REFUSED"
        case 6: "YXDOMAIN"
        case 7: "YXRRSET"
        case 8: "NXRRSET"
        case 9: "NOTAUTH"
        case 10: "NOTZONE"
        case 16: "BADVERS"
        case 23: "BADCOOKIE"
        default: "RCODE\(rawValue)"
        }
    }

    /// Parses the names `description` prints (any case) or `RCODEnnn`.
    public init?(mnemonic text: some StringProtocol) {
        let upper = text.uppercased()
        for value in UInt16(0)...23 where ResponseCode(rawValue: value).description == upper {
            self.init(rawValue: value)
            return
        }
        guard upper.hasPrefix("RCODE"), let value = UInt16(upper.dropFirst(5)), value <= 0x0FFF else { return nil }
        self.init(rawValue: value)
    }

    /// The low four bits, as carried in the header.
    @inlinable public var headerBits: UInt8 { UInt8(truncatingIfNeeded: rawValue & 0x0F) }
    /// The upper eight bits, as carried in the OPT record's TTL field.
    @inlinable public var extendedBits: UInt8 { UInt8(truncatingIfNeeded: rawValue >> 4) }
}

/// The 12-octet message header (RFC 1035 §4.1.1) with every flag, including AD and CD (RFC 4035)
/// and the reserved Z bit, which is kept so a round trip loses nothing.
public struct Header: Hashable, Sendable {
    public var id: UInt16
    /// The second 16-bit word: QR, opcode, AA, TC, RD, RA, Z, AD, CD, RCODE.
    public var flags: UInt16
    public var questionCount: UInt16
    public var answerCount: UInt16
    public var authorityCount: UInt16
    public var additionalCount: UInt16

    @inlinable
    public init(id: UInt16 = 0, flags: UInt16 = 0, questionCount: UInt16 = 0, answerCount: UInt16 = 0,
                authorityCount: UInt16 = 0, additionalCount: UInt16 = 0) {
        self.id = id
        self.flags = flags
        self.questionCount = questionCount
        self.answerCount = answerCount
        self.authorityCount = authorityCount
        self.additionalCount = additionalCount
    }

    @inlinable func bit(_ mask: UInt16) -> Bool { flags & mask != 0 }
    @inlinable mutating func set(_ mask: UInt16, _ on: Bool) { flags = on ? flags | mask : flags & ~mask }

    @inlinable public static var qrMask: UInt16 { 0x8000 }
    /// The four opcode bits.
    @inlinable public static var opcodeMask: UInt16 { 0x7800 }
    @inlinable public static var aaMask: UInt16 { 0x0400 }
    @inlinable public static var tcMask: UInt16 { 0x0200 }
    @inlinable public static var rdMask: UInt16 { 0x0100 }
    @inlinable public static var raMask: UInt16 { 0x0080 }
    @inlinable public static var zMask: UInt16 { 0x0040 }
    @inlinable public static var adMask: UInt16 { 0x0020 }
    @inlinable public static var cdMask: UInt16 { 0x0010 }

    /// QR: this message is a response.
    @inlinable public var isResponse: Bool { get { bit(Header.qrMask) } set { set(Header.qrMask, newValue) } }
    @inlinable public var opcode: Opcode {
        get { Opcode(rawValue: UInt8(truncatingIfNeeded: flags >> 11)) }
        set { flags = (flags & ~0x7800) | UInt16(newValue.rawValue) << 11 }
    }
    @inlinable public var authoritative: Bool { get { bit(Header.aaMask) } set { set(Header.aaMask, newValue) } }
    @inlinable public var truncated: Bool { get { bit(Header.tcMask) } set { set(Header.tcMask, newValue) } }
    @inlinable public var recursionDesired: Bool { get { bit(Header.rdMask) } set { set(Header.rdMask, newValue) } }
    @inlinable public var recursionAvailable: Bool { get { bit(Header.raMask) } set { set(Header.raMask, newValue) } }
    @inlinable public var zero: Bool { get { bit(Header.zMask) } set { set(Header.zMask, newValue) } }
    @inlinable public var authenticData: Bool { get { bit(Header.adMask) } set { set(Header.adMask, newValue) } }
    @inlinable public var checkingDisabled: Bool { get { bit(Header.cdMask) } set { set(Header.cdMask, newValue) } }
    /// The four RCODE bits of the header; a message's full rcode also needs EDNS's upper bits.
    @inlinable public var rcodeBits: UInt8 {
        get { UInt8(truncatingIfNeeded: flags & 0x000F) }
        set { flags = (flags & ~0x000F) | UInt16(newValue & 0x0F) }
    }

    /// The flag mnemonics `dig` prints, in its order.
    public var flagNames: [String] {
        var names: [String] = []
        if isResponse { names.append("qr") }
        if authoritative { names.append("aa") }
        if truncated { names.append("tc") }
        if recursionDesired { names.append("rd") }
        if recursionAvailable { names.append("ra") }
        if zero { names.append("z") }
        if authenticData { names.append("ad") }
        if checkingDisabled { names.append("cd") }
        return names
    }

    /// Octets a header takes on the wire.
    @inlinable public static var size: Int { 12 }
}
