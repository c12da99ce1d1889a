/// The SOA record's fields (RFC 1035 §3.3.13).
public struct SOAData: Hashable, Sendable {
    public var primaryNameServer: DomainName
    public var responsibleMailbox: DomainName
    public var serial: UInt32
    public var refresh: UInt32
    public var retry: UInt32
    public var expire: UInt32
    /// Also the negative-caching TTL (RFC 2308 §4).
    public var minimum: UInt32

    public init(primaryNameServer: DomainName, responsibleMailbox: DomainName, serial: UInt32,
                refresh: UInt32, retry: UInt32, expire: UInt32, minimum: UInt32) {
        self.primaryNameServer = primaryNameServer
        self.responsibleMailbox = responsibleMailbox
        self.serial = serial
        self.refresh = refresh
        self.retry = retry
        self.expire = expire
        self.minimum = minimum
    }
}

/// Record data, typed for the types a cluster DNS server reads or writes, opaque for the rest.
///
/// Cases are named after the mnemonics. `.unknown` holds the RDATA of any other type as
/// uncompressed octets (RFC 3597), so a round trip through this codec loses nothing; names in
/// the RDATA of RFC 1035's other well-known types (MB, MINFO, …) are decompressed on read, so
/// the octets stay valid anywhere they are written.
public enum RData: Hashable, Sendable {
    case a(IPv4Address)
    case aaaa(IPv6Address)
    case ns(DomainName)
    case cname(DomainName)
    case ptr(DomainName)
    case soa(SOAData)
    case mx(preference: UInt16, exchange: DomainName)
    /// One or more character-strings, each at most 255 octets.
    case txt([[UInt8]])
    case srv(priority: UInt16, weight: UInt16, port: UInt16, target: DomainName)
    /// Any other type, or a typed one with empty RDATA (RFC 2136 update prerequisites).
    case unknown([UInt8])

    /// The TYPE this data belongs to, when the case implies one.
    public var impliedType: RecordType? {
        switch self {
        case .a: .a
        case .aaaa: .aaaa
        case .ns: .ns
        case .cname: .cname
        case .ptr: .ptr
        case .soa: .soa
        case .mx: .mx
        case .txt: .txt
        case .srv: .srv
        case .unknown: nil
        }
    }
}

/// A resource record: owner, type, class, TTL and data.
public struct ResourceRecord: Hashable, Sendable {
    public var name: DomainName
    public var type: RecordType
    public var recordClass: RecordClass
    public var ttl: UInt32
    public var rdata: RData

    /// A record whose type follows from typed data.
    public init(name: DomainName, ttl: UInt32, recordClass: RecordClass = .in, rdata: RData) {
        self.name = name
        self.type = rdata.impliedType ?? RecordType(rawValue: 0)
        self.recordClass = recordClass
        self.ttl = ttl
        self.rdata = rdata
    }

    /// A record with an explicit type (needed for `.unknown` data).
    public init(name: DomainName, type: RecordType, recordClass: RecordClass = .in, ttl: UInt32, rdata: RData) {
        self.name = name
        self.type = type
        self.recordClass = recordClass
        self.ttl = ttl
        self.rdata = rdata
    }

    /// True when `other` belongs to the same RRset (owner, type and class; RFC 2181 §5).
    public func sameRRset(as other: ResourceRecord) -> Bool {
        type == other.type && recordClass == other.recordClass && name == other.name
    }
}

/// One entry of the question section.
public struct Question: Hashable, Sendable {
    public var name: DomainName
    public var type: RecordType
    public var questionClass: RecordClass

    public init(name: DomainName, type: RecordType, questionClass: RecordClass = .in) {
        self.name = name
        self.type = type
        self.questionClass = questionClass
    }
}
