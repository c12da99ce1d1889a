import ClusterRegistry
import DNSWire

extension KubernetesAnswer {
    /// The zone apex (forward or reverse): SOA, NS with glue; every other type NODATA.
    static func apex(_ q: Asked, _ index: KubernetesIndex, _ response: inout ResponseBuilder) -> Outcome {
        switch q.type {
        case .soa:
            response.beginRRset()
            appendSOA(index, zoneOffset: q.zoneOffset, &response)
            response.endRRset()
            return .answered
        case .ns:
            appendNameServers(q, index, &response)
            return .answered
        default:
            return .nodata
        }
    }

    /// The zone's SOA (CoreDNS `plugin.SOA`):
    /// `<zone> min(ttl,300) IN SOA ns.dns.<zone> hostmaster.<zone> <serial> 7200 1800 86400 <ttl>`.
    /// The zone's name is a pointer into the question, so it echoes the client's case; the serial
    /// is the registry's (the time of the last DNS-relevant change).
    static func appendSOA(_ index: KubernetesIndex, zoneOffset: Int, _ response: inout ResponseBuilder) {
        let ttl = index.config.ttl
        let serial = index.serial
        response.append(owner: .questionSuffix(zoneOffset), type: .soa, ttl: min(ttl, 300)) { (w) throws(WriterFull) in
            try w.writeBytes(WireConstants.nsDNSLabels)
            try w.writePointer(to: Header.size + zoneOffset)
            try w.writeBytes(WireConstants.hostmasterLabel)
            try w.writePointer(to: Header.size + zoneOffset)
            try w.writeUInt32(serial)
            try w.writeUInt32(7200)
            try w.writeUInt32(1800)
            try w.writeUInt32(86_400)
            try w.writeUInt32(ttl)
        }
    }

    /// `<zone> NS`: one record per name server (`ns.dns.<zone>`, or the services fronting this
    /// server such as `kube-dns.kube-system.svc.<zone>`), their addresses as glue in the
    /// additional section.
    static func appendNameServers(_ q: Asked, _ index: KubernetesIndex, _ response: inout ResponseBuilder) {
        let ttl = index.config.ttl
        let servers = index.nameServers
        let zoneOffset = q.zoneOffset
        // A service-named server lives in the question's zone when that is a forward zone, else
        // in the primary zone.
        let forwardZone = !isReverseZone(q.name, zoneOffset: zoneOffset)
        withUnsafeTemporaryAllocation(of: Int.self, capacity: max(1, servers.count)) { offsets in
            index.arena.withUnsafeBytes { arena in
                index.primaryZoneWire.withUnsafeBytes { primaryZone in
                    response.beginRRset()
                    for (k, server) in servers.enumerated() {
                        offsets[k] = -1
                        var key = UnsafeRawBufferPointer(start: nil, count: 0)
                        var label = UnsafeRawBufferPointer(start: nil, count: 0)
                        if server.service >= 0 {
                            key = UnsafeRawBufferPointer(rebasing: arena[index.keyRange(server.service)])
                        }
                        if server.endpoint >= 0 {
                            let endpoint = index.endpoints[Int(server.endpoint)]
                            label = UnsafeRawBufferPointer(rebasing: arena[Int(endpoint.nameOffset)..<(Int(endpoint.nameOffset) + Int(endpoint.nameLength))])
                        }
                        response.append(owner: .question, type: .ns, ttl: ttl) { (w) throws(WriterFull) in
                            offsets[k] = w.position
                            if server.service < 0 {
                                try w.writeBytes(WireConstants.nsDNSLabels)
                                try w.writePointer(to: Header.size + zoneOffset)
                            } else {
                                if !label.isEmpty {
                                    try w.writeUInt8(UInt8(label.count))
                                    try w.writeBytes(label)
                                }
                                try w.writeBytes(key)
                                try w.writeBytes(WireConstants.svcLabel)
                                if forwardZone {
                                    try w.writePointer(to: Header.size + zoneOffset)
                                } else {
                                    try w.writeName(wire: primaryZone)
                                }
                            }
                        }
                    }
                    response.endRRset()
                }
            }
            response.startSection(.additional)
            for (k, server) in servers.enumerated() where offsets[k] >= 0 {
                _ = appendAddresses(server.addresses, type: .a, owner: .offset(offsets[k]), ttl: ttl, &response)
                _ = appendAddresses(server.addresses, type: .aaaa, owner: .offset(offsets[k]), ttl: ttl, &response)
            }
        }
    }

    /// Appends the addresses of `type`'s family as one RRset; false when there is none.
    static func appendAddresses(_ addresses: [IPAddress], type: RecordType, owner: ResponseBuilder.Owner, ttl: UInt32,
                                _ response: inout ResponseBuilder) -> Bool {
        var wrote = false
        response.beginRRset()
        for address in addresses where address.recordType == type {
            response.append(owner: owner, type: type, ttl: ttl, rdata: address.rdata)
            wrote = true
        }
        response.endRRset()
        return wrote
    }

    /// `<svc>.<ns>.svc.<zone> CNAME <externalName>` for an ExternalName service.
    static func appendCNAME(_ index: KubernetesIndex, service s: Int32, _ response: inout ResponseBuilder) {
        let external = index.externalTarget(s)
        response.beginRRset()
        index.arena.withUnsafeBytes { arena in
            let target = UnsafeRawBufferPointer(rebasing: arena[Int(external.offset)..<(Int(external.offset) + Int(external.length))])
            response.append(owner: .question, type: .cname, ttl: index.config.ttl) { (w) throws(WriterFull) in
                try w.writeName(wire: target)
            }
        }
        response.endRRset()
    }
}

extension TransportProtocol {
    /// True when `label` (the `_proto` label without `_`, any case) names this protocol.
    func matches(label: UnsafeRawBufferPointer) -> Bool {
        let text: StaticString
        switch self {
        case .tcp: text = "tcp"
        case .udp: text = "udp"
        case .sctp: text = "sctp"
        }
        return text.withUTF8Buffer { WireName.equalIgnoringCase(label, UnsafeRawBufferPointer($0)) }
    }
}
