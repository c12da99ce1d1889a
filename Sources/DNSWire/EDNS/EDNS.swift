/// An EDNS(0) option code (RFC 6891 §6.1.2 registry). Open set.
public struct EDNSOptionCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    @inlinable public init(rawValue: UInt16) { self.rawValue = rawValue }

    @inlinable public static var nsid: EDNSOptionCode { EDNSOptionCode(rawValue: 3) }
    @inlinable public static var clientSubnet: EDNSOptionCode { EDNSOptionCode(rawValue: 8) }
    @inlinable public static var expire: EDNSOptionCode { EDNSOptionCode(rawValue: 9) }
    @inlinable public static var cookie: EDNSOptionCode { EDNSOptionCode(rawValue: 10) }
    @inlinable public static var tcpKeepalive: EDNSOptionCode { EDNSOptionCode(rawValue: 11) }
    @inlinable public static var padding: EDNSOptionCode { EDNSOptionCode(rawValue: 12) }
    @inlinable public static var extendedError: EDNSOptionCode { EDNSOptionCode(rawValue: 15) }

    public var description: String {
        switch self {
        case .nsid: "NSID"
        case .clientSubnet: "CLIENT-SUBNET"
        case .expire: "EXPIRE"
        case .cookie: "COOKIE"
        case .tcpKeepalive: "TCP-KEEPALIVE"
        case .padding: "PADDING"
        case .extendedError: "EDE"
        default: "OPT=\(rawValue)"
        }
    }
}

/// One EDNS option, kept byte for byte so unknown options survive a round trip.
public struct EDNSOption: Hashable, Sendable {
    public var code: EDNSOptionCode
    public var data: [UInt8]

    public init(code: EDNSOptionCode, data: [UInt8]) {
        self.code = code
        self.data = data
    }

    /// A COOKIE option (RFC 7873): an 8-octet client cookie and an optional 8–32-octet server cookie.
    public static func cookie(client: [UInt8], server: [UInt8] = []) -> EDNSOption {
        EDNSOption(code: .cookie, data: client + server)
    }

    /// A PADDING option of `length` zero octets (RFC 7830).
    public static func padding(length: Int) -> EDNSOption {
        EDNSOption(code: .padding, data: [UInt8](repeating: 0, count: length))
    }

    /// The client and server cookies, when this is a well-formed COOKIE option.
    public var cookie: (client: [UInt8], server: [UInt8])? {
        guard code == .cookie, data.count == 8 || (16...40).contains(data.count) else { return nil }
        return (Array(data.prefix(8)), Array(data.dropFirst(8)))
    }

    /// The client subnet, when this is a well-formed ECS option (RFC 7871 §6).
    public var clientSubnet: ClientSubnet? { ClientSubnet(option: self) }
}

/// The EDNS Client Subnet option's fields (RFC 7871).
public struct ClientSubnet: Hashable, Sendable {
    /// 1 for IPv4, 2 for IPv6 (address family numbers).
    public var family: UInt16
    public var sourcePrefixLength: UInt8
    public var scopePrefixLength: UInt8
    /// The address truncated to `sourcePrefixLength` bits, as on the wire.
    public var address: [UInt8]

    public init(family: UInt16, sourcePrefixLength: UInt8, scopePrefixLength: UInt8, address: [UInt8]) {
        self.family = family
        self.sourcePrefixLength = sourcePrefixLength
        self.scopePrefixLength = scopePrefixLength
        self.address = address
    }

    init?(option: EDNSOption) {
        guard option.code == .clientSubnet, option.data.count >= 4 else { return nil }
        let d = option.data
        family = UInt16(d[0]) << 8 | UInt16(d[1])
        sourcePrefixLength = d[2]
        scopePrefixLength = d[3]
        address = Array(d[4...])
        let maxBits = family == 1 ? 32 : family == 2 ? 128 : -1
        guard maxBits > 0, Int(sourcePrefixLength) <= maxBits,
              address.count == (Int(sourcePrefixLength) + 7) / 8 else { return nil }
    }

    /// The option carrying these fields.
    public var option: EDNSOption {
        EDNSOption(code: .clientSubnet,
                   data: [UInt8(family >> 8), UInt8(family & 0xFF), sourcePrefixLength, scopePrefixLength] + address)
    }
}

/// The OPT pseudo-record of a message (RFC 6891 §6), decoded into its fields.
public struct EDNS: Hashable, Sendable {
    /// Largest UDP payload the sender can reassemble; values under 512 are read as 512 (RFC 6891 §6.2.3).
    public var udpPayloadSize: UInt16
    /// The upper eight bits of the message's 12-bit RCODE.
    public var extendedRCode: UInt8
    public var version: UInt8
    /// The whole 16-bit flags field, DO included, so reserved Z bits round-trip.
    public var flags: UInt16
    public var options: [EDNSOption]

    public init(udpPayloadSize: UInt16 = 1232, extendedRCode: UInt8 = 0, version: UInt8 = 0,
                dnssecOK: Bool = false, options: [EDNSOption] = []) {
        self.udpPayloadSize = udpPayloadSize
        self.extendedRCode = extendedRCode
        self.version = version
        self.flags = dnssecOK ? EDNS.doMask : 0
        self.options = options
    }

    @inlinable public static var doMask: UInt16 { 0x8000 }

    /// DO: the sender wants DNSSEC records (RFC 3225).
    public var dnssecOK: Bool {
        get { flags & EDNS.doMask != 0 }
        set { flags = newValue ? flags | EDNS.doMask : flags & ~EDNS.doMask }
    }

    /// The first option with `code`.
    public func option(_ code: EDNSOptionCode) -> EDNSOption? { options.first { $0.code == code } }

    /// Octets the OPT record takes on the wire.
    public var wireSize: Int { 11 + options.reduce(0) { $0 + 4 + $1.data.count } }
}
