import ClusterRegistry
import DNSWire

/// A port or protocol label of an SRV name (leading `_` removed), matched case-insensitively;
/// empty matches anything, as CoreDNS's `matchPortAndProtocol` does for a missing part.
struct PortFilter {
    let bytes: UnsafeRawBufferPointer
    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }
    static var any: PortFilter { PortFilter(UnsafeRawBufferPointer(start: nil, count: 0)) }
    var isAny: Bool { bytes.isEmpty }
}

extension KubernetesIndex.PortEntry {
    /// True when this port's name and protocol pass the filters. An unnamed port passes only a
    /// filter that matches anything.
    @inline(__always)
    func matches(_ name: PortFilter, _ proto: PortFilter, in index: KubernetesIndex) -> Bool {
        if !name.isAny {
            guard nameLength > 0, Int(nameLength) == name.bytes.count,
                  withName(in: index, { WireName.equalIgnoringCase($0, name.bytes) }) else { return false }
        }
        return proto.isAny || self.proto.matches(label: proto.bytes)
    }
}

extension KubernetesIndex.EndpointEntry {
    /// True when one of the endpoint's ports passes the filters. A slice without ports has, as
    /// in CoreDNS, one unnamed sentinel port without a number, which only a bare name matches.
    @inline(__always)
    func hasPort(_ name: PortFilter, _ proto: PortFilter, in index: KubernetesIndex) -> Bool {
        if ports.isEmpty { return name.isAny && proto.isAny }
        for p in ports where index.ports[Int(p)].matches(name, proto, in: index) { return true }
        return false
    }

    /// How many SRV candidates CoreDNS would count for this endpoint (numberless ports included).
    @inline(__always)
    func candidateCount(_ name: PortFilter, _ proto: PortFilter, in index: KubernetesIndex) -> Int {
        if ports.isEmpty { return name.isAny && proto.isAny ? 1 : 0 }
        var n = 0
        for p in ports where index.ports[Int(p)].matches(name, proto, in: index) { n += 1 }
        return n
    }
}

extension KubernetesAnswer {
    /// The SRV weight CoreDNS gives each of `n` candidate records of priority 0:
    /// `floor(100 / (100 n) × 100)` in double precision, at least 1. The candidates are counted
    /// before duplicates are dropped, so a dual-stack ClusterIP service (two candidates, one
    /// record) gets 50.
    static func srvWeight(candidates n: Int) -> UInt16 {
        guard n > 0 else { return 100 }
        let w = (100.0 / Double(100 * n) * 100).rounded(.down)
        return UInt16(max(1, min(w, 65_535)))
    }

    /// SRV records for a service, CoreDNS-style, with A/AAAA of every target in the additional
    /// section. Priority 0; weight from `srvWeight`.
    /// - Case: as in CoreDNS, a target is the registry's own name (lowercase service, namespace
    ///   and endpoint labels) followed by the zone in the question's case; it never echoes the
    ///   case of the question's service or namespace labels.
    /// - ClusterIP service, no `chain`: one record per matching numbered service port (one per
    ///   port number), target the service name (`suffix` in the question).
    /// - Headless service, or `chain` (an endpoint name, headless or not): one record per ready
    ///   endpoint and matching numbered port of its slice, target `<endpoint>.<service>`; one per
    ///   (target, port number).
    /// - Returns: false when no record was written (the caller answers NODATA).
    /// - Complexity: O(endpoints × ports); endpoints sharing a label add a scan of the earlier
    ///   ones. Allocation-free.
    static func writeSRV(_ index: KubernetesIndex, _ response: inout ResponseBuilder, service s: Int32, suffix: Int,
                         port: PortFilter, proto: PortFilter, chain: Int32?) -> Bool {
        let entry = index.serviceEntries[Int(s)]
        let ttl = index.config.ttl
        if index.cards[s].kind == .clusterIP && chain == nil {
            return writeServiceSRV(index, &response, service: s, entry: entry, suffix: suffix, port: port, proto: proto)
        }
        var walk = EndpointWalk(entry: entry, chain: chain)
        var candidates = 0
        while let e = walk.next(index) { candidates += index.endpoints[Int(e)].candidateCount(port, proto, in: index) }
        let weight = KubernetesAnswer.srvWeight(candidates: candidates)
        var written = 0
        var serviceName = ServiceNameWriter(index, service: s, suffix: suffix)
        response.beginRRset()
        index.arena.withUnsafeBytes { arena in
            walk = EndpointWalk(entry: entry, chain: chain)
            while let e = walk.next(index) {
                let endpoint = index.endpoints[Int(e)]
                let label = UnsafeRawBufferPointer(rebasing: arena[Int(endpoint.nameOffset)..<(Int(endpoint.nameOffset) + Int(endpoint.nameLength))])
                for p in endpoint.ports {
                    let portEntry = index.ports[Int(p)]
                    guard portEntry.hasNumber, portEntry.matches(port, proto, in: index),
                          !KubernetesAnswer.repeatsTarget(index, entry, endpoint: e, port: p, filters: (port, proto)) else { continue }
                    response.append(owner: .question, type: .srv, ttl: ttl) { (w) throws(WriterFull) in
                        try w.writeUInt16(0)
                        try w.writeUInt16(weight)
                        try w.writeUInt16(portEntry.port)
                        try w.writeUInt8(UInt8(label.count))
                        try w.writeBytes(label)
                        try serviceName.write(&w, arena: arena)
                    }
                    written += 1
                }
            }
            response.endRRset()
            guard written > 0 else { return }
            response.startSection(.additional)
            walk = EndpointWalk(entry: entry, chain: chain)
            while let e = walk.next(index) {
                let endpoint = index.endpoints[Int(e)]
                guard endpoint.hasNumberedPort(port, proto, in: index) else { continue }
                if endpoint.sharesName && KubernetesAnswer.earlierEndpoint(in: index, entry, before: e, where: {
                    index.sameAddress($0, endpoint) && index.sameLabel($0, endpoint) && $0.hasNumberedPort(port, proto, in: index)
                }) { continue }
                let label = UnsafeRawBufferPointer(rebasing: arena[Int(endpoint.nameOffset)..<(Int(endpoint.nameOffset) + Int(endpoint.nameLength))])
                let address = index.address(of: endpoint)
                response.beginRRset()
                response.append(owner: .labelBeforeOffset(label: label, offset: serviceName.offset),
                                        type: address.recordType, ttl: ttl, rdata: address.rdata)
                response.endRRset()
            }
        }
        return written > 0
    }

    static func writeServiceSRV(_ index: KubernetesIndex, _ response: inout ResponseBuilder, service s: Int32,
                                entry: KubernetesIndex.ServiceEntry, suffix: Int, port: PortFilter, proto: PortFilter) -> Bool {
        let ttl = index.config.ttl
        let clusterIPv4 = index.clusterIPv4(s)
        let clusterIPv6 = index.clusterIPv6(s)
        let addresses = max(1, (clusterIPv4 == nil ? 0 : 1) + (clusterIPv6 == nil ? 0 : 1))
        var matched = 0
        if entry.ports.isEmpty {
            matched = port.isAny && proto.isAny ? 1 : 0    // CoreDNS's sentinel port −1
        } else {
            for p in entry.ports where index.ports[Int(p)].matches(port, proto, in: index) { matched += 1 }
        }
        let weight = KubernetesAnswer.srvWeight(candidates: matched * addresses)
        var written = 0
        var serviceName = ServiceNameWriter(index, service: s, suffix: suffix)
        response.beginRRset()
        index.arena.withUnsafeBytes { arena in
            for p in entry.ports {
                let portEntry = index.ports[Int(p)]
                guard portEntry.matches(port, proto, in: index) else { continue }
                // kube-dns's `dns` 53/UDP and `dns-tcp` 53/TCP make one SRV (same target and port).
                var repeated = false
                var q = entry.ports.lowerBound
                while q < p {
                    let other = index.ports[Int(q)]
                    if other.port == portEntry.port && other.matches(port, proto, in: index) {
                        repeated = true
                        break
                    }
                    q += 1
                }
                if repeated { continue }
                response.append(owner: .question, type: .srv, ttl: ttl) { (w) throws(WriterFull) in
                    try w.writeUInt16(0)
                    try w.writeUInt16(weight)
                    try w.writeUInt16(portEntry.port)
                    try serviceName.write(&w, arena: arena)
                }
                written += 1
            }
        }
        response.endRRset()
        guard written > 0 else { return false }
        response.startSection(.additional)
        if let v4 = clusterIPv4 {
            response.beginRRset()
            response.append(owner: .offset(serviceName.offset), type: .a, ttl: ttl, rdata: .a(v4))
            response.endRRset()
        }
        if let v6 = clusterIPv6 {
            response.beginRRset()
            response.append(owner: .offset(serviceName.offset), type: .aaaa, ttl: ttl, rdata: .aaaa(v6))
            response.endRRset()
        }
        return true
    }

    /// True when an earlier candidate gave the same SRV target and port number: an earlier port
    /// of the same endpoint, or an earlier endpoint with the same label.
    static func repeatsTarget(_ index: KubernetesIndex, _ entry: KubernetesIndex.ServiceEntry, endpoint e: Int32, port p: Int32,
                              filters: (PortFilter, PortFilter)) -> Bool {
        let endpoint = index.endpoints[Int(e)]
        let number = index.ports[Int(p)].port
        var q = endpoint.ports.lowerBound
        while q < p {
            let other = index.ports[Int(q)]
            if other.hasNumber && other.port == number && other.matches(filters.0, filters.1, in: index) { return true }
            q += 1
        }
        guard endpoint.sharesName else { return false }
        return earlierEndpoint(in: index, entry, before: e) { other in
            guard index.sameLabel(other, endpoint) else { return false }
            for q in other.ports {
                let port = index.ports[Int(q)]
                if port.hasNumber && port.port == number && port.matches(filters.0, filters.1, in: index) { return true }
            }
            return false
        }
    }
}

extension KubernetesIndex.EndpointEntry {
    /// True when a port with a number passes the filters (the endpoint then has an SRV record).
    @inline(__always)
    func hasNumberedPort(_ name: PortFilter, _ proto: PortFilter, in index: KubernetesIndex) -> Bool {
        for p in ports where index.ports[Int(p)].hasNumber && index.ports[Int(p)].matches(name, proto, in: index) { return true }
        return false
    }
}

extension KubernetesIndex {
    /// True when two endpoints have the same label.
    @inline(__always)
    func sameLabel(_ a: EndpointEntry, _ b: EndpointEntry) -> Bool {
        guard a.nameLength == b.nameLength else { return false }
        return arena.withUnsafeBytes { raw in
            WireName.equalIgnoringCase(
                UnsafeRawBufferPointer(rebasing: raw[Int(a.nameOffset)..<(Int(a.nameOffset) + Int(a.nameLength))]),
                UnsafeRawBufferPointer(rebasing: raw[Int(b.nameOffset)..<(Int(b.nameOffset) + Int(b.nameLength))]))
        }
    }
}

/// The endpoints an SRV answer covers: all ready endpoints of the service, or the chain of
/// those with one label. Both go forward in endpoint order.
struct EndpointWalk {
    var cursor: Int32
    let end: Int32
    let followsChain: Bool

    init(entry: KubernetesIndex.ServiceEntry, chain: Int32?) {
        if let chain {
            cursor = chain
            end = -1
            followsChain = true
        } else {
            cursor = entry.endpoints.lowerBound
            end = entry.endpoints.upperBound
            followsChain = false
        }
    }

    @inline(__always)
    mutating func next(_ index: KubernetesIndex) -> Int32? {
        if followsChain {
            guard cursor >= 0 else { return nil }
            defer { cursor = index.endpoints[Int(cursor)].nextSameName }
            return cursor
        }
        guard cursor < end else { return nil }
        defer { cursor += 1 }
        return cursor
    }
}

/// Writes a service's name into SRV targets as CoreDNS spells it: the registry's lowercase
/// `<svc>.<ns>.svc` followed by a pointer to the zone as the question spelled it. The first
/// target writes it in full and every later one points at it.
struct ServiceNameWriter {
    /// The service's key in its card, when it fits there (then the arena is not read).
    let inlineKey: UnsafeRawBufferPointer?
    /// Where the service's key is in the arena.
    let keyOffset: Int
    let keyLength: Int
    /// The zone's offset in the question.
    let zoneOffset: Int
    /// Where the name was first written in the response; -1 until then.
    private(set) var offset = -1

    @inline(__always)
    init(_ index: KubernetesIndex, service s: Int32, suffix: Int) {
        let key = index.keyRange(s)
        inlineKey = index.cards.inlineKey(s)
        keyOffset = key.lowerBound
        keyLength = key.count
        zoneOffset = suffix + keyLength + 4
    }

    /// Writes the name (or a pointer to its first copy). Allocation-free.
    @inline(__always)
    mutating func write(_ w: inout MessageWriter, arena: UnsafeRawBufferPointer) throws(WriterFull) {
        if offset >= 0 {
            try w.writePointer(to: offset)
            return
        }
        let start = w.position
        try w.writeBytes(inlineKey ?? UnsafeRawBufferPointer(rebasing: arena[keyOffset..<(keyOffset + keyLength)]))
        try w.writeBytes(WireConstants.svcLabel)
        try w.writePointer(to: Header.size + zoneOffset)
        offset = start
    }
}
