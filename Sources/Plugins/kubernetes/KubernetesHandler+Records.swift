import ClusterRegistry
import DNSWire

extension KubernetesHandler {
    /// The zone apex (forward or reverse): SOA, NS with glue; every other type NODATA.
    func apex(_ request: Request, index: KubernetesIndex, zoneOffset: Int) -> Outcome {
        switch request.questionType {
        case .soa:
            request.response.beginRRset()
            appendSOA(request, index: index, zoneOffset: zoneOffset)
            request.response.endRRset()
            return .answered
        case .ns:
            appendNameServers(request, index: index, zoneOffset: zoneOffset)
            return .answered
        default:
            return .nodata
        }
    }

    /// The zone's SOA (CoreDNS `plugin.SOA`):
    /// `<zone> min(ttl,300) IN SOA ns.dns.<zone> hostmaster.<zone> <serial> 7200 1800 86400 <ttl>`.
    /// The zone's name is a pointer into the question, so it echoes the client's case; the serial
    /// is the registry's (the time of the last DNS-relevant change).
    func appendSOA(_ request: Request, index: KubernetesIndex, zoneOffset: Int) {
        let ttl = index.config.ttl
        let serial = index.serial
        request.response.append(owner: .questionSuffix(zoneOffset), type: .soa, ttl: min(ttl, 300)) { (w) throws(WriterFull) in
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
    func appendNameServers(_ request: Request, index: KubernetesIndex, zoneOffset: Int) {
        let ttl = index.config.ttl
        let servers = index.nameServers
        // A service-named server lives in the question's zone when that is a forward zone, else
        // in the primary zone.
        let forwardZone = !KubernetesHandler.isReverseZone(request.questionName, zoneOffset: zoneOffset)
        withUnsafeTemporaryAllocation(of: Int.self, capacity: max(1, servers.count)) { offsets in
            index.arena.withUnsafeBytes { arena in
                index.primaryZoneWire.withUnsafeBytes { primaryZone in
                    request.response.beginRRset()
                    for (k, server) in servers.enumerated() {
                        offsets[k] = -1
                        var key = UnsafeRawBufferPointer(start: nil, count: 0)
                        if server.service >= 0 {
                            let entry = index.serviceEntries[Int(server.service)]
                            key = UnsafeRawBufferPointer(rebasing: arena[Int(entry.keyOffset)..<(Int(entry.keyOffset) + Int(entry.keyLength))])
                        }
                        request.response.append(owner: .question, type: .ns, ttl: ttl) { (w) throws(WriterFull) in
                            offsets[k] = w.position
                            if server.service < 0 {
                                try w.writeBytes(WireConstants.nsDNSLabels)
                                try w.writePointer(to: Header.size + zoneOffset)
                            } else {
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
                    request.response.endRRset()
                }
            }
            request.response.startSection(.additional)
            for (k, server) in servers.enumerated() where offsets[k] >= 0 {
                _ = appendAddresses(request, server.addresses, type: .a, owner: .offset(offsets[k]), ttl: ttl)
                _ = appendAddresses(request, server.addresses, type: .aaaa, owner: .offset(offsets[k]), ttl: ttl)
            }
        }
    }

    /// Appends the addresses of `type`'s family as one RRset; false when there is none.
    func appendAddresses(_ request: Request, _ addresses: [IPAddress], type: RecordType,
                         owner: ResponseBuilder.Owner, ttl: UInt32) -> Bool {
        var wrote = false
        request.response.beginRRset()
        for address in addresses where address.recordType == type {
            request.response.append(owner: owner, type: type, ttl: ttl, rdata: address.rdata)
            wrote = true
        }
        request.response.endRRset()
        return wrote
    }

    /// `<svc>.<ns>.svc.<zone> CNAME <externalName>` for an ExternalName service.
    func appendCNAME(_ request: Request, index: KubernetesIndex, entry: KubernetesIndex.ServiceEntry) {
        request.response.beginRRset()
        index.arena.withUnsafeBytes { arena in
            let target = UnsafeRawBufferPointer(rebasing: arena[Int(entry.externalOffset)..<(Int(entry.externalOffset) + Int(entry.externalLength))])
            request.response.append(owner: .question, type: .cname, ttl: index.config.ttl) { (w) throws(WriterFull) in
                try w.writeName(wire: target)
            }
        }
        request.response.endRRset()
    }

    /// NXDOMAIN or NODATA (or SERVFAIL before the registry loaded): AA set, the SOA in the
    /// authority section; whatever was written before is discarded.
    func writeNegative(_ request: Request, index: KubernetesIndex, zoneOffset: Int, rcode: ResponseCode) {
        guard request.startResponse() else { return }
        request.response.authoritative = true
        request.response.rcode = rcode
        request.response.startSection(.authority)
        request.response.beginRRset()
        appendSOA(request, index: index, zoneOffset: zoneOffset)
        request.response.endRRset()
        request.finishResponse()
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
