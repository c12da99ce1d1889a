import ClusterRegistry
import DNSWire

/// The `kubernetes` plugin on one worker: reads the current index (one relaxed atomic load per
/// query), classifies the query name and writes the answer into the response buffer.
///
/// Answers from memory allocate nothing: names are compared and hashed in the packet, records
/// are written straight into the output, and names in RDATA are either pointers into the
/// question or label bytes from the index's arena. Only an ExternalName chase (a subrequest
/// through the chain) allocates.
///
/// How a name resolves follows CoreDNS's `handler.go`: an answer is authoritative; a name that
/// does not exist is NXDOMAIN with the zone's SOA in the authority section (or goes to the next
/// plugin under `fallthrough`); an existing name without records of the asked type is NODATA
/// (NOERROR, SOA in authority); zone transfers are REFUSED.
final class KubernetesHandler: PluginHandler {
    let plugin: KubernetesPlugin
    var reader: SnapshotCell<KubernetesIndex>.Reader

    init(plugin: KubernetesPlugin) {
        self.plugin = plugin
        reader = plugin.indexes.makeReader()
    }

    /// How a name under the zone resolves, before the response is finished.
    enum Outcome {
        /// Records were written into the answer (and additional) section.
        case answered
        case nodata
        case nxdomain
        case refused
        /// An ExternalName service asked for A/AAAA/TXT: CNAME, then chase the target.
        case chase(service: Int32)
    }

    func serve(_ request: Request, engine: QueryEngine) -> PluginResult {
        guard let index = reader.current() else { return .next }
        let name = request.questionName
        guard let zoneOffset = KubernetesHandler.zoneOffset(of: name, in: index) else { return .next }
        guard request.startResponse() else { return .answered }
        request.response.authoritative = true
        let outcome = KubernetesHandler.isReverseZone(name, zoneOffset: zoneOffset)
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
            if let zones = index.config.fallthroughZones, KubernetesHandler.isUnderAny(name, zones) { return .next }
            // Before the registry has loaded, a missing name may only be missing for now.
            writeNegative(request, index: index, zoneOffset: zoneOffset, rcode: index.loaded ? .nameError : .serverFailure)
            return .answered
        case .refused:
            request.respond(rcode: .refused)
            return .answered
        case .chase(let service):
            return chase(request, index: index, service: service, engine: engine)
        }
    }

    // MARK: Zones

    /// Offset of the plugin zone that `name` falls under (the longest such zone), or nil.
    /// - Complexity: O(zones × name length). Allocation-free.
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

    static func isUnderAny(_ name: UnsafeRawBufferPointer, _ zones: [DomainName]) -> Bool {
        zones.contains { zone in zone.wire.withUnsafeBytes { hasSuffix(name, $0) } }
    }

    // MARK: Forward zone

    func forward(_ request: Request, index: KubernetesIndex, zoneOffset: Int) -> Outcome {
        let name = request.questionName
        let type = request.questionType
        if type == .axfr || type == .ixfr { return .refused }
        let target = QueryTarget.parse(name, zoneOffset: zoneOffset)
        // CoreDNS answers a SOA question below the apex with NODATA whether or not the name
        // exists: its SOA branch does no lookup.
        if type == .soa, target != .apex { return .nodata }
        switch target {
        case .apex:
            return apex(request, index: index, zoneOffset: zoneOffset)
        case .dnsVersion:
            guard type == .txt else { return .nodata }
            request.response.beginRRset()
            request.response.append(owner: .question, type: .txt, ttl: 28_800) { (w) throws(WriterFull) in
                try w.writeBytes(WireConstants.versionText)
            }
            request.response.endRRset()
            return .answered
        case .nameServer:
            guard type == .a || type == .aaaa else { return .nodata }
            return appendAddresses(request, index.nameServerAddresses, type: type, owner: .question, ttl: index.config.ttl)
                ? .answered : .nodata
        case .typeLevel:
            return .nodata
        case .namespace(let label):
            return index.namespaces.lookup(UnsafeRawBufferPointer(rebasing: name[label])) != nil ? .nodata : .nxdomain
        case .podNamespace(let label):
            guard index.config.pods != .disabled else { return .nxdomain }
            return index.namespaces.lookup(UnsafeRawBufferPointer(rebasing: name[label])) != nil ? .nodata : .nxdomain
        case .service(let key):
            guard let s = index.services.lookup(UnsafeRawBufferPointer(rebasing: name[key])) else { return .nxdomain }
            return service(request, index: index, service: s, suffix: 0)
        case .endpoint(let label, let serviceKey):
            guard let s = index.services.lookup(UnsafeRawBufferPointer(rebasing: name[serviceKey])) else { return .nxdomain }
            return endpoint(request, index: index, service: s, label: UnsafeRawBufferPointer(rebasing: name[label]),
                            suffix: serviceKey.lowerBound)
        case .port(let portName, let proto, let serviceKey):
            guard let s = index.services.lookup(UnsafeRawBufferPointer(rebasing: name[serviceKey])) else { return .nxdomain }
            return port(request, index: index, service: s, port: UnsafeRawBufferPointer(rebasing: name[portName]),
                        proto: UnsafeRawBufferPointer(rebasing: name[proto]), suffix: serviceKey.lowerBound)
        case .pod(let label, let namespace):
            return pod(request, index: index, label: UnsafeRawBufferPointer(rebasing: name[label]),
                       namespace: UnsafeRawBufferPointer(rebasing: name[namespace]))
        case .invalid:
            return .nxdomain
        }
    }

    /// `<svc>.<ns>.svc.<zone>`: `suffix` is where the service's own name starts in the question
    /// (0 here; SRV targets and additional records point there).
    func service(_ request: Request, index: KubernetesIndex, service s: Int32, suffix: Int) -> Outcome {
        let entry = index.serviceEntries[Int(s)]
        let type = request.questionType
        let ttl = index.config.ttl
        switch entry.kind {
        case .externalName:
            switch type {
            case .a, .aaaa, .txt: return .chase(service: s)
            case .cname:
                appendCNAME(request, index: index, entry: entry)
                return .answered
            default:
                return .nodata   // SRV included: CoreDNS leaves ExternalName out of SRV answers.
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
                return writeSRV(request, index: index, service: s, suffix: suffix, port: .any, proto: .any, chain: nil)
                    ? .answered : .nodata
            default:
                return .nodata
            }
        case .headless:
            // No ready endpoint: the name does not exist (spec §2.4.1).
            guard entry.readyV4 + entry.readyV6 > 0 else { return .nxdomain }
            switch type {
            case .a, .aaaa:
                request.response.beginRRset()
                var wrote = false
                for e in entry.endpoints {
                    let endpoint = index.endpoints[Int(e)]
                    guard endpoint.firstWithAddress, endpoint.address.recordType == type else { continue }
                    request.response.append(owner: .question, type: type, ttl: ttl, rdata: endpoint.address.rdata)
                    wrote = true
                }
                request.response.endRRset()
                return wrote ? .answered : .nodata
            case .srv:
                return writeSRV(request, index: index, service: s, suffix: suffix, port: .any, proto: .any, chain: nil)
                    ? .answered : .nodata
            default:
                return .nodata
            }
        }
    }

    /// `<ep>.<svc>.<ns>.svc.<zone>`: the ready endpoints of that service (headless or not) whose
    /// label is `<ep>`: their addresses, or SRV records for their ports.
    func endpoint(_ request: Request, index: KubernetesIndex, service s: Int32, label: UnsafeRawBufferPointer,
                  suffix: Int) -> Outcome {
        let entry = index.serviceEntries[Int(s)]
        guard entry.kind != .externalName else { return .nxdomain }
        if entry.kind == .clusterIP && index.config.ignoreEmptyService && !entry.hasReadyEndpoints { return .nxdomain }
        guard let head = index.endpoint(named: label, inService: s) else { return .nxdomain }
        let type = request.questionType
        switch type {
        case .a, .aaaa:
            request.response.beginRRset()
            var wrote = false
            var cursor = head
            while cursor >= 0 {
                let endpoint = index.endpoints[Int(cursor)]
                if endpoint.address.recordType == type && !KubernetesHandler.repeatsAddress(index, chainFrom: head, before: cursor) {
                    request.response.append(owner: .question, type: type, ttl: index.config.ttl, rdata: endpoint.address.rdata)
                    wrote = true
                }
                cursor = endpoint.nextSameName
            }
            request.response.endRRset()
            return wrote ? .answered : .nodata
        case .srv:
            return writeSRV(request, index: index, service: s, suffix: suffix, port: .any, proto: .any, chain: head)
                ? .answered : .nodata
        default:
            return .nodata
        }
    }

    /// True when an endpoint of the chain before `position` has the same address.
    static func repeatsAddress(_ index: KubernetesIndex, chainFrom head: Int32, before position: Int32) -> Bool {
        let address = index.endpoints[Int(position)].address
        var cursor = head
        while cursor >= 0 && cursor != position {
            if index.endpoints[Int(cursor)].address == address { return true }
            cursor = index.endpoints[Int(cursor)].nextSameName
        }
        return false
    }

    /// `_<port>._<proto>.<svc>.<ns>.svc.<zone>`: exists when the service (ClusterIP) or one of
    /// its ready endpoints (headless) has a port of that name and protocol. SRV answers with
    /// that port; A/AAAA with the cluster IP, or the addresses of the endpoints with that port
    /// (CoreDNS answers addresses for these names too).
    func port(_ request: Request, index: KubernetesIndex, service s: Int32, port: UnsafeRawBufferPointer,
              proto: UnsafeRawBufferPointer, suffix: Int) -> Outcome {
        let entry = index.serviceEntries[Int(s)]
        guard entry.kind != .externalName else { return .nxdomain }
        let portFilter = PortFilter(port)
        let protoFilter = PortFilter(proto)
        let type = request.questionType
        switch entry.kind {
        case .clusterIP:
            if index.config.ignoreEmptyService && !entry.hasReadyEndpoints { return .nxdomain }
            guard entry.ports.contains(where: { index.ports[Int($0)].matches(portFilter, protoFilter, in: index) }) else {
                return .nxdomain
            }
            switch type {
            case .srv:
                return writeSRV(request, index: index, service: s, suffix: suffix, port: portFilter, proto: protoFilter, chain: nil)
                    ? .answered : .nodata
            case .a, .aaaa:
                return service(request, index: index, service: s, suffix: suffix)
            default:
                return .nodata
            }
        default:
            var exists = false
            for e in entry.endpoints where index.endpoints[Int(e)].hasPort(portFilter, protoFilter, in: index) {
                exists = true
                break
            }
            guard exists else { return .nxdomain }
            switch type {
            case .srv:
                return writeSRV(request, index: index, service: s, suffix: suffix, port: portFilter, proto: protoFilter, chain: nil)
                    ? .answered : .nodata
            case .a, .aaaa:
                request.response.beginRRset()
                var wrote = false
                for e in entry.endpoints {
                    let endpoint = index.endpoints[Int(e)]
                    guard endpoint.address.recordType == type, endpoint.hasPort(portFilter, protoFilter, in: index) else { continue }
                    if !endpoint.firstWithAddress && KubernetesHandler.earlierEndpoint(in: index, entry, before: e, where: {
                        $0.address == endpoint.address && $0.hasPort(portFilter, protoFilter, in: index)
                    }) { continue }
                    request.response.append(owner: .question, type: type, ttl: index.config.ttl, rdata: endpoint.address.rdata)
                    wrote = true
                }
                request.response.endRRset()
                return wrote ? .answered : .nodata
            default:
                return .nodata
            }
        }
    }

    /// True when an endpoint of the service before `position` satisfies `predicate`.
    @inline(__always)
    static func earlierEndpoint(in index: KubernetesIndex, _ entry: KubernetesIndex.ServiceEntry, before position: Int32,
                                where predicate: (KubernetesIndex.EndpointEntry) -> Bool) -> Bool {
        var e = entry.endpoints.lowerBound
        while e < position {
            if predicate(index.endpoints[Int(e)]) { return true }
            e += 1
        }
        return false
    }

    /// `<a-b-c-d>.<ns>.pod.<zone>` (or the dashed IPv6 form): with `pods insecure` any address
    /// in an existing namespace; with `pods verified` only a running or pending pod's.
    func pod(_ request: Request, index: KubernetesIndex, label: UnsafeRawBufferPointer,
             namespace: UnsafeRawBufferPointer) -> Outcome {
        guard index.config.pods != .disabled, let ns = index.namespaces.lookup(namespace),
              let address = QueryTarget.podAddress(label) else { return .nxdomain }
        if index.config.pods == .verified && !index.verifiedPods.contains(.init(address: address, namespace: ns)) {
            return .nxdomain
        }
        let type = request.questionType
        guard type == address.recordType else { return .nodata }
        request.response.beginRRset()
        request.response.append(owner: .question, type: type, ttl: index.config.ttl, rdata: address.rdata)
        request.response.endRRset()
        return .answered
    }
}
