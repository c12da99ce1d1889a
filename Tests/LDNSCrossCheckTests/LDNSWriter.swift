import ClusterDNSCSystem
import DNSWire

/// Builds a packet with libldns from the content of a `Message` and returns what `ldns_pkt2wire`
/// makes of it: the direction "ldns writes, DNSWire reads".
enum LDNSWriter {
    enum RecordSource {
        /// Each record assembled from rdf constructors (`ldns_rdf_new_frm_data`), field by field.
        case fields
        /// Each record parsed by `ldns_rr_new_frm_str` from DNSWire's presentation text.
        case text
    }

    static func encode(_ message: Message, records source: RecordSource) -> Result<[UInt8], LDNSError> {
        guard let pkt = ldns_pkt_new() else { return .failure(LDNSError("ldns_pkt_new failed")) }
        defer { ldns_pkt_free(pkt) }
        let h = message.header
        ldns_pkt_set_id(pkt, h.id)
        ldns_pkt_set_qr(pkt, cBool(h.isResponse))
        ldns_pkt_set_aa(pkt, cBool(h.authoritative))
        ldns_pkt_set_tc(pkt, cBool(h.truncated))
        ldns_pkt_set_rd(pkt, cBool(h.recursionDesired))
        ldns_pkt_set_ra(pkt, cBool(h.recursionAvailable))
        ldns_pkt_set_ad(pkt, cBool(h.authenticData))
        ldns_pkt_set_cd(pkt, cBool(h.checkingDisabled))
        ldns_pkt_set_opcode(pkt, ldns_pkt_opcode(rawValue: UInt32(h.opcode.rawValue)))
        ldns_pkt_set_rcode(pkt, h.rcodeBits)

        for question in message.questions {
            guard let rr = ldns_rr_new() else { return .failure(LDNSError("ldns_rr_new failed")) }
            ldns_rr_set_owner(rr, rdf(LDNS_RDF_TYPE_DNAME, question.name.wire))
            ldns_rr_set_type(rr, ldns_rr_type(rawValue: UInt32(question.type.rawValue)))
            ldns_rr_set_class(rr, ldns_rr_class(rawValue: UInt32(question.questionClass.rawValue)))
            ldns_rr_set_question(rr, cBool(true))
            guard ldns_pkt_push_rr(pkt, LDNS_SECTION_QUESTION, rr) != 0 else {
                ldns_rr_free(rr)
                return .failure(LDNSError("ldns_pkt_push_rr failed"))
            }
        }
        let sections = [(LDNS_SECTION_ANSWER, message.answers), (LDNS_SECTION_AUTHORITY, message.authorities),
                        (LDNS_SECTION_ADDITIONAL, message.additionals)]
        for (section, records) in sections {
            for record in records {
                let built: Result<UnsafeMutablePointer<ldns_rr>, LDNSError>
                switch source {
                case .fields: built = rr(fields: record)
                case .text: built = rr(text: record.description)
                }
                switch built {
                case .failure(let error): return .failure(error)
                case .success(let rr):
                    guard ldns_pkt_push_rr(pkt, section, rr) != 0 else {
                        ldns_rr_free(rr)
                        return .failure(LDNSError("ldns_pkt_push_rr failed"))
                    }
                }
            }
        }

        if let edns = message.edns {
            ldns_pkt_set_edns_udp_size(pkt, edns.udpPayloadSize)
            ldns_pkt_set_edns_extended_rcode(pkt, edns.extendedRCode)
            ldns_pkt_set_edns_version(pkt, edns.version)
            ldns_pkt_set_edns_z(pkt, edns.flags)
            if !edns.options.isEmpty {
                guard let list = ldns_edns_option_list_new() else { return .failure(LDNSError("option list")) }
                for option in edns.options {
                    let made = option.data.withUnsafeBytes { raw in
                        ldns_edns_new_from_data(ldns_edns_option_code(rawValue: UInt32(option.code.rawValue)),
                                                raw.count, raw.baseAddress)
                    }
                    guard let made, ldns_edns_option_list_push(list, made) != 0 else {
                        ldns_edns_option_list_deep_free(list)
                        return .failure(LDNSError("ldns_edns_option_list_push failed"))
                    }
                }
                ldns_pkt_set_edns_option_list(pkt, list)   // the packet owns the list from here
            }
        }

        var wire: UnsafeMutablePointer<UInt8>? = nil
        var size = 0
        let status = ldns_pkt2wire(&wire, pkt, &size)
        defer { free(wire) }
        guard status == LDNS_STATUS_OK, let wire else { return .failure(LDNSError("ldns_pkt2wire", status)) }
        return .success(Array(UnsafeBufferPointer(start: wire, count: size)))
    }

    /// ldns's headers define `bool` as `signed char` unless <stdbool.h> came first, so its flags
    /// import as `Int8`.
    static func cBool(_ value: Bool) -> Int8 { value ? 1 : 0 }

    static func rdf(_ type: ldns_rdf_type, _ bytes: [UInt8]) -> UnsafeMutablePointer<ldns_rdf>? {
        bytes.withUnsafeBytes { ldns_rdf_new_frm_data(type, $0.count, $0.baseAddress) }
    }

    static func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xFF)] }
    static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }

    /// The rdf layout ldns's own descriptor gives each type, so ldns writes (and compresses) the
    /// record exactly as if it had parsed it.
    static func fields(of record: ResourceRecord) -> [(ldns_rdf_type, [UInt8])]? {
        switch record.rdata {
        case .a(let a): return [(LDNS_RDF_TYPE_A, be32(a.rawValue))]
        case .aaaa(let a): return [(LDNS_RDF_TYPE_AAAA, (0..<16).map { a.octet($0) })]
        case .ns(let n), .cname(let n), .ptr(let n): return [(LDNS_RDF_TYPE_DNAME, n.wire)]
        case .soa(let s):
            return [(LDNS_RDF_TYPE_DNAME, s.primaryNameServer.wire), (LDNS_RDF_TYPE_DNAME, s.responsibleMailbox.wire),
                    (LDNS_RDF_TYPE_INT32, be32(s.serial)), (LDNS_RDF_TYPE_PERIOD, be32(s.refresh)),
                    (LDNS_RDF_TYPE_PERIOD, be32(s.retry)), (LDNS_RDF_TYPE_PERIOD, be32(s.expire)),
                    (LDNS_RDF_TYPE_PERIOD, be32(s.minimum))]
        case .mx(let preference, let exchange): return [(LDNS_RDF_TYPE_INT16, be16(preference)), (LDNS_RDF_TYPE_DNAME, exchange.wire)]
        case .txt(let strings): return strings.map { (LDNS_RDF_TYPE_STR, [UInt8($0.count)] + $0) }
        case .srv(let p, let w, let port, let target):
            return [(LDNS_RDF_TYPE_INT16, be16(p)), (LDNS_RDF_TYPE_INT16, be16(w)), (LDNS_RDF_TYPE_INT16, be16(port)),
                    (LDNS_RDF_TYPE_DNAME, target.wire)]
        case .unknown(let bytes):
            if bytes.isEmpty { return [] }
            return opaqueFields(bytes, type: record.type)
        }
    }

    static func opaqueFields(_ bytes: [UInt8], type: RecordType) -> [(ldns_rdf_type, [UInt8])]? {
        func name(at offset: Int) -> [UInt8]? {
            let length = bytes.withUnsafeBytes { WireName.uncompressedLength(in: $0, at: offset) }
            return length.map { Array(bytes[offset..<(offset + $0)]) }
        }
        func string(at offset: Int) -> [UInt8]? {
            guard offset < bytes.count, offset + 1 + Int(bytes[offset]) <= bytes.count else { return nil }
            return Array(bytes[offset...(offset + Int(bytes[offset]))])
        }
        switch type {
        case .md, .mf, .mb, .mg, .mr:
            guard let n = name(at: 0), n.count == bytes.count else { return nil }
            return [(LDNS_RDF_TYPE_DNAME, n)]
        case .minfo, .rp:
            guard let a = name(at: 0), let b = name(at: a.count), a.count + b.count == bytes.count else { return nil }
            return [(LDNS_RDF_TYPE_DNAME, a), (LDNS_RDF_TYPE_DNAME, b)]
        case .afsdb, .rt:
            guard bytes.count > 2, let n = name(at: 2), n.count + 2 == bytes.count else { return nil }
            return [(LDNS_RDF_TYPE_INT16, Array(bytes[0..<2])), (LDNS_RDF_TYPE_DNAME, n)]
        case .hinfo:
            guard let a = string(at: 0), let b = string(at: a.count), a.count + b.count == bytes.count else { return nil }
            return [(LDNS_RDF_TYPE_STR, a), (LDNS_RDF_TYPE_STR, b)]
        case .wks:
            guard bytes.count >= 5 else { return nil }
            return [(LDNS_RDF_TYPE_A, Array(bytes[0..<4])), (LDNS_RDF_TYPE_WKS, Array(bytes[4...]))]
        default:
            return [(LDNS_RDF_TYPE_UNKNOWN, bytes)]
        }
    }

    static func rr(fields record: ResourceRecord) -> Result<UnsafeMutablePointer<ldns_rr>, LDNSError> {
        guard let layout = fields(of: record) else {
            return .failure(LDNSError("no ldns field layout for \(record)"))
        }
        guard let rr = ldns_rr_new() else { return .failure(LDNSError("ldns_rr_new failed")) }
        ldns_rr_set_owner(rr, rdf(LDNS_RDF_TYPE_DNAME, record.name.wire))
        ldns_rr_set_type(rr, ldns_rr_type(rawValue: UInt32(record.type.rawValue)))
        ldns_rr_set_class(rr, ldns_rr_class(rawValue: UInt32(record.recordClass.rawValue)))
        ldns_rr_set_ttl(rr, record.ttl)
        for (type, bytes) in layout {
            guard let field = rdf(type, bytes), ldns_rr_push_rdf(rr, field) != 0 else {
                ldns_rr_free(rr)
                return .failure(LDNSError("ldns_rr_push_rdf failed for \(record)"))
            }
        }
        return .success(rr)
    }

    static func rr(text: String) -> Result<UnsafeMutablePointer<ldns_rr>, LDNSError> {
        var rr: UnsafeMutablePointer<ldns_rr>? = nil
        let status = ldns_rr_new_frm_str(&rr, text, 3600, nil, nil)
        guard status == LDNS_STATUS_OK, let rr else {
            if let rr { ldns_rr_free(rr) }
            return .failure(LDNSError("ldns_rr_new_frm_str('\(text)')", status))
        }
        return .success(rr)
    }
}
