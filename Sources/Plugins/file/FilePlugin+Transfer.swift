import ClusterRegistry
import DNSWire
import ZoneFile

/// Zone transfers of `file` zones: every record of the zone as loaded now, SOA first and last.
extension FilePlugin: ZoneTransferSource {
    public func transferRecords(zone: DomainName) -> [ResourceRecord]? {
        guard let loaded = zones.first(where: { $0.origin == zone }), let current = loaded.cell.load() else { return nil }
        var records = current.records
        if let soa = records.first { records.append(soa) }
        return records
    }
}
