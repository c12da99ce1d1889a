import ClusterDNSCSystem
import DNSWire

/// Field-by-field comparison of what libldns read with what DNSWire holds. Each difference is a
/// sentence; an empty list means the two agree.
struct LDNSComparison {
    /// When false, names are compared without regard to case only (used where ldns's writer
    /// compressed case-insensitively and so could not keep a later name's case).
    var exactCase: Bool
    var differences: [String] = []

    init(exactCase: Bool) { self.exactCase = exactCase }

    mutating func expect(_ condition: Bool, _ what: @autoclosure () -> String) {
        if !condition { differences.append(what()) }
    }

    mutating func compare(_ l: LDNSMessage, _ m: Message) {
        let h = m.header
        expect(l.id == h.id, "id: ldns \(l.id), DNSWire \(h.id)")
        expect(l.qr == h.isResponse, "QR: ldns \(l.qr), DNSWire \(h.isResponse)")
        expect(l.aa == h.authoritative, "AA: ldns \(l.aa), DNSWire \(h.authoritative)")
        expect(l.tc == h.truncated, "TC: ldns \(l.tc), DNSWire \(h.truncated)")
        expect(l.rd == h.recursionDesired, "RD: ldns \(l.rd), DNSWire \(h.recursionDesired)")
        expect(l.ra == h.recursionAvailable, "RA: ldns \(l.ra), DNSWire \(h.recursionAvailable)")
        expect(l.ad == h.authenticData, "AD: ldns \(l.ad), DNSWire \(h.authenticData)")
        expect(l.cd == h.checkingDisabled, "CD: ldns \(l.cd), DNSWire \(h.checkingDisabled)")
        // The Z bit is not compared: ldns has no field for it (see Docs/wire-codec.md).
        expect(l.opcode == h.opcode.rawValue, "opcode: ldns \(l.opcode), DNSWire \(h.opcode.rawValue)")
        expect(l.rcode == h.rcodeBits, "header RCODE: ldns \(l.rcode), DNSWire \(h.rcodeBits)")
        expect(Int(l.counts.qd) == m.questions.count, "QDCOUNT: ldns \(l.counts.qd), DNSWire \(m.questions.count)")
        expect(Int(l.counts.an) == m.answers.count, "ANCOUNT: ldns \(l.counts.an), DNSWire \(m.answers.count)")
        expect(Int(l.counts.ns) == m.authorities.count, "NSCOUNT: ldns \(l.counts.ns), DNSWire \(m.authorities.count)")
        expect(Int(l.counts.ar) == m.additionals.count, "ARCOUNT without OPT: ldns \(l.counts.ar), DNSWire \(m.additionals.count)")

        expect(l.questions.count == m.questions.count, "question count differs")
        for (i, (lq, q)) in zip(l.questions, m.questions).enumerated() {
            compareName(lq.owner, q.name, "question \(i) name")
            expect(lq.type == q.type.rawValue, "question \(i) type: ldns \(lq.type), DNSWire \(q.type.rawValue)")
            expect(lq.recordClass == q.questionClass.rawValue,
                   "question \(i) class: ldns \(lq.recordClass), DNSWire \(q.questionClass.rawValue)")
        }
        for (title, lrecords, records) in [("answer", l.answers, m.answers), ("authority", l.authorities, m.authorities),
                                           ("additional", l.additionals, m.additionals)] {
            expect(lrecords.count == records.count, "\(title) count: ldns \(lrecords.count), DNSWire \(records.count)")
            for (i, (lr, r)) in zip(lrecords, records).enumerated() { compare(lr, r, "\(title) \(i)") }
        }
        compareEDNS(l.edns, m.edns)
    }

    mutating func compareEDNS(_ l: LDNSEDNS?, _ e: EDNS?) {
        expect((l == nil) == (e == nil), "EDNS present: ldns \(l != nil), DNSWire \(e != nil)")
        guard let l, let e else { return }
        expect(l.udpPayloadSize == e.udpPayloadSize, "EDNS UDP size: ldns \(l.udpPayloadSize), DNSWire \(e.udpPayloadSize)")
        expect(l.extendedRCode == e.extendedRCode, "EDNS extended RCODE: ldns \(l.extendedRCode), DNSWire \(e.extendedRCode)")
        expect(l.version == e.version, "EDNS version: ldns \(l.version), DNSWire \(e.version)")
        expect(l.flags == e.flags, "EDNS flags: ldns \(l.flags), DNSWire \(e.flags)")
        expect(l.dnssecOK == e.dnssecOK, "DO: ldns \(l.dnssecOK), DNSWire \(e.dnssecOK)")
        let concatenated = e.options.flatMap { LDNSWriter.be16($0.code.rawValue) + LDNSWriter.be16(UInt16($0.data.count)) + $0.data }
        expect((l.data ?? []) == concatenated, "OPT RDATA: ldns \(hex(l.data ?? [])), DNSWire \(hex(concatenated))")
        expect(l.options.count == e.options.count, "EDNS option count: ldns \(l.options.count), DNSWire \(e.options.count)")
        for (i, (lo, o)) in zip(l.options, e.options).enumerated() {
            expect(lo.code == o.code.rawValue && lo.data == o.data,
                   "EDNS option \(i): ldns \(lo.code)=\(hex(lo.data)), DNSWire \(o.code.rawValue)=\(hex(o.data))")
        }
    }

    mutating func compareName(_ bytes: [UInt8], _ name: DomainName, _ what: String) {
        let same = bytes.count == name.wire.count && bytes.withUnsafeBytes { a in
            name.wire.withUnsafeBytes { b in WireName.equalIgnoringCase(a, b) }
        }
        expect(same, "\(what): ldns \(hex(bytes)), DNSWire \(hex(name.wire)) (\(name))")
        if same && exactCase {
            expect(bytes == name.wire, "\(what): case lost: ldns \(hex(bytes)), DNSWire \(hex(name.wire)) (\(name))")
        }
    }

    mutating func compare(_ l: LDNSRecord, _ r: ResourceRecord, _ what: String) {
        compareName(l.owner, r.name, "\(what) owner")
        expect(l.type == r.type.rawValue, "\(what) type: ldns \(l.type), DNSWire \(r.type.rawValue)")
        expect(l.recordClass == r.recordClass.rawValue, "\(what) class: ldns \(l.recordClass), DNSWire \(r.recordClass.rawValue)")
        expect(l.ttl == r.ttl, "\(what) TTL: ldns \(l.ttl), DNSWire \(r.ttl)")
        let f = l.fields
        func kinds(_ expected: [ldns_rdf_type]) -> Bool {
            let ok = f.map(\.kind) == expected.map(\.rawValue)
            expect(ok, "\(what) RDATA fields: ldns \(f.map(\.kind)), expected \(expected.map(\.rawValue)) for \(r)")
            return ok
        }
        switch r.rdata {
        case .a(let a):
            if kinds([LDNS_RDF_TYPE_A]) { expect(f[0].bytes == LDNSWriter.be32(a.rawValue), "\(what) A: ldns \(f[0].text), DNSWire \(a)") }
        case .aaaa(let a):
            if kinds([LDNS_RDF_TYPE_AAAA]) {
                expect(f[0].bytes == (0..<16).map { a.octet($0) }, "\(what) AAAA: ldns \(f[0].text), DNSWire \(a)")
            }
        case .ns(let n), .cname(let n), .ptr(let n):
            if kinds([LDNS_RDF_TYPE_DNAME]) { compareName(f[0].bytes, n, "\(what) RDATA name") }
        case .soa(let s):
            if kinds([LDNS_RDF_TYPE_DNAME, LDNS_RDF_TYPE_DNAME, LDNS_RDF_TYPE_INT32, LDNS_RDF_TYPE_PERIOD,
                      LDNS_RDF_TYPE_PERIOD, LDNS_RDF_TYPE_PERIOD, LDNS_RDF_TYPE_PERIOD]) {
                compareName(f[0].bytes, s.primaryNameServer, "\(what) SOA MNAME")
                compareName(f[1].bytes, s.responsibleMailbox, "\(what) SOA RNAME")
                let numbers = [s.serial, s.refresh, s.retry, s.expire, s.minimum]
                for (k, value) in numbers.enumerated() {
                    expect(f[2 + k].bytes == LDNSWriter.be32(value), "\(what) SOA field \(k + 3): ldns \(f[2 + k].text), DNSWire \(value)")
                }
            }
        case .mx(let preference, let exchange):
            if kinds([LDNS_RDF_TYPE_INT16, LDNS_RDF_TYPE_DNAME]) {
                expect(f[0].bytes == LDNSWriter.be16(preference), "\(what) MX preference: ldns \(f[0].text), DNSWire \(preference)")
                compareName(f[1].bytes, exchange, "\(what) MX exchange")
            }
        case .txt(let strings):
            if kinds(Array(repeating: LDNS_RDF_TYPE_STR, count: strings.count)) {
                for (k, s) in strings.enumerated() {
                    expect(f[k].bytes == [UInt8(s.count)] + s, "\(what) TXT string \(k): ldns \(f[k].text), DNSWire \(RData.txt([s]).presentation)")
                }
            }
        case .srv(let priority, let weight, let port, let target):
            if kinds([LDNS_RDF_TYPE_INT16, LDNS_RDF_TYPE_INT16, LDNS_RDF_TYPE_INT16, LDNS_RDF_TYPE_DNAME]) {
                expect(f[0].bytes == LDNSWriter.be16(priority) && f[1].bytes == LDNSWriter.be16(weight)
                       && f[2].bytes == LDNSWriter.be16(port),
                       "\(what) SRV numbers: ldns \(f[0].text) \(f[1].text) \(f[2].text), DNSWire \(priority) \(weight) \(port)")
                compareName(f[3].bytes, target, "\(what) SRV target")
            }
        case .unknown(let bytes):
            // Uncompressed RDATA, byte for byte. Names inside (MB, MINFO, …) keep their case
            // only where ldns wrote them in full.
            if exactCase {
                expect(l.rdata == bytes, "\(what) opaque RDATA: ldns \(hex(l.rdata)), DNSWire \(hex(bytes))")
            } else {
                expect(l.rdata.map(WireName.lowercase) == bytes.map(WireName.lowercase),
                       "\(what) opaque RDATA (ignoring case): ldns \(hex(l.rdata)), DNSWire \(hex(bytes))")
            }
        }
    }

}

/// Octets as lowercase hex, for failure messages.
func hex(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    return bytes.isEmpty ? "(empty)" : String(decoding: bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] }, as: UTF8.self)
}

/// Compares DNSWire's presentation text with ldns's where the two formats agree, after the
/// normalizations listed in Docs/wire-codec.md ("Presentation cross-check").
enum PresentationComparison {
    static func differences(_ l: LDNSRecord, _ r: ResourceRecord) -> [String] {
        var out: [String] = []
        let owner = normalizeDNSWireName(r.name.description)
        if owner != l.ownerText { out.append("owner text: ldns '\(l.ownerText)', DNSWire '\(r.name)' (normalized '\(owner)')") }
        if r.type.description != l.typeText { out.append("type text: ldns '\(l.typeText)', DNSWire '\(r.type)'") }
        if r.recordClass.description != l.classText { out.append("class text: ldns '\(l.classText)', DNSWire '\(r.recordClass)'") }
        guard let ours = dnswireRDATA(r) else { return out }
        let theirs = ldnsRDATA(l, r)
        if ours != theirs { out.append("RDATA text: ldns '\(theirs)', DNSWire '\(r.rdata.presentation)' (normalized '\(ours)')") }
        return out
    }

    /// DNSWire's RDATA text, normalized; nil where the formats legitimately differ (RFC 1035's
    /// other types: DNSWire prints RFC 3597 generic form, ldns the type's own form).
    static func dnswireRDATA(_ r: ResourceRecord) -> String? {
        switch r.rdata {
        case .ns(let n), .cname(let n), .ptr(let n): return normalizeDNSWireName(n.description)
        case .soa(let s):
            return "\(normalizeDNSWireName(s.primaryNameServer.description)) \(normalizeDNSWireName(s.responsibleMailbox.description)) "
                + "\(s.serial) \(s.refresh) \(s.retry) \(s.expire) \(s.minimum)"
        case .mx(let p, let n): return "\(p) \(normalizeDNSWireName(n.description))"
        case .srv(let p, let w, let port, let n): return "\(p) \(w) \(port) \(normalizeDNSWireName(n.description))"
        case .a, .aaaa, .txt: return r.rdata.presentation
        case .unknown(let bytes):
            // Types ldns has no descriptor for are printed generically by both; hex case differs.
            guard !RandomMessages.rfc1035Types.contains(r.type), !bytes.isEmpty else { return nil }
            return r.rdata.presentation.lowercased()
        }
    }

    static func ldnsRDATA(_ l: LDNSRecord, _ r: ResourceRecord) -> String {
        switch r.rdata {
        case .aaaa:
            // glibc's inet_ntop writes IPv4-mapped and -compatible addresses with a dotted tail
            // (::ffff:10.0.0.1); RFC 5952 §5 allows it, DNSWire prints plain hex groups.
            let text = l.fields.first?.text ?? ""
            if text.contains("."), let parsed = IPv6Address(text) { return parsed.description }
            return text
        case .txt:
            // ldns prints a tab inside a character-string raw, DNSWire as \009.
            return l.fields.map { $0.text.replacingTab() }.joined(separator: " ")
        default:
            return l.fields.map(\.text).joined(separator: " ")
        }
    }

    /// DNSWire escapes `"`, `@` and `$` in names (as BIND does, since they mean something in
    /// master files); ldns prints them bare. Removes exactly those backslashes.
    static func normalizeDNSWireName(_ text: String) -> String {
        var out: [UInt8] = []
        let bytes = Array(text.utf8)
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "\\"), i + 1 < bytes.count {
                let next = bytes[i + 1]
                if next == UInt8(ascii: "\"") || next == UInt8(ascii: "@") || next == UInt8(ascii: "$") {
                    out.append(next)
                } else {
                    out.append(bytes[i])
                    out.append(next)
                }
                i += 2
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension String {
    func replacingTab() -> String {
        String(decoding: utf8.flatMap { $0 == 0x09 ? Array("\\009".utf8) : [$0] }, as: UTF8.self)
    }
}
