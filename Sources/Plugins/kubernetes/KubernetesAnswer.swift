import ClusterRegistry
import DNSWire

/// The question as the answer functions see it: the name as it lies in the packet (wire form,
/// the client's case), the type, and where the plugin zone starts in the name.
struct Asked {
    let name: UnsafeRawBufferPointer
    let type: RecordType
    let zoneOffset: Int
}

/// Answers one question from one index into a response builder, following CoreDNS's
/// `handler.go`, `kubernetes.go` and `plugin/backend_lookup.go`: what exists is answered
/// authoritatively; an existing name without records of the asked type is NODATA; a name that
/// cannot exist is NXDOMAIN (the handler adds the SOA, or falls through); zone transfers are
/// REFUSED.
///
/// Pure functions of (question, index): no request, no engine, so the whole answer is written
/// through one `inout` access to the response (one exclusivity check per query, not one per
/// record). Allocation-free: names are compared and hashed in the packet, records written
/// straight into the builder, RDATA names are pointers into the question or arena labels.
enum KubernetesAnswer {
    /// How a name under the zone resolves, before the response is finished.
    enum Outcome {
        /// Records were written into the answer (and additional) section.
        case answered
        case nodata
        case nxdomain
        case refused
        /// An ExternalName service asked for A/AAAA/TXT: CNAME, then chase the target. `shard`
        /// is the index holding the service.
        case chase(shard: KubernetesIndex, service: Int32)
    }

    static func answer(_ q: Asked, _ set: KubernetesIndexSet, _ response: inout ResponseBuilder) -> Outcome {
        if q.type == .axfr || q.type == .ixfr { return .refused }
        if q.type == .any { return anyAnswer(q, set, &response) }
        return isReverseZone(q.name, zoneOffset: q.zoneOffset) ? reverse(q, set, &response) : forward(q, set, &response)
    }

    /// The types tried, in order, for an ANY question: the first that has data is the answer.
    /// CNAME first, so an ExternalName service answers its CNAME rather than being chased.
    static let anyOrder: [RecordType] = [.cname, .a, .aaaa, .srv, .ptr, .soa]

    /// HINFO "RFC8482" "" (RFC 8482 §4.2), for a name that exists but has none of `anyOrder`.
    static let rfc8482HINFO: RData = .unknown([7] + Array("RFC8482".utf8) + [0])

    /// ANY (RFC 8482 §4.1): one RRset instead of everything the name has. CoreDNS answers ANY
    /// with NODATA here; a client asking ANY of a service wants its addresses, so the first
    /// type of `anyOrder` with data is answered, and an existing name without any of them
    /// (a namespace, `svc.<zone>`) gets the synthesized HINFO of §4.2. A name that does not
    /// exist stays NXDOMAIN. Allocation-free (the attempts that find nothing write nothing).
    static func anyAnswer(_ q: Asked, _ set: KubernetesIndexSet, _ response: inout ResponseBuilder) -> Outcome {
        for type in anyOrder {
            let outcome = answer(Asked(name: q.name, type: type, zoneOffset: q.zoneOffset), set, &response)
            switch outcome {
            case .nodata: continue
            default: return outcome
            }
        }
        response.beginRRset()
        response.append(owner: .question, type: .hinfo, ttl: set.config.ttl, rdata: rfc8482HINFO)
        response.endRRset()
        return .answered
    }

    // MARK: Zones

    /// Offset of the plugin zone that `name` falls under (the longest such zone), or nil.
    /// - Complexity: O(zones × name length). Allocation-free.
    static func zoneOffset(of name: UnsafeRawBufferPointer, in index: KubernetesIndex) -> Int? {
        var best: Int? = nil
        for zone in index.zoneWires where zone.count <= name.count {
            let offset = name.count - zone.count
            guard best.map({ offset < $0 }) ?? true, ZoneMatch.isLabelBoundary(name, offset) else { continue }
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
        return ZoneMatch.isLabelBoundary(name, offset)
            && WireName.equalIgnoringCase(UnsafeRawBufferPointer(rebasing: name[offset...]), suffix)
    }

    static func isUnderAny(_ name: UnsafeRawBufferPointer, _ zones: [DomainName]) -> Bool {
        zones.contains { zone in zone.wire.withUnsafeBytes { hasSuffix(name, $0) } }
    }

    // MARK: Forward zone

    /// Names of a service go to its shard; every other name to `home`.
    static func forward(_ q: Asked, _ set: KubernetesIndexSet, _ response: inout ResponseBuilder) -> Outcome {
        let index = set.home
        let name = q.name
        let type = q.type
        let target = QueryTarget.parse(name, zoneOffset: q.zoneOffset)
        // CoreDNS answers a SOA question below the apex with NODATA whether or not the name
        // exists: its SOA branch does no lookup.
        if type == .soa, target != .apex { return .nodata }
        switch target {
        case .apex:
            return apex(q, index, &response)
        case .dnsVersion:
            guard type == .txt else { return .nodata }
            response.beginRRset()
            response.append(owner: .question, type: .txt, ttl: 28_800) { (w) throws(WriterFull) in
                try w.writeBytes(WireConstants.versionText)
            }
            response.endRRset()
            return .answered
        case .nameServer:
            guard type == .a || type == .aaaa else { return .nodata }
            return appendAddresses(index.nameServerAddresses, type: type, owner: .question, ttl: index.config.ttl, &response)
                ? .answered : .nodata
        case .typeLevel:
            return .nodata
        case .namespace(let label):
            return index.namespaces.lookup(UnsafeRawBufferPointer(rebasing: name[label])) != nil ? .nodata : .nxdomain
        case .podNamespace(let label):
            guard index.config.pods != .disabled else { return .nxdomain }
            return index.namespaces.lookup(UnsafeRawBufferPointer(rebasing: name[label])) != nil ? .nodata : .nxdomain
        case .service(let key):
            guard let (shard, s) = set.service(key: UnsafeRawBufferPointer(rebasing: name[key])) else { return .nxdomain }
            return service(q, shard, &response, service: s, suffix: 0)
        case .endpoint(let label, let serviceKey):
            guard let (shard, s) = set.service(key: UnsafeRawBufferPointer(rebasing: name[serviceKey])) else { return .nxdomain }
            return endpoint(q, shard, &response, service: s, label: UnsafeRawBufferPointer(rebasing: name[label]),
                            suffix: serviceKey.lowerBound)
        case .port(let portName, let proto, let serviceKey):
            guard let (shard, s) = set.service(key: UnsafeRawBufferPointer(rebasing: name[serviceKey])) else { return .nxdomain }
            return port(q, shard, &response, service: s, port: PortFilter(UnsafeRawBufferPointer(rebasing: name[portName])),
                        proto: PortFilter(UnsafeRawBufferPointer(rebasing: name[proto])), suffix: serviceKey.lowerBound)
        case .pod(let label, let namespace):
            return pod(q, index, &response, label: UnsafeRawBufferPointer(rebasing: name[label]),
                       namespace: UnsafeRawBufferPointer(rebasing: name[namespace]))
        case .invalid:
            return .nxdomain
        }
    }

    /// `<svc>.<ns>.svc.<zone>`: `suffix` is where the service's own name starts in the question
    /// (0 here; SRV targets and additional records point there).
    static func service(_ q: Asked, _ index: KubernetesIndex, _ response: inout ResponseBuilder, service s: Int32,
                        suffix: Int) -> Outcome {
        let type = q.type
        let ttl = index.config.ttl
        // A ClusterIP service's A, NODATA and empty-service answers come from its card alone
        // (the line the lookup already read); its entry is read for SRV and an IPv6 address.
        let card = index.cards[s]
        if card.kind == .clusterIP {
            if index.config.ignoreEmptyService && !card.flags.contains(.readyEndpoints) { return .nxdomain }
            switch type {
            case .a:
                guard card.flags.contains(.clusterIPv4) else { return .nodata }
                response.beginRRset()
                response.append(owner: .question, type: .a, ttl: ttl, rdata: .a(IPv4Address(rawValue: card.clusterIPv4)))
                response.endRRset()
                return .answered
            case .aaaa:
                guard card.flags.contains(.clusterIPv6), let ip = index.clusterIPv6(s) else { return .nodata }
                response.beginRRset()
                response.append(owner: .question, type: .aaaa, ttl: ttl, rdata: .aaaa(ip))
                response.endRRset()
                return .answered
            case .srv:
                return writeSRV(index, &response, service: s, suffix: suffix, port: .any, proto: .any, chain: nil) ? .answered : .nodata
            default:
                return .nodata
            }
        }
        switch card.kind {
        case .externalName:
            switch type {
            case .a, .aaaa, .txt: return .chase(shard: index, service: s)
            case .cname:
                appendCNAME(index, service: s, &response)
                return .answered
            default:
                return .nodata   // SRV included: CoreDNS leaves ExternalName out of SRV answers.
            }
        case .clusterIP:
            return .nodata   // answered from the card above
        case .headless:
            // No ready endpoint: the name does not exist (spec §2.4.1).
            guard card.flags.contains(.readyEndpoints) else { return .nxdomain }
            switch type {
            case .a, .aaaa:
                response.beginRRset()
                var wrote = false
                for e in index.serviceEntries[Int(s)].endpoints {
                    let endpoint = index.endpoints[Int(e)]
                    guard endpoint.firstWithAddress, endpoint.hasFamily(of: type) else { continue }
                    response.append(owner: .question, type: type, ttl: ttl, rdata: index.address(of: endpoint).rdata)
                    wrote = true
                }
                response.endRRset()
                return wrote ? .answered : .nodata
            case .srv:
                return writeSRV(index, &response, service: s, suffix: suffix, port: .any, proto: .any, chain: nil) ? .answered : .nodata
            default:
                return .nodata
            }
        }
    }

    /// `<ep>.<svc>.<ns>.svc.<zone>`: the ready endpoints of that service (headless or not) whose
    /// label is `<ep>`: their addresses, or SRV records for their ports.
    static func endpoint(_ q: Asked, _ index: KubernetesIndex, _ response: inout ResponseBuilder, service s: Int32,
                         label: UnsafeRawBufferPointer, suffix: Int) -> Outcome {
        let card = index.cards[s]
        guard card.kind != .externalName else { return .nxdomain }
        if card.kind == .clusterIP && index.config.ignoreEmptyService && !card.flags.contains(.readyEndpoints) { return .nxdomain }
        guard let head = index.endpoint(named: label, inService: s) else { return .nxdomain }
        switch q.type {
        case .a, .aaaa:
            response.beginRRset()
            var wrote = false
            var cursor = head
            while cursor >= 0 {
                let endpoint = index.endpoints[Int(cursor)]
                if endpoint.hasFamily(of: q.type) && !repeatsAddress(index, chainFrom: head, before: cursor) {
                    response.append(owner: .question, type: q.type, ttl: index.config.ttl, rdata: index.address(of: endpoint).rdata)
                    wrote = true
                }
                cursor = endpoint.nextSameName
            }
            response.endRRset()
            return wrote ? .answered : .nodata
        case .srv:
            return writeSRV(index, &response, service: s, suffix: suffix, port: .any, proto: .any, chain: head) ? .answered : .nodata
        default:
            return .nodata
        }
    }

    /// True when an endpoint of the chain before `position` has the same address.
    static func repeatsAddress(_ index: KubernetesIndex, chainFrom head: Int32, before position: Int32) -> Bool {
        let endpoint = index.endpoints[Int(position)]
        var cursor = head
        while cursor >= 0 && cursor != position {
            if index.sameAddress(index.endpoints[Int(cursor)], endpoint) { return true }
            cursor = index.endpoints[Int(cursor)].nextSameName
        }
        return false
    }

    /// `_<port>._<proto>.<svc>.<ns>.svc.<zone>`: exists when the service (ClusterIP) or one of
    /// its ready endpoints (headless) has a port of that name and protocol. SRV answers with
    /// that port; A/AAAA with the cluster IP, or the addresses of the endpoints with that port
    /// (CoreDNS answers addresses for these names too).
    static func port(_ q: Asked, _ index: KubernetesIndex, _ response: inout ResponseBuilder, service s: Int32,
                     port: PortFilter, proto: PortFilter, suffix: Int) -> Outcome {
        let card = index.cards[s]
        let entry = index.serviceEntries[Int(s)]
        switch card.kind {
        case .externalName:
            return .nxdomain
        case .clusterIP:
            if index.config.ignoreEmptyService && !card.flags.contains(.readyEndpoints) { return .nxdomain }
            guard entry.ports.contains(where: { index.ports[Int($0)].matches(port, proto, in: index) }) else { return .nxdomain }
            switch q.type {
            case .srv:
                return writeSRV(index, &response, service: s, suffix: suffix, port: port, proto: proto, chain: nil) ? .answered : .nodata
            case .a, .aaaa:
                return service(q, index, &response, service: s, suffix: suffix)
            default:
                return .nodata
            }
        case .headless:
            guard entry.endpoints.contains(where: { index.endpoints[Int($0)].hasPort(port, proto, in: index) }) else { return .nxdomain }
            switch q.type {
            case .srv:
                return writeSRV(index, &response, service: s, suffix: suffix, port: port, proto: proto, chain: nil) ? .answered : .nodata
            case .a, .aaaa:
                response.beginRRset()
                var wrote = false
                for e in entry.endpoints {
                    let endpoint = index.endpoints[Int(e)]
                    guard endpoint.hasFamily(of: q.type), endpoint.hasPort(port, proto, in: index) else { continue }
                    if !endpoint.firstWithAddress && earlierEndpoint(in: index, entry, before: e, where: {
                        index.sameAddress($0, endpoint) && $0.hasPort(port, proto, in: index)
                    }) { continue }
                    response.append(owner: .question, type: q.type, ttl: index.config.ttl, rdata: index.address(of: endpoint).rdata)
                    wrote = true
                }
                response.endRRset()
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
    static func pod(_ q: Asked, _ index: KubernetesIndex, _ response: inout ResponseBuilder, label: UnsafeRawBufferPointer,
                    namespace: UnsafeRawBufferPointer) -> Outcome {
        guard index.config.pods != .disabled, let ns = index.namespaces.lookup(namespace),
              let address = QueryTarget.podAddress(label) else { return .nxdomain }
        if index.config.pods == .verified && !index.verifiedPods.contains(.init(address: address, namespace: ns)) {
            return .nxdomain
        }
        guard q.type == address.recordType else { return .nodata }
        response.beginRRset()
        response.append(owner: .question, type: q.type, ttl: index.config.ttl, rdata: address.rdata)
        response.endRRset()
        return .answered
    }
}
