import DNSWire
import ZoneFile

// How the `file` plugin answers from a zone, following CoreDNS's plugin/file (lookup.go) and
// RFC 1034 §4.3.2, RFC 4592 (wildcards) and RFC 6672 (DNAME):
//
// 1. The apex SOA and NS queries are answered directly (SOA with the apex NS in authority; NS with
//    the name servers' in-zone addresses in additional).
// 2. The query name is walked from the apex down, label by label. A strict ancestor owning a
//    DNAME substitutes the name (the DNAME and a synthesized CNAME are the answer's first records,
//    then the new name is followed). A name with NS records below the apex is a zone cut: the
//    answer is a referral (its NS in authority, their in-zone addresses as glue, AA clear), unless
//    the query is DS at the cut itself.
// 3. When a label is missing, the deepest name found is the closest encloser; its `*` child, if
//    any, is the source of synthesis (an empty one gives NODATA); without one the name does not
//    exist (NXDOMAIN). Empty non-terminals exist (they are nodes), so they block wildcards and
//    answer NOERROR without data.
// 4. At the name (or the wildcard standing for it): a CNAME is followed when the query is not for
//    CNAME, through the zone for up to 8 links; a link leaving the zone, or naming no node, is
//    resolved through the whole server (a subrequest from the top of the chain, CoreDNS's
//    `upstream.Lookup`) and its answer appended. Otherwise the RRset of the type is the answer,
//    with the apex NS in authority and the in-zone addresses of MX/SRV targets in additional, as
//    CoreDNS does; or NODATA.
// 5. NXDOMAIN and NODATA carry the SOA in authority, its TTL the lower of the SOA's TTL and its
//    MINIMUM (RFC 2308 §3; CoreDNS sends the SOA's own TTL). Every answer except a bare referral
//    has AA set.
//
// Direct answers (the common case) allocate nothing: names are looked up where they lie in the
// packet, label offsets live on the stack, records are written from the zone's typed data.
// Alias chains build a small array of the RRsets to write.

/// One RRset of an answer being assembled, with where its owner name comes from.
struct AnswerPart {
    let owner: ResponseBuilder.Owner
    let rrset: ZoneRRset
}

/// An alias chain that left the zone: what was answered so far and the name still to resolve.
final class PendingChase {
    let zone: Zone
    let parts: [AnswerPart]
    let target: DomainName

    init(zone: Zone, parts: [AnswerPart], target: DomainName) {
        self.zone = zone
        self.parts = parts
        self.target = target
    }
}

enum ZoneAnswer {
    /// What `serve` did.
    enum Outcome {
        case answered
        /// Nothing here for the name and `fallthrough` covers it.
        case next
        /// Resolve `target` through the server, then finish with `PendingChase.complete`.
        case external(PendingChase)
    }

    /// The most CNAME links followed inside the zone (CoreDNS's limit).
    static let maxAliasLinks = 8

    /// Answers `request` from `zone`, whose origin the question name is at or below.
    static func serve(zone: Zone, request: Request, fall: Fallthrough) -> Outcome {
        let qname = request.questionName
        let qtype = request.questionType
        return withUnsafeTemporaryAllocation(of: Int.self, capacity: 128) { offsets -> Outcome in
            var count = 0
            var i = 0
            while i < qname.count && qname[i] != 0 && count < 128 {
                offsets[count] = i
                count += 1
                i += 1 + Int(qname[i])
            }
            // offsets[level] starts the suffix with `count - level` labels; the origin is at `originLevel`.
            let originLevel = count - zone.originLabels
            guard originLevel >= 0 else {
                respondNegative(zone: zone, request: request, rcode: .nameError)
                return .answered
            }
            if originLevel == 0 {
                if qtype == .soa { return answerApex(zone: zone, request: request, soa: true) }
                if qtype == .ns { return answerApex(zone: zone, request: request, soa: false) }
            }
            var node = Zone.apexIndex
            var level = originLevel
            while true {
                let current = zone.nodes[node]
                if level > 0, let dname = current.rrset(.dname) {
                    let ownerStart = level < count ? offsets[level] : qname.count - 1
                    return substitute(zone: zone, request: request, dname: dname, ownerEnd: ownerStart)
                }
                if current.isDelegation && !(qtype == .ds && level == 0) {
                    return referral(zone: zone, request: request, cut: node, prefix: [])
                }
                if level == 0 { break }
                level -= 1
                let suffix = UnsafeRawBufferPointer(rebasing: qname[offsets[level]...])
                guard let found = zone.find(suffix) else {
                    return synthesize(zone: zone, request: request, closestEncloser: node, fall: fall)
                }
                node = found
            }
            return answerNode(zone: zone, request: request, node: zone.nodes[node], fall: fall)
        }
    }

    // MARK: Cases

    /// The name exists: its data, its alias, NODATA, or (an empty non-terminal) NOERROR without data.
    static func answerNode(zone: Zone, request: Request, node: ZoneNode, fall: Fallthrough) -> Outcome {
        let qtype = request.questionType
        if node.isEmptyNonTerminal {
            if fall.covers(request.questionName) { return .next }
            respondNegative(zone: zone, request: request, rcode: .noError)
            return .answered
        }
        // ANY (RFC 8482): one RRset of the node, a CNAME included, and no chase.
        if qtype != .cname && qtype != .any, let alias = node.rrset(.cname) {
            return chase(zone: zone, request: request, parts: [AnswerPart(owner: .question, rrset: alias)],
                         target: aliasTarget(alias))
        }
        guard let rrset = qtype == .any ? node.rrsetForANY : node.rrset(qtype) else {
            respondNegative(zone: zone, request: request, rcode: .noError)
            return .answered
        }
        respondPositive(zone: zone, request: request, rrset: rrset)
        return .answered
    }

    /// The name does not exist below `closestEncloser`: a wildcard answers for it, or NXDOMAIN.
    static func synthesize(zone: Zone, request: Request, closestEncloser: Int, fall: Fallthrough) -> Outcome {
        let source = zone.nodes[closestEncloser].wildcard
        guard source >= 0 else {
            if fall.covers(request.questionName) { return .next }
            respondNegative(zone: zone, request: request, rcode: .nameError)
            return .answered
        }
        let wildcard = zone.nodes[source]
        let qtype = request.questionType
        if qtype != .cname && qtype != .any, let alias = wildcard.rrset(.cname) {
            return chase(zone: zone, request: request, parts: [AnswerPart(owner: .question, rrset: alias)],
                         target: aliasTarget(alias))
        }
        guard let rrset = qtype == .any ? wildcard.rrsetForANY : wildcard.rrset(qtype) else {
            respondNegative(zone: zone, request: request, rcode: .noError)
            return .answered
        }
        respondPositive(zone: zone, request: request, rrset: rrset)
        return .answered
    }

    /// A DNAME at a strict ancestor: the DNAME, a CNAME from the query name to the substituted
    /// name, then that name's answer (RFC 6672 §3.2). A result longer than 255 octets is YXDOMAIN.
    static func substitute(zone: Zone, request: Request, dname: ZoneRRset, ownerEnd: Int) -> Outcome {
        guard case .unknown(let targetWire) = dname.rdata.first, let target = try? DomainName(wire: targetWire) else {
            request.respond(rcode: .serverFailure)
            return .answered
        }
        let prefix = request.questionName[0..<ownerEnd].map(WireName.lowercase)
        let dnamePart = AnswerPart(owner: .name(dname.name), rrset: dname)
        guard let substituted = try? DomainName(wire: prefix + target.wire) else {
            writeAnswer(zone: zone, request: request, parts: [dnamePart], final: nil, authority: .none, rcode: .yxDomain)
            return .answered
        }
        let synthesized = ZoneRRset(name: substituted, type: .cname, ttl: dname.ttl, rdata: [.cname(substituted)])
        let parts = [dnamePart, AnswerPart(owner: .question, rrset: synthesized)]
        if request.questionType == .cname || request.questionType == .dname {
            writeAnswer(zone: zone, request: request, parts: parts, final: nil, authority: .nameServers, rcode: .noError)
            return .answered
        }
        return chase(zone: zone, request: request, parts: parts, target: substituted)
    }

    /// Follows an alias chain from `target`, inside the zone while it can.
    static func chase(zone: Zone, request: Request, parts initial: [AnswerPart], target start: DomainName) -> Outcome {
        let qtype = request.questionType
        var parts = initial
        var target = start
        for _ in 0..<maxAliasLinks {
            guard target.isSubdomain(of: zone.origin) else {
                return .external(PendingChase(zone: zone, parts: parts, target: target))
            }
            if let cut = cut(zone: zone, above: target) {
                return referral(zone: zone, request: request, cut: cut, prefix: parts)
            }
            guard let index = zone.find(target) else {
                // Not a node: a wildcard or NXDOMAIN, which the server decides through this plugin again.
                return .external(PendingChase(zone: zone, parts: parts, target: target))
            }
            let node = zone.nodes[index]
            if let alias = node.rrset(.cname) {
                parts.append(AnswerPart(owner: .name(node.name), rrset: alias))
                target = aliasTarget(alias)
                continue
            }
            if let rrset = node.rrset(qtype) {
                parts.append(AnswerPart(owner: .name(node.name), rrset: rrset))
                writeAnswer(zone: zone, request: request, parts: parts, final: rrset, authority: .nameServers, rcode: .noError)
            } else {
                writeAnswer(zone: zone, request: request, parts: parts, final: nil, authority: .soa, rcode: .noError)
            }
            return .answered
        }
        writeAnswer(zone: zone, request: request, parts: parts, final: nil, authority: .nameServers, rcode: .noError)
        return .answered
    }

    /// A referral to the zone cut `cut`, after the alias records in `prefix` (if any).
    static func referral(zone: Zone, request: Request, cut: Int, prefix: [AnswerPart]) -> Outcome {
        guard request.startResponse() else { return .answered }
        let node = zone.nodes[cut]
        // A referral alone is not authoritative; an alias chain leading to it is (CoreDNS).
        request.response.authoritative = !prefix.isEmpty
        for part in prefix { write(part.rrset, owner: part.owner, request) }
        request.response.startSection(.authority)
        if let ns = node.rrset(.ns) {
            write(ns, owner: .name(node.name), request)
            request.response.startSection(.additional)
            writeAddresses(of: ns, zone: zone, request: request)
        }
        request.finishResponse()
        return .answered
    }

    /// The apex's SOA (NS in authority) or NS (their addresses in additional).
    static func answerApex(zone: Zone, request: Request, soa: Bool) -> Outcome {
        guard request.startResponse() else { return .answered }
        request.response.authoritative = true
        let apex = zone.apex
        let nameServers = apex.rrset(.ns)
        if soa {
            if let set = apex.rrset(.soa) { write(set, owner: .question, request) }
            if let nameServers {
                request.response.startSection(.authority)
                write(nameServers, owner: .name(zone.origin), request)
            }
        } else if let nameServers {
            write(nameServers, owner: .question, request)
            request.response.startSection(.additional)
            writeAddresses(of: nameServers, zone: zone, request: request)
        } else {
            request.response.startSection(.authority)
            writeSOA(zone: zone, request: request)
        }
        request.finishResponse()
        return .answered
    }

    // MARK: Writing

    enum Authority { case none, nameServers, soa }

    /// The RRset under the question name, apex NS in authority, MX/SRV target addresses in additional.
    static func respondPositive(zone: Zone, request: Request, rrset: ZoneRRset) {
        guard request.startResponse() else { return }
        request.response.authoritative = true
        write(rrset, owner: .question, request)
        if let nameServers = zone.apex.rrset(.ns) {
            request.response.startSection(.authority)
            write(nameServers, owner: .name(zone.origin), request)
        }
        request.response.startSection(.additional)
        writeTargetAddresses(of: rrset, zone: zone, request: request)
        request.finishResponse()
    }

    /// NXDOMAIN or NODATA: the SOA in authority.
    static func respondNegative(zone: Zone, request: Request, rcode: ResponseCode) {
        guard request.startResponse() else { return }
        request.response.authoritative = true
        request.response.rcode = rcode
        request.response.startSection(.authority)
        writeSOA(zone: zone, request: request)
        request.finishResponse()
    }

    /// An answer made of `parts`, then authority, then the additional addresses of `final`'s targets.
    static func writeAnswer(zone: Zone, request: Request, parts: [AnswerPart], final: ZoneRRset?,
                            authority: Authority, rcode: ResponseCode) {
        guard request.startResponse() else { return }
        request.response.authoritative = true
        request.response.rcode = rcode
        for part in parts { write(part.rrset, owner: part.owner, request) }
        request.response.startSection(.authority)
        switch authority {
        case .none: break
        case .soa: writeSOA(zone: zone, request: request)
        case .nameServers:
            if let nameServers = zone.apex.rrset(.ns) { write(nameServers, owner: .name(zone.origin), request) }
        }
        if let final {
            request.response.startSection(.additional)
            writeTargetAddresses(of: final, zone: zone, request: request)
        }
        request.finishResponse()
    }

    static func write(_ rrset: ZoneRRset, owner: ResponseBuilder.Owner, _ request: Request) {
        request.response.beginRRset()
        for rdata in rrset.wireRData {
            request.response.append(owner: owner, type: rrset.type, ttl: rrset.ttl, rdata: rdata)
        }
        request.response.endRRset()
    }

    static func writeSOA(zone: Zone, request: Request) {
        request.response.beginRRset()
        request.response.append(owner: .name(zone.origin), type: .soa, ttl: zone.negativeTTL, rdata: .soa(zone.soa))
        request.response.endRRset()
    }

    /// The in-zone A and AAAA records of the name servers of `ns` (glue, or the apex's servers).
    static func writeAddresses(of ns: ZoneRRset, zone: Zone, request: Request) {
        for (i, rdata) in ns.rdata.enumerated() {
            guard case .ns(let host) = rdata, !seenEarlier(host, in: ns.rdata, before: i) else { continue }
            writeAddressRecords(of: host, zone: zone, request: request)
        }
    }

    /// The in-zone A and AAAA records of the targets of MX and SRV answers (CoreDNS's additional
    /// section processing).
    static func writeTargetAddresses(of rrset: ZoneRRset, zone: Zone, request: Request) {
        guard rrset.type == .mx || rrset.type == .srv else { return }
        for (i, rdata) in rrset.rdata.enumerated() {
            guard let target = ZoneRRset.target(of: rdata), !seenEarlier(target, in: rrset.rdata, before: i) else { continue }
            writeAddressRecords(of: target, zone: zone, request: request)
        }
    }

    static func writeAddressRecords(of host: DomainName, zone: Zone, request: Request) {
        guard host.isSubdomain(of: zone.origin), let index = zone.find(host) else { return }
        let node = zone.nodes[index]
        if let a = node.rrset(.a) { write(a, owner: .name(node.name), request) }
        if let aaaa = node.rrset(.aaaa) { write(aaaa, owner: .name(node.name), request) }
    }

    /// True when an earlier record of `rdata` already named `target` (two MX to one host).
    static func seenEarlier(_ target: DomainName, in rdata: [RData], before index: Int) -> Bool {
        for j in 0..<index where ZoneRRset.target(of: rdata[j]) == target { return true }
        return false
    }

    // MARK: Helpers

    static func aliasTarget(_ alias: ZoneRRset) -> DomainName {
        if case .cname(let target) = alias.rdata.first { return target }
        return alias.name
    }

    /// The first zone cut on the way from the apex down to `name` (inclusive), or nil.
    static func cut(zone: Zone, above name: DomainName) -> Int? {
        let labels = name.labelCount - zone.originLabels
        guard labels > 0 else { return nil }
        return name.wire.withUnsafeBytes { wire -> Int? in
            var starts: [Int] = []
            starts.reserveCapacity(labels)
            var i = 0
            while starts.count < labels {
                starts.append(i)
                i += 1 + Int(wire[i])
            }
            for level in starts.reversed() {
                guard let index = zone.find(UnsafeRawBufferPointer(rebasing: wire[level...])) else { return nil }
                if zone.nodes[index].isDelegation { return index }
            }
            return nil
        }
    }
}

extension PendingChase {
    /// Finishes the parent's answer once the out-of-zone part of the chain is resolved: the
    /// in-zone records, then the subrequest's answer records, with its rcode (CoreDNS: NXDOMAIN
    /// and NODATA get this zone's SOA in authority, other answers its NS).
    func complete(parent: Request, child: Request) {
        let message = try? Message(parsing: child.responseBytes)
        let rcode = message?.rcode ?? .serverFailure
        let answers = message?.answers ?? []
        guard parent.startResponse() else { return }
        parent.response.authoritative = true
        for part in parts { ZoneAnswer.write(part.rrset, owner: part.owner, parent) }
        var start = 0
        while start < answers.count {
            var end = start + 1
            while end < answers.count && answers[end].sameRRset(as: answers[start]) { end += 1 }
            parent.response.beginRRset()
            for record in answers[start..<end] {
                parent.response.append(owner: .name(record.name), type: record.type, ttl: record.ttl,
                                       rdata: ZoneRRset.writerForm(record.rdata), recordClass: record.recordClass)
            }
            parent.response.endRRset()
            start = end
        }
        parent.response.startSection(.authority)
        switch rcode {
        case .nameError:
            parent.response.rcode = .nameError
            ZoneAnswer.writeSOA(zone: zone, request: parent)
        case .serverFailure:
            parent.response.rcode = .serverFailure
        case .noError where answers.isEmpty:
            ZoneAnswer.writeSOA(zone: zone, request: parent)
        default:
            if let nameServers = zone.apex.rrset(.ns) { ZoneAnswer.write(nameServers, owner: .name(zone.origin), parent) }
        }
        parent.finishResponse()
    }

    /// The answer when the rest of the chain cannot be resolved (no server block for it, too
    /// deep): the in-zone part alone, as CoreDNS answers when its upstream lookup is refused.
    func completeUnresolved(parent: Request) {
        ZoneAnswer.writeAnswer(zone: zone, request: parent, parts: parts, final: nil, authority: .nameServers, rcode: .noError)
    }
}
