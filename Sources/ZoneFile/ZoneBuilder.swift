import DNSWire

/// Validates records read from a master file and builds the immutable `Zone`.
///
/// Rules, with the choices where servers differ:
/// - exactly one SOA, owned by the origin (a second SOA is an error at its line; libldns would
///   skip it silently);
/// - records outside the origin are ignored with a warning, as NSD and Knot do (CoreDNS keeps
///   them in its tree, where only a CNAME target lookup could ever reach them);
/// - only class IN; meta types (OPT, ANY, AXFR…) are errors;
/// - a CNAME owner may hold one CNAME and no other data except RRSIG and NSEC (RFC 1034 §3.6.2,
///   RFC 4035 §2.5) — an error at the later record's line (CoreDNS accepts such zones);
///   likewise at most one DNAME per owner (RFC 6672 §2.4);
/// - identical records are kept once; differing TTLs within an RRset take the first record's TTL,
///   with a warning (RFC 2181 §5.2);
/// - names, in owners and in the RDATA of NS, CNAME, PTR, MX, SRV and SOA, are lowercased, as
///   CoreDNS does, so answers compress well and compare cheaply.
public enum ZoneBuilder {
    /// Types that may sit beside a CNAME.
    static let allowedBesideCNAME: Set<RecordType> = [.cname, .rrsig, .nsec]

    private struct PendingRRset {
        let name: DomainName
        let type: RecordType
        let ttl: UInt32
        var rdata: [RData]
        var lines: [(file: String, line: Int)]
        var warnedTTL = false
    }

    /// Builds the zone for `origin` from `records` (in file order).
    /// - Parameter files: the files the records came from, the zone file first.
    /// - Throws: `ZoneFileError` at the file and line of the first record that breaks a rule,
    ///   or at the zone file (line 0) when the SOA is missing.
    public static func build(origin rawOrigin: DomainName, records: [SourceRecord], files: [String]) throws(ZoneFileError) -> Zone {
        let origin = rawOrigin.lowercased()
        let mainFile = files.first ?? records.first?.file ?? "zone"
        var warnings: [ZoneFileWarning] = []
        var sets: [PendingRRset] = []
        var setIndex: [RRsetKey: Int] = [:]
        var soa: (data: SOAData, ttl: UInt32, file: String, line: Int)?

        for source in records {
            let record = canonical(source.record)
            guard record.recordClass == .in else {
                throw ZoneFileError(file: source.file, line: source.line,
                                    "class \(record.recordClass) is not supported: only IN")
            }
            guard !record.type.isMetaType else {
                throw ZoneFileError(file: source.file, line: source.line, "\(record.type) is not a record type a zone can hold")
            }
            guard record.name.isSubdomain(of: origin) else {
                warnings.append(ZoneFileWarning(file: source.file, line: source.line,
                                                "\(record.name) is outside the zone \(origin): record ignored"))
                continue
            }
            if case .soa(let data) = record.rdata {
                guard record.name == origin else {
                    throw ZoneFileError(file: source.file, line: source.line,
                                        "SOA record for \(record.name) is not at the zone origin \(origin)")
                }
                if let first = soa {
                    throw ZoneFileError(file: source.file, line: source.line,
                                        "second SOA record (the first is at \(first.file):\(first.line))")
                }
                soa = (data, record.ttl, source.file, source.line)
            }
            let key = RRsetKey(name: record.name, type: record.type)
            if let i = setIndex[key] {
                if sets[i].rdata.contains(record.rdata) { continue }
                if record.ttl != sets[i].ttl && !sets[i].warnedTTL {
                    sets[i].warnedTTL = true
                    warnings.append(ZoneFileWarning(file: source.file, line: source.line,
                                                    "TTL \(record.ttl) differs from \(sets[i].ttl) of the other \(record.type) records of \(record.name): using \(sets[i].ttl)"))
                }
                sets[i].rdata.append(record.rdata)
                sets[i].lines.append((source.file, source.line))
            } else {
                setIndex[key] = sets.count
                sets.append(PendingRRset(name: record.name, type: record.type, ttl: record.ttl,
                                         rdata: [record.rdata], lines: [(source.file, source.line)]))
            }
        }
        guard let soa else {
            throw ZoneFileError(file: mainFile, line: 0, "no SOA record at the zone origin \(origin)")
        }

        // Owners and their RRsets, in first-appearance order.
        var byOwner: [DomainName: [Int]] = [:]
        for (i, set) in sets.enumerated() { byOwner[set.name, default: []].append(i) }
        for (_, indices) in byOwner {
            try checkExclusiveTypes(indices.map { sets[$0] })
        }

        // Every owner and every ancestor up to the origin is a node.
        var names: Set<DomainName> = [origin]
        for owner in byOwner.keys {
            var name = owner
            while name != origin && names.insert(name).inserted {
                name = name.droppingFirst()
            }
        }
        let ordered = [origin] + names.subtracting([origin]).sorted()
        var position: [DomainName: Int] = [:]
        for (i, name) in ordered.enumerated() { position[name] = i }

        var wildcardOf = [Int](repeating: -1, count: ordered.count)
        let star: [UInt8] = [UInt8(ascii: "*")]
        for (i, name) in ordered.enumerated() where i != Zone.apexIndex && name.firstLabel.elementsEqual(star) {
            if let parent = position[name.droppingFirst()] { wildcardOf[parent] = i }
        }
        var nodes: [ZoneNode] = []
        nodes.reserveCapacity(ordered.count)
        for (i, name) in ordered.enumerated() {
            let rrsets = (byOwner[name] ?? []).map { ZoneRRset(name: sets[$0].name, type: sets[$0].type, ttl: sets[$0].ttl, rdata: sets[$0].rdata) }
            let parent = i == Zone.apexIndex ? -1 : (position[name.droppingFirst()] ?? Zone.apexIndex)
            let isCut = i != Zone.apexIndex && rrsets.contains { $0.type == .ns }
            nodes.append(ZoneNode(name: name, rrsets: rrsets, parent: parent, wildcard: wildcardOf[i], isDelegation: isCut))
        }
        return Zone(origin: origin, soa: soa.data, soaTTL: soa.ttl, nodes: nodes, files: files.isEmpty ? [mainFile] : files,
                    warnings: warnings)
    }

    /// CNAME and DNAME exclusivity at one owner.
    private static func checkExclusiveTypes(_ sets: [PendingRRset]) throws(ZoneFileError) {
        for set in sets where (set.type == .cname || set.type == .dname) && set.rdata.count > 1 {
            let second = set.lines[1]
            throw ZoneFileError(file: second.file, line: second.line,
                                "more than one \(set.type) record at \(set.name) (the first is at \(set.lines[0].file):\(set.lines[0].line))")
        }
        guard let cname = sets.first(where: { $0.type == .cname }) else { return }
        for other in sets where !allowedBesideCNAME.contains(other.type) {
            // Report at whichever of the two came second in the file.
            let (later, earlier, laterType) = isLater(other.lines[0], than: cname.lines[0])
                ? (other.lines[0], cname.lines[0], other.type) : (cname.lines[0], other.lines[0], RecordType.cname)
            let earlierType = laterType == .cname ? other.type : RecordType.cname
            throw ZoneFileError(file: later.file, line: later.line,
                                "\(laterType) record at \(cname.name), which already has a \(earlierType) record at \(earlier.file):\(earlier.line): a CNAME owner can hold no other data")
        }
    }

    private static func isLater(_ a: (file: String, line: Int), than b: (file: String, line: Int)) -> Bool {
        a.file == b.file ? a.line > b.line : true
    }

    /// The record with its names lowercased.
    static func canonical(_ record: ResourceRecord) -> ResourceRecord {
        var record = record
        record.name = record.name.lowercased()
        switch record.rdata {
        case .ns(let name): record.rdata = .ns(name.lowercased())
        case .cname(let name): record.rdata = .cname(name.lowercased())
        case .ptr(let name): record.rdata = .ptr(name.lowercased())
        case .mx(let preference, let exchange): record.rdata = .mx(preference: preference, exchange: exchange.lowercased())
        case .srv(let priority, let weight, let port, let target):
            record.rdata = .srv(priority: priority, weight: weight, port: port, target: target.lowercased())
        case .soa(var data):
            data.primaryNameServer = data.primaryNameServer.lowercased()
            data.responsibleMailbox = data.responsibleMailbox.lowercased()
            record.rdata = .soa(data)
        default: break
        }
        return record
    }
}

struct RRsetKey: Hashable {
    let name: DomainName
    let type: RecordType
}
