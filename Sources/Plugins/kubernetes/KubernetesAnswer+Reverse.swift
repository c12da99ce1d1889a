import ClusterRegistry
import DNSWire

extension KubernetesAnswer {
    /// A name in a reverse zone the plugin serves (`in-addr.arpa`, `ip6.arpa`, or a zone below
    /// them). The zone apex has SOA and NS; a full reverse name of a cluster IP or a ready
    /// endpoint address has PTR (other types: NODATA); anything else does not exist here (and
    /// goes to the next plugin under `fallthrough in-addr.arpa ip6.arpa`, as in kubeadm's
    /// Corefile).
    static func reverse(_ q: Asked, _ set: KubernetesIndexSet, _ response: inout ResponseBuilder) -> Outcome {
        if q.zoneOffset == 0 { return apex(q, set.home, &response) }
        guard let address = QueryTarget.reverseAddress(q.name) else { return .nxdomain }
        var found = false
        set.forEachPTRShard(address) { index in found = found || index.ptrHead(for: address) != nil }
        guard found else { return .nxdomain }
        guard q.type == .ptr else { return .nodata }
        response.beginRRset()
        // An address in several shards (a pod backing services of different shards) gets the
        // targets of each, shard by shard.
        set.forEachPTRShard(address) { index in
            guard let head = index.ptrHead(for: address) else { return }
            appendPTRTargets(index, head: head, &response)
        }
        response.endRRset()
        return .answered
    }

    /// The PTR records of the chain starting at `head`.
    private static func appendPTRTargets(_ index: KubernetesIndex, head: Int32, _ response: inout ResponseBuilder) {
        let ttl = index.config.ttl
        index.arena.withUnsafeBytes { arena in
            index.primaryZoneWire.withUnsafeBytes { zone in
                var cursor = head
                while cursor >= 0 {
                    let target = index.ptrEntries[Int(cursor)]
                    let key = index.key(target.service, arena: arena)
                    var label = UnsafeRawBufferPointer(start: nil, count: 0)
                    if target.endpoint >= 0 {
                        let endpoint = index.endpoints[Int(target.endpoint)]
                        label = UnsafeRawBufferPointer(rebasing: arena[Int(endpoint.nameOffset)..<(Int(endpoint.nameOffset) + Int(endpoint.nameLength))])
                    }
                    response.append(owner: .question, type: .ptr, ttl: ttl) { (w) throws(WriterFull) in
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
    }
}
