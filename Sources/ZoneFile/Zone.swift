import DNSWire

/// An authoritative zone loaded from a master file: immutable, indexed for lookups by wire name,
/// shared by every worker thread.
///
/// Invariants (checked by `ZoneBuilder`): exactly one SOA, at the origin; every name is at or
/// below the origin; a CNAME owner holds no other data (except DNSSEC's RRSIG/NSEC) and one
/// CNAME; every ancestor of an owner, up to the origin, is a node (an empty non-terminal when it
/// owns nothing), so "does this name exist" is one index probe.
public final class Zone: Sendable {
    /// Index of the apex in `nodes`.
    public static let apexIndex = 0

    /// Lowercase origin.
    public let origin: DomainName
    /// Labels in the origin (0 for the root zone).
    public let originLabels: Int
    public let soa: SOAData
    /// The TTL of the SOA record itself.
    public let soaTTL: UInt32
    /// Every name of the zone, the apex first, then in canonical order (RFC 4034 §6.1).
    public let nodes: [ZoneNode]
    /// Node numbers by name.
    let index: WireNameTable<Int>
    /// The files read (the zone file first, then its includes), for reload checks.
    public let files: [String]
    /// What was accepted but looked wrong, for the log.
    public let warnings: [ZoneFileWarning]

    init(origin: DomainName, soa: SOAData, soaTTL: UInt32, nodes: [ZoneNode], files: [String],
         warnings: [ZoneFileWarning]) {
        self.origin = origin
        self.originLabels = origin.labelCount
        self.soa = soa
        self.soaTTL = soaTTL
        self.nodes = nodes
        self.index = Zone.makeIndex(nodes)
        self.files = files
        self.warnings = warnings
    }

    /// Reads, parses and validates the master file at `path` for `origin` (`$ORIGIN` until the
    /// file sets another).
    /// - Throws: `ZoneFileError` at the file and line of the first defect.
    public static func load(file path: String, origin: DomainName) throws(ZoneFileError) -> Zone {
        var reader = MasterFileReader()
        try reader.read(path: path, origin: origin.lowercased(), defaultTTL: nil)
        return try ZoneBuilder.build(origin: origin, records: reader.records, files: reader.files)
    }

    public var serial: UInt32 { soa.serial }

    /// The TTL of the SOA in negative answers: the lower of the SOA's TTL and its MINIMUM field
    /// (RFC 2308 §3).
    public var negativeTTL: UInt32 { min(soaTTL, soa.minimum) }

    public var apex: ZoneNode { nodes[Zone.apexIndex] }

    static func makeIndex(_ nodes: [ZoneNode]) -> WireNameTable<Int> {
        var table = WireNameTable<Int>(capacity: nodes.count)
        for (i, node) in nodes.enumerated() { table.insert(node.name.wire, i) }
        table.shrinkToFit()
        return table
    }

    /// The node number of the uncompressed wire name `wire` (any case), or nil.
    /// - Complexity: O(name length) expected. Allocation-free.
    @inline(__always)
    public func find(_ wire: UnsafeRawBufferPointer) -> Int? { index.lookup(wire) }

    /// The node number of `name`, or nil.
    public func find(_ name: DomainName) -> Int? { name.wire.withUnsafeBytes { index.lookup($0) } }

    /// The node called `name`, or nil.
    public func node(named name: DomainName) -> ZoneNode? {
        find(name).map { nodes[$0] }
    }

    /// The RRset of `name` and `type`, or nil.
    public func rrset(_ name: DomainName, _ type: RecordType) -> ZoneRRset? {
        node(named: name)?.rrset(type)
    }

    /// Names with NS records below the apex: the zone cuts.
    public var delegationPoints: [DomainName] { nodes.filter(\.isDelegation).map(\.name) }

    /// Names whose first label is `*`.
    public var wildcardNames: [DomainName] {
        nodes.filter { $0.name.firstLabel.elementsEqual([UInt8(ascii: "*")]) }.map(\.name)
    }

    /// The address records of the in-zone name servers of the cut at `name` (its glue), in the
    /// order of the NS records.
    public func glue(at name: DomainName) -> [ZoneRRset] {
        guard let cut = node(named: name), let ns = cut.rrset(.ns) else { return [] }
        var result: [ZoneRRset] = []
        for rdata in ns.rdata {
            guard let target = ZoneRRset.target(of: rdata), target.isSubdomain(of: origin),
                  let host = node(named: target) else { continue }
            if let a = host.rrset(.a) { result.append(a) }
            if let aaaa = host.rrset(.aaaa) { result.append(aaaa) }
        }
        return result
    }

    /// Every record, SOA first, then node by node.
    public var records: [ResourceRecord] {
        var result = [ResourceRecord(name: origin, ttl: soaTTL, rdata: .soa(soa))]
        for node in nodes {
            for set in node.rrsets where set.type != .soa { result += set.records }
        }
        return result
    }

    /// How many records the zone holds (the SOA included).
    public var recordCount: Int {
        nodes.reduce(0) { $0 + $1.rrsets.reduce(0) { $0 + $1.rdata.count } }
    }
}
