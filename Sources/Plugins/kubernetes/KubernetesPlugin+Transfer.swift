import ClusterRegistry
import DNSWire

/// Zone transfers of the cluster zones (CoreDNS's `kubernetes` `Transfer`, `xfr.go`): the SOA,
/// the zone's NS records and their addresses, then every service in namespace and name order,
/// then the SOA again.
///
/// Per service, as CoreDNS emits them:
/// - ClusterIP (NodePort, LoadBalancer): A/AAAA of the cluster IPs; per port, an SRV record at
///   the service's name (weight 100) and, for a named port, one at `_port._proto.<service>`.
/// - Headless: per ready address, A/AAAA at the service's name and at `<endpoint>.<service>`;
///   per named port of the endpoint, SRV `_port._proto.<service>` to `<endpoint>.<service>`.
/// - ExternalName: the CNAME to the external name.
/// Reverse zones are not transferred (CoreDNS's transfer has no PTR walk either).
extension KubernetesPlugin: ZoneTransferSource {
    public func transferRecords(zone: DomainName) -> [ResourceRecord]? {
        let asked = zone.lowercased()
        guard let set = indexes.load(), config.zones.contains(asked) else { return nil }
        let home = set.home
        let reverse = ["in-addr.arpa.", "ip6.arpa."].compactMap { try? DomainName($0) }
        guard !reverse.contains(where: { asked.isSubdomain(of: $0) }) else { return nil }
        let ttl = set.config.ttl
        func name(_ wire: [UInt8]) -> DomainName? { try? DomainName(wire: wire + asked.wire) }
        guard let nsDNS = name([2] + Array("ns".utf8) + [3] + Array("dns".utf8)),
              let hostmaster = name([10] + Array("hostmaster".utf8)) else { return nil }
        let soa = ResourceRecord(name: asked, ttl: ttl, rdata: .soa(SOAData(
            primaryNameServer: nsDNS, responsibleMailbox: hostmaster, serial: set.serial,
            refresh: 7200, retry: 1800, expire: 86_400, minimum: ttl)))
        var records = [soa]

        func arena(_ index: KubernetesIndex, _ offset: UInt32, _ length: Int) -> [UInt8] {
            index.arena.withUnsafeBytes { Array($0[Int(offset)..<(Int(offset) + length)]) }
        }
        func address(_ owner: DomainName, _ a: IPAddress) -> ResourceRecord {
            ResourceRecord(name: owner, ttl: ttl, rdata: a.rdata)
        }
        func serviceName(_ index: KubernetesIndex, _ s: Int32) -> DomainName? {
            let key = index.keyRange(s)
            return name(arena(index, UInt32(key.lowerBound), key.count) + [3] + Array("svc".utf8))
        }
        func portName(_ index: KubernetesIndex, _ port: KubernetesIndex.PortEntry, under owner: DomainName) -> DomainName? {
            guard port.nameLength > 0 else { return nil }
            let proto = Array(("_" + port.proto.kubernetesName.lowercased()).utf8)
            let label = [UInt8(ascii: "_")] + port.withName(in: index) { Array($0) }
            return try? owner.prepending(proto).prepending(label)
        }

        // Name servers, as the apex NS answer gives them.
        var seen: Set<DomainName> = []
        for server in home.nameServers {
            let host: DomainName?
            if server.service < 0 {
                host = nsDNS
            } else {
                let key = home.keyRange(server.service)
                var wire = arena(home, UInt32(key.lowerBound), key.count) + [3] + Array("svc".utf8)
                if server.endpoint >= 0 {
                    let e = home.endpoints[Int(server.endpoint)]
                    wire = [e.nameLength] + arena(home, e.nameOffset, Int(e.nameLength)) + wire
                }
                host = name(wire)
            }
            guard let host else { continue }
            if seen.insert(host).inserted { records.append(ResourceRecord(name: asked, ttl: ttl, rdata: .ns(host))) }
            records += server.addresses.map { address(host, $0) }
        }

        var order: [(DomainName, KubernetesIndex, Int)] = []
        for index in set.shards {
            for i in index.serviceEntries.indices {
                if let owner = serviceName(index, Int32(i)) { order.append((owner, index, i)) }
            }
        }
        order.sort { $0.0.description < $1.0.description }
        for (owner, index, i) in order {
            let entry = index.serviceEntries[i]
            switch index.cards[Int32(i)].kind {
            case .clusterIP:
                if let v4 = index.clusterIPv4(Int32(i)) { records.append(address(owner, .v4(v4))) }
                if let v6 = index.clusterIPv6(Int32(i)) { records.append(address(owner, .v6(v6))) }
                for p in entry.ports {
                    let port = index.ports[Int(p)]
                    guard port.hasNumber else { continue }
                    records.append(ResourceRecord(name: owner, ttl: ttl, rdata: .srv(priority: 0, weight: 100, port: port.port, target: owner)))
                    if let named = portName(index, port, under: owner) {
                        records.append(ResourceRecord(name: named, ttl: ttl, rdata: .srv(priority: 0, weight: 100, port: port.port, target: owner)))
                    }
                }
            case .headless:
                let weight = KubernetesAnswer.srvWeight(candidates: entry.endpoints.count)
                for e in entry.endpoints {
                    let endpoint = index.endpoints[Int(e)]
                    if endpoint.firstWithAddress { records.append(address(owner, index.address(of: endpoint))) }
                    guard let host = try? owner.prepending(arena(index, endpoint.nameOffset, Int(endpoint.nameLength))) else { continue }
                    records.append(address(host, index.address(of: endpoint)))
                    for p in endpoint.ports {
                        let port = index.ports[Int(p)]
                        guard port.hasNumber, let named = portName(index, port, under: owner) else { continue }
                        records.append(ResourceRecord(name: named, ttl: ttl, rdata: .srv(priority: 0, weight: weight, port: port.port, target: host)))
                    }
                }
            case .externalName:
                let external = index.externalTarget(Int32(i))
                let target = arena(index, external.offset, Int(external.length))
                if let external = try? DomainName(wire: target) {
                    records.append(ResourceRecord(name: owner, ttl: ttl, rdata: .cname(external)))
                }
            }
        }
        records.append(soa)
        return records
    }
}
