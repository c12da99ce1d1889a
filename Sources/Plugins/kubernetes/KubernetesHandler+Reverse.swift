import ClusterRegistry
import DNSWire

extension KubernetesHandler {
    /// A name in a reverse zone the plugin serves (`in-addr.arpa`, `ip6.arpa`, or a zone below
    /// them). The zone apex has SOA and NS; a full reverse name of a cluster IP or a ready
    /// endpoint address has PTR (other types: NODATA); anything else does not exist here (and
    /// goes to the next plugin under `fallthrough in-addr.arpa ip6.arpa`, as in kubeadm's
    /// Corefile).
    func reverse(_ request: Request, index: KubernetesIndex, zoneOffset: Int) -> Outcome {
        let type = request.questionType
        if type == .axfr || type == .ixfr { return .refused }
        if zoneOffset == 0 { return apex(request, index: index, zoneOffset: zoneOffset) }
        guard let address = QueryTarget.reverseAddress(request.questionName), let head = index.ptrHead(for: address) else {
            return .nxdomain
        }
        guard type == .ptr else { return .nodata }
        let ttl = index.config.ttl
        request.response.beginRRset()
        index.arena.withUnsafeBytes { arena in
            index.primaryZoneWire.withUnsafeBytes { zone in
                var cursor = head
                while cursor >= 0 {
                    let target = index.ptrEntries[Int(cursor)]
                    let service = index.serviceEntries[Int(target.service)]
                    let key = UnsafeRawBufferPointer(rebasing: arena[Int(service.keyOffset)..<(Int(service.keyOffset) + Int(service.keyLength))])
                    var label = UnsafeRawBufferPointer(start: nil, count: 0)
                    if target.endpoint >= 0 {
                        let endpoint = index.endpoints[Int(target.endpoint)]
                        label = UnsafeRawBufferPointer(rebasing: arena[Int(endpoint.nameOffset)..<(Int(endpoint.nameOffset) + Int(endpoint.nameLength))])
                    }
                    request.response.append(owner: .question, type: .ptr, ttl: ttl) { (w) throws(WriterFull) in
                        if label.count > 0 {
                            try w.writeUInt8(UInt8(label.count))
                            try w.writeBytes(label)
                        }
                        try w.writeBytes(key)
                        try w.writeBytes(WireConstants.svcLabel)
                        try w.writeName(wire: zone)
                    }
                    cursor = target.next
                }
            }
        }
        request.response.endRRset()
        return .answered
    }
}
