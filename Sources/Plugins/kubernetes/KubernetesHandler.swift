import ClusterRegistry
import DNSWire

/// The `kubernetes` plugin on one worker: reads the current index (one relaxed atomic load per
/// query), classifies the query name and writes the answer into the response buffer.
///
/// Answers from memory allocate nothing: names are compared and hashed in the packet, records
/// are written straight into the output, and names in RDATA are either pointers into the
/// question or label bytes from the index's arena.
final class KubernetesHandler: PluginHandler {
    let plugin: KubernetesPlugin
    var reader: SnapshotCell<KubernetesIndex>.Reader

    init(plugin: KubernetesPlugin) {
        self.plugin = plugin
        reader = plugin.indexes.makeReader()
    }

    /// How a name under the zone resolves, before anything is written.
    enum Outcome {
        case answered
        case nodata
        case nxdomain
        case refused
        case chase(service: Int32)
    }

    func serve(_ request: Request, engine: QueryEngine) -> PluginResult {
        guard let index = reader.current() else { return .next }
        let name = request.questionName
        guard let zoneOffset = KubernetesHandler.zoneOffset(of: name, in: index) else { return .next }
        guard request.startResponse() else { return .answered }
        request.response.authoritative = true
        let isReverse = KubernetesHandler.isReverseZone(name, zoneOffset: zoneOffset)
        let outcome = isReverse
            ? reverse(request, index: index, zoneOffset: zoneOffset)
            : forward(request, index: index, zoneOffset: zoneOffset)
        switch outcome {
        case .answered:
            request.finishResponse()
            return .answered
        case .nodata:
            writeNegative(request, index: index, zoneOffset: zoneOffset, rcode: .noError)
            return .answered
        case .nxdomain:
            if let zones = index.config.fallthroughZones, KubernetesHandler.matchesAny(name, zones) { return .next }
            // Before the registry has loaded, a missing name may only be missing for now.
            writeNegative(request, index: index, zoneOffset: zoneOffset, rcode: index.loaded ? .nameError : .serverFailure)
            return .answered
        case .refused:
            request.response.authoritative = false
            request.response.rcode = .refused
            request.finishResponse()
            return .answered
        case .chase(let service):
            return chase(request, index: index, service: service, engine: engine)
        }
    }

    // MARK: Zones

    /// Offset of the plugin zone that `name` falls under (longest zone first), or nil.
    static func zoneOffset(of name: UnsafeRawBufferPointer, in index: KubernetesIndex) -> Int? {
        var best: Int? = nil
        for zone in index.zoneWires where zone.count <= name.count {
            let offset = name.count - zone.count
            guard best.map({ offset < $0 }) ?? true, ZoneTable.labelBoundary(name, offset) else { continue }
            let equal = zone.withUnsafeBytes { WireName.equalIgnoringCase(UnsafeRawBufferPointer(rebasing: name[offset...]), $0) }
            if equal { best = offset }
        }
        return best
    }

    static func isReverseZone(_ name: UnsafeRawBufferPointer, zoneOffset: Int) -> Bool {
        let zone = UnsafeRawBufferPointer(rebasing: name[zoneOffset...])
        return hasSuffix(zone, QueryTarget.inAddrArpa) || hasSuffix(zone, QueryTarget.ip6Arpa)
    }

    static func hasSuffix(_ name: UnsafeRawBufferPointer, _ suffix: UnsafeRawBufferPointer) -> Bool {
        guard name.count >= suffix.count else { return false }
        let offset = name.count - suffix.count
        return ZoneTable.labelBoundary(name, offset)
            && WireName.equalIgnoringCase(UnsafeRawBufferPointer(rebasing: name[offset...]), suffix)
    }

    static func matchesAny(_ name: UnsafeRawBufferPointer, _ zones: [DomainName]) -> Bool {
        zones.contains { zone in zone.wire.withUnsafeBytes { hasSuffix(name, $0) } }
    }

    // MARK: Forward zone

    func forward(_ request: Request, index: KubernetesIndex, zoneOffset: Int) -> Outcome {
        let name = request.questionName
        let type = request.questionType
        let ttl = index.config.ttl
        if type == .axfr || type == .ixfr { return .refused }
        let target = QueryTarget.parse(name, zoneOffset: zoneOffset)
        // A SOA question below the apex is NODATA whether or not the name exists (CoreDNS).
        if type == .soa, target != .apex { return .nodata }
        switch target {
        case .apex:
            switch type {
            case .soa:
                request.response.beginRRset()
                appendSOA(request, index: index, zoneOffset: zoneOffset)
                request.response.endRRset()
                return .answered
            case .ns:
                appendNameServer(request, index: index, zoneOffset: zoneOffset)
                return .answered
            default:
                return .nodata
            }
        case .dnsVersion:
            guard type == .txt else { return .nodata }
            request.response.beginRRset()
            request.response.append(owner: .question, type: .txt, ttl: 28_800) { (w) throws(WriterFull) in
                try w.writeBytes(KubernetesHandler.versionText)
            }
            request.response.endRRset()
            return .answered
        case .nameServer:
            return appendAddresses(request, index.nameServerAddresses, type: type, owner: .question, ttl: ttl) ? .answered : .nodata
        case .typeLevel:
            return .nodata
        case .namespace(let label):
            return index.namespaces.lookup(UnsafeRawBufferPointer(rebasing: name[label])) != nil ? .nodata : .nxdomain
        case .service(let key):
            guard let s = index.services.lookup(UnsafeRawBufferPointer(rebasing: name[key])) else { return .nxdomain }
            return service(request, index: index, service: s, suffix: 0, zoneOffset: zoneOffset)
        case .endpoint(let key, let serviceKey):
            guard let s = index.services.lookup(UnsafeRawBufferPointer(rebasing: name[serviceKey])) else { return .nxdomain }
            guard index.serviceEntries[Int(s)].kind != .externalName,
                  let members = index.endpointNames.lookup(UnsafeRawBufferPointer(rebasing: name[key])) else { return .nxdomain }
            guard type == .a || type == .aaaa else { return .nodata }
            request.response.beginRRset()
            var wrote = false
            for m in members {
                let endpoint = index.endpoints[Int(index.endpointsByName[Int(m)])]
                if endpoint.address.recordType == type {
                    request.response.append(owner: .question, type: type, ttl: ttl, rdata: endpoint.address.rdata)
                    wrote = true
                }
            }
            request.response.endRRset()
            return wrote ? .answered : .nodata
        case .port(let portName, let proto, let serviceKey):
            guard let s = index.services.lookup(UnsafeRawBufferPointer(rebasing: name[serviceKey])) else { return .nxdomain }
            let entry = index.serviceEntries[Int(s)]
            guard entry.kind != .externalName else { return .nxdomain }
            let portBytes = UnsafeRawBufferPointer(rebasing: name[portName])
            let protoBytes = UnsafeRawBufferPointer(rebasing: name[proto])
            guard hasPort(index, entry, portBytes, protoBytes) else { return .nxdomain }
            switch type {
            case .srv:
                return writeSRV(request, index: index, entry: entry, suffix: serviceKey.lowerBound,
                                port: portBytes, proto: protoBytes) ? .answered : .nodata
            case .a, .aaaa:
                return service(request, index: index, service: s, suffix: serviceKey.lowerBound, zoneOffset: zoneOffset)
            default:
                return .nodata
            }
        case .pod(let label, let namespace):
            guard index.config.pods != .disabled,
                  let ns = index.namespaces.lookup(UnsafeRawBufferPointer(rebasing: name[namespace])),
                  let address = QueryTarget.podAddress(UnsafeRawBufferPointer(rebasing: name[label])) else { return .nxdomain }
            if index.config.pods == .verified && !index.verifiedPods.contains(.init(address: address, namespace: ns)) {
                return .nxdomain
            }
            guard type == address.recordType else { return .nodata }
            request.response.beginRRset()
            request.response.append(owner: .question, type: type, ttl: ttl, rdata: address.rdata)
            request.response.endRRset()
            return .answered
        case .invalid:
            return .nxdomain
        }
    }

    /// `<svc>.<ns>.svc.<zone>` (or the A/AAAA of its `_port._proto` name): `suffix` is where the
    /// service's own name starts in the question.
    func service(_ request: Request, index: KubernetesIndex, service s: Int32, suffix: Int, zoneOffset: Int) -> Outcome {
        let entry = index.serviceEntries[Int(s)]
        let type = request.questionType
        let ttl = index.config.ttl
        switch entry.kind {
        case .externalName:
            switch type {
            case .a, .aaaa, .txt: return .chase(service: s)
            case .cname, .any:
                appendCNAME(request, index: index, entry: entry)
                return .answered
            default:
                return .nodata
            }
        case .clusterIP:
            if index.config.ignoreEmptyService && !entry.hasReadyEndpoints { return .nxdomain }
            switch type {
            case .a:
                guard let ip = entry.clusterIPv4 else { return .nodata }
                request.response.beginRRset()
                request.response.append(owner: .question, type: .a, ttl: ttl, rdata: .a(ip))
                request.response.endRRset()
                return .answered
            case .aaaa:
                guard let ip = entry.clusterIPv6 else { return .nodata }
                request.response.beginRRset()
                request.response.append(owner: .question, type: .aaaa, ttl: ttl, rdata: .aaaa(ip))
                request.response.endRRset()
                return .answered
            case .srv:
                return writeSRV(request, index: index, entry: entry, suffix: suffix, port: nil, proto: nil) ? .answered : .nodata
            default:
                return .nodata
            }
        case .headless:
            guard entry.readyV4 + entry.readyV6 > 0 else { return .nxdomain }
            switch type {
            case .a, .aaaa:
                request.response.beginRRset()
                var wrote = false
                for e in entry.endpoints {
                    let endpoint = index.endpoints[Int(e)]
                    if endpoint.firstWithAddress && endpoint.address.recordType == type {
                        request.response.append(owner: .question, type: type, ttl: ttl, rdata: endpoint.address.rdata)
                        wrote = true
                    }
                }
                request.response.endRRset()
                return wrote ? .answered : .nodata
            case .srv:
                return writeSRV(request, index: index, entry: entry, suffix: suffix, port: nil, proto: nil) ? .answered : .nodata
            default:
                return .nodata
            }
        }
    }

    // MARK: SRV

    func portMatches(_ index: KubernetesIndex, _ port: KubernetesIndex.PortEntry,
                     _ name: UnsafeRawBufferPointer?, _ proto: UnsafeRawBufferPointer?) -> Bool {
        guard let name, let proto else { return true }
        guard port.nameLength > 0, Int(port.nameLength) == name.count else { return false }
        let nameMatches = index.withArena(port.nameOffset, port.nameLength) { WireName.equalIgnoringCase($0, name) }
        return nameMatches && port.proto.matches(label: proto)
    }

    func hasPort(_ index: KubernetesIndex, _ entry: KubernetesIndex.ServiceEntry,
                 _ name: UnsafeRawBufferPointer, _ proto: UnsafeRawBufferPointer) -> Bool {
        if entry.kind == .headless {
            for e in entry.endpoints {
                for p in index.endpoints[Int(e)].ports where portMatches(index, index.ports[Int(p)], name, proto) { return true }
            }
            return false
        }
        for p in entry.ports where portMatches(index, index.ports[Int(p)], name, proto) { return true }
        return false
    }

    /// SRV records for the service (all ports, or the named one), CoreDNS-style: priority 0,
    /// weight floor(100 / candidates), ClusterIP → service port and the service as target,
    /// headless → one per ready endpoint and port with the endpoint as target; A/AAAA of every
    /// target in the additional section. Returns false when there is no record.
    func writeSRV(_ request: Request, index: KubernetesIndex, entry: KubernetesIndex.ServiceEntry, suffix: Int,
                  port: UnsafeRawBufferPointer?, proto: UnsafeRawBufferPointer?) -> Bool {
        let ttl = index.config.ttl
        var written = 0
        request.response.beginRRset()
        if entry.kind == .clusterIP {
            let addresses = (entry.clusterIPv4 == nil ? 0 : 1) + (entry.clusterIPv6 == nil ? 0 : 1)
            var matched = 0
            for p in entry.ports where index.ports[Int(p)].hasPort && portMatches(index, index.ports[Int(p)], port, proto) { matched += 1 }
            let weight = UInt16(max(1, 100 / max(1, matched * max(1, addresses))))
            var seen: UInt64 = 0   // ports already written (by position), to drop duplicates
            var k = 0
            for p in entry.ports {
                defer { k += 1 }
                let portEntry = index.ports[Int(p)]
                guard portEntry.hasPort, portMatches(index, portEntry, port, proto) else { continue }
                if KubernetesHandler.seenPort(portEntry.port, in: index, entry.ports, before: k, mask: &seen) { continue }
                request.response.append(owner: .question, type: .srv, ttl: ttl) { (w) throws(WriterFull) in
                    try w.writeUInt16(0)
                    try w.writeUInt16(weight)
                    try w.writeUInt16(portEntry.port)
                    try w.writePointer(to: Header.size + suffix)
                }
                written += 1
            }
            request.response.endRRset()
            guard written > 0 else { return false }
            request.response.startSection(.additional)
            if let v4 = entry.clusterIPv4 {
                request.response.beginRRset()
                request.response.append(owner: .questionSuffix(suffix), type: .a, ttl: ttl, rdata: .a(v4))
                request.response.endRRset()
            }
            if let v6 = entry.clusterIPv6 {
                request.response.beginRRset()
                request.response.append(owner: .questionSuffix(suffix), type: .aaaa, ttl: ttl, rdata: .aaaa(v6))
                request.response.endRRset()
            }
            return true
        }
        // Headless: every ready endpoint × its matching ports.
        var candidates = 0
        for e in entry.endpoints {
            for p in index.endpoints[Int(e)].ports where index.ports[Int(p)].hasPort && portMatches(index, index.ports[Int(p)], port, proto) {
                candidates += 1
            }
        }
        guard candidates > 0 else {
            request.response.endRRset()
            return false
        }
        let weight = UInt16(max(1, 100 / candidates))
        index.arena.withUnsafeBytes { arena in
            for (position, e) in entry.endpoints.enumerated() {
                let endpoint = index.endpoints[Int(e)]
                let label = UnsafeRawBufferPointer(rebasing: arena[Int(endpoint.nameOffset)..<(Int(endpoint.nameOffset) + Int(endpoint.nameLength))])
                for p in endpoint.ports {
                    let portEntry = index.ports[Int(p)]
                    guard portEntry.hasPort, portMatches(index, portEntry, port, proto) else { continue }
                    if KubernetesHandler.duplicateTarget(index, entry, before: position, label: label, port: portEntry.port, arena: arena) { continue }
                    request.response.append(owner: .question, type: .srv, ttl: ttl) { (w) throws(WriterFull) in
                        try w.writeUInt16(0)
                        try w.writeUInt16(weight)
                        try w.writeUInt16(portEntry.port)
                        try w.writeUInt8(UInt8(label.count))
                        try w.writeBytes(label)
                        try w.writePointer(to: Header.size + suffix)
                    }
                    written += 1
                }
            }
            request.response.endRRset()
            guard written > 0 else { return }
            request.response.startSection(.additional)
            for (position, e) in entry.endpoints.enumerated() {
                let endpoint = index.endpoints[Int(e)]
                let label = UnsafeRawBufferPointer(rebasing: arena[Int(endpoint.nameOffset)..<(Int(endpoint.nameOffset) + Int(endpoint.nameLength))])
                guard endpoint.ports.contains(where: { index.ports[Int($0)].hasPort && portMatches(index, index.ports[Int($0)], port, proto) }),
                      !KubernetesHandler.duplicateAddress(index, entry, before: position, endpoint) else { continue }
                request.response.beginRRset()
                request.response.append(owner: .labelBeforeQuestionSuffix(label: label, offset: suffix),
                                        type: endpoint.address.recordType, ttl: ttl, rdata: endpoint.address.rdata)
                request.response.endRRset()
            }
        }
        return written > 0
    }

    /// True when an earlier matching port of the service had the same number (kube-dns's `dns`
    /// 53/UDP and `dns-tcp` 53/TCP make one SRV target:port, as in CoreDNS).
    static func seenPort(_ number: UInt16, in index: KubernetesIndex, _ ports: Range<Int32>, before k: Int,
                         mask: inout UInt64) -> Bool {
        var i = 0
        for p in ports {
            if i >= k { break }
            if mask & (1 << UInt64(min(i, 63))) != 0 && index.ports[Int(p)].port == number { return true }
            i += 1
        }
        mask |= 1 << UInt64(min(k, 63))
        return false
    }

    static func duplicateTarget(_ index: KubernetesIndex, _ entry: KubernetesIndex.ServiceEntry, before position: Int,
                                label: UnsafeRawBufferPointer, port: UInt16, arena: UnsafeRawBufferPointer) -> Bool {
        var i = 0
        for e in entry.endpoints {
            if i >= position { return false }
            i += 1
            let other = index.endpoints[Int(e)]
            guard Int(other.nameLength) == label.count,
                  WireName.equalIgnoringCase(UnsafeRawBufferPointer(rebasing: arena[Int(other.nameOffset)..<(Int(other.nameOffset) + label.count)]), label)
            else { continue }
            if other.ports.contains(where: { index.ports[Int($0)].port == port }) { return true }
        }
        return false
    }

    static func duplicateAddress(_ index: KubernetesIndex, _ entry: KubernetesIndex.ServiceEntry, before position: Int,
                                 _ endpoint: KubernetesIndex.EndpointEntry) -> Bool {
        var i = 0
        for e in entry.endpoints {
            if i >= position { return false }
            i += 1
            let other = index.endpoints[Int(e)]
            if other.address == endpoint.address && other.nameLength == endpoint.nameLength
                && index.arena[Int(other.nameOffset)..<(Int(other.nameOffset) + Int(other.nameLength))]
                    .elementsEqual(index.arena[Int(endpoint.nameOffset)..<(Int(endpoint.nameOffset) + Int(endpoint.nameLength))]) {
                return true
            }
        }
        return false
    }

    // MARK: Reverse zones

    func reverse(_ request: Request, index: KubernetesIndex, zoneOffset: Int) -> Outcome {
        let type = request.questionType
        if type == .axfr || type == .ixfr { return .refused }
        let name = request.questionName
        if zoneOffset == 0 {
            switch type {
            case .soa:
                request.response.beginRRset()
                appendSOA(request, index: index, zoneOffset: zoneOffset)
                request.response.endRRset()
                return .answered
            case .ns:
                appendNameServer(request, index: index, zoneOffset: zoneOffset)
                return .answered
            default:
                return .nodata
            }
        }
        guard let address = QueryTarget.reverseAddress(name), let head = index.ptr[address] else { return .nxdomain }
        guard type == .ptr else { return .nodata }
        let ttl = index.config.ttl
        let zone = index.config.primaryZone
        request.response.beginRRset()
        index.arena.withUnsafeBytes { arena in
            zone.wire.withUnsafeBytes { zoneWire in
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
                        try w.writeBytes(UnsafeRawBufferPointer(KubernetesHandler.svcLabel))
                        try w.writeName(wire: zoneWire)
                    }
                    cursor = target.next
                }
            }
        }
        request.response.endRRset()
        return .answered
    }

    // MARK: Shared records

    static let versionText: [UInt8] = [5] + Array("1.1.0".utf8)
    nonisolated(unsafe) static let svcLabel: UnsafeMutableRawBufferPointer = {
        let bytes: [UInt8] = [3] + Array("svc".utf8)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 1)
        buffer.copyBytes(from: bytes)
        return buffer
    }()
    static let hostmaster: [UInt8] = [10] + Array("hostmaster".utf8)

    /// The zone's SOA (CoreDNS): `ns.dns.<zone> hostmaster.<zone> <serial> 7200 1800 86400 <ttl>`,
    /// TTL min(ttl, 300); the zone's name is taken from the question, echoing its case.
    func appendSOA(_ request: Request, index: KubernetesIndex, zoneOffset: Int) {
        let ttl = index.config.ttl
        let serial = index.serial
        request.response.append(owner: .questionSuffix(zoneOffset), type: .soa, ttl: min(ttl, 300)) { (w) throws(WriterFull) in
            try w.writeBytes(index.nameServerLabelsIfDefault)
            try w.writePointer(to: Header.size + zoneOffset)
            try w.writeBytes(KubernetesHandler.hostmaster)
            try w.writePointer(to: Header.size + zoneOffset)
            try w.writeUInt32(serial)
            try w.writeUInt32(7200)
            try w.writeUInt32(1800)
            try w.writeUInt32(86_400)
            try w.writeUInt32(ttl)
        }
    }

    /// `<zone> NS` with glue in the additional section.
    func appendNameServer(_ request: Request, index: KubernetesIndex, zoneOffset: Int) {
        let ttl = index.config.ttl
        request.response.beginRRset()
        var targetOffset = 0
        request.response.append(owner: .question, type: .ns, ttl: ttl) { (w) throws(WriterFull) in
            targetOffset = w.position
            try w.writeBytes(index.nameServerLabels)
            if index.nameServerLabels.starts(with: [2, UInt8(ascii: "n"), UInt8(ascii: "s")]) {
                try w.writePointer(to: Header.size + zoneOffset)
            } else {
                try w.writeName(wire: index.config.primaryZone.wire.withUnsafeBytes { $0 })
            }
        }
        request.response.endRRset()
        request.response.startSection(.additional)
        _ = appendAddresses(request, index.nameServerAddresses, type: .a, owner: .offset(targetOffset), ttl: ttl)
        _ = appendAddresses(request, index.nameServerAddresses, type: .aaaa, owner: .offset(targetOffset), ttl: ttl)
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

    /// NXDOMAIN or NODATA (or SERVFAIL before the registry loaded): AA, the SOA in authority.
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

    // MARK: ExternalName

    /// CNAME to the ExternalName target, chased through the server's own chain (so `forward`
    /// answers names outside the cluster): the CNAME first, then the target's records.
    func chase(_ request: Request, index: KubernetesIndex, service s: Int32, engine: QueryEngine) -> PluginResult {
        let entry = index.serviceEntries[Int(s)]
        let targetWire = Array(index.arena[Int(entry.externalOffset)..<(Int(entry.externalOffset) + Int(entry.externalLength))])
        // Set before starting: a subrequest answered from memory completes inside the call.
        request.pluginState = UInt64(UInt32(bitPattern: s))
        request.pluginObject = index
        guard let target = try? DomainName(wire: targetWire),
              engine.startSubrequest(parent: request, name: target, type: request.questionType, entry: .top) else {
            // Too deep or nowhere to ask: the CNAME alone tells the client where to go.
            request.pluginObject = nil
            appendCNAME(request, index: index, entry: entry)
            request.finishResponse()
            return .answered
        }
        return .suspended
    }

    func subrequestCompleted(_ child: Request, parent: Request, engine: QueryEngine) {
        guard let index = parent.pluginObject as? KubernetesIndex else {
            parent.respond(rcode: .serverFailure)
            engine.resume(parent, .answered)
            return
        }
        let entry = index.serviceEntries[Int(Int32(bitPattern: UInt32(truncatingIfNeeded: parent.pluginState)))]
        let reply = try? Message(parsing: child.responseBytes)
        guard parent.startResponse() else {
            engine.resume(parent, .answered)
            return
        }
        parent.response.authoritative = true
        appendCNAME(parent, index: index, entry: entry)
        if let reply {
            // The target's records, RRset by RRset, after the CNAME.
            var i = 0
            while i < reply.answers.count {
                parent.response.beginRRset()
                var j = i
                while j < reply.answers.count && reply.answers[j].sameRRset(as: reply.answers[i]) {
                    parent.response.append(reply.answers[j])
                    j += 1
                }
                parent.response.endRRset()
                i = j
            }
            if reply.header.truncated { parent.response.markTruncated() }
        }
        parent.pluginObject = nil
        parent.finishResponse()
        engine.resume(parent, .answered)
    }
}

extension KubernetesIndex {
    /// `02 ns 03 dns`, the SOA's MNAME labels (always `ns.dns.<zone>` as CoreDNS writes it).
    var nameServerLabelsIfDefault: [UInt8] { KubernetesIndex.defaultNameServerLabels }
    static let defaultNameServerLabels: [UInt8] = [2] + Array("ns".utf8) + [3] + Array("dns".utf8)
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
