import DNSWire

/// The records of one owner name and type in a zone: what an answer copies whole.
///
/// Records keep file order (RFC 2181 makes an RRset unordered; `loadbalance` shuffles on the
/// way out). One TTL for the set (RFC 2181 §5.2): the zone builder settles differing TTLs.
public struct ZoneRRset: Sendable, Equatable {
    /// Lowercase owner name.
    public let name: DomainName
    public let type: RecordType
    public let ttl: UInt32
    /// The data, typed where DNSWire models the type; names in it lowercase.
    public let rdata: [RData]
    /// The same data in the form the message writer copies without allocating: identical to
    /// `rdata` except TXT, kept as its wire octets.
    public let wireRData: [RData]

    public init(name: DomainName, type: RecordType, ttl: UInt32, rdata: [RData]) {
        self.name = name
        self.type = type
        self.ttl = ttl
        self.rdata = rdata
        self.wireRData = rdata.map(ZoneRRset.writerForm)
    }

    /// The records of the set.
    public var records: [ResourceRecord] {
        rdata.map { ResourceRecord(name: name, type: type, ttl: ttl, rdata: $0) }
    }

    /// TXT strings as one opaque block of length-prefixed strings, as on the wire.
    public static func writerForm(_ rdata: RData) -> RData {
        guard case .txt(let strings) = rdata else { return rdata }
        var bytes: [UInt8] = []
        for string in strings {
            let piece = string.prefix(255)
            bytes.append(UInt8(piece.count))
            bytes.append(contentsOf: piece)
        }
        return .unknown(bytes)
    }

    /// The domain name a record points at, for the types whose answers pull in addresses
    /// (MX, SRV) or are followed (CNAME, NS): nil for others.
    public static func target(of rdata: RData) -> DomainName? {
        switch rdata {
        case .cname(let name), .ns(let name), .ptr(let name): name
        case .mx(_, let exchange): exchange
        case .srv(_, _, _, let target): target
        default: nil
        }
    }
}
