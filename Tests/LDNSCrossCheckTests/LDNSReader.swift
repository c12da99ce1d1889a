import ClusterDNSCSystem
import DNSWire

// What libldns makes of a message, copied into Swift values so every ldns object is freed before
// the comparison starts (nothing from ldns outlives the helper that made it).

struct LDNSField {
    /// `ldns_rdf_type` as a number (LDNS_RDF_TYPE_DNAME, _STR, _INT16, …).
    var kind: UInt32
    var bytes: [UInt8]
    /// `ldns_rdf2str`.
    var text: String
}

struct LDNSRecord {
    var owner: [UInt8]
    var ownerText: String
    var type: UInt16
    var typeText: String
    var recordClass: UInt16
    var classText: String
    var ttl: UInt32
    var fields: [LDNSField]
    /// The RDATA written back by `ldns_rr_rdata2buffer_wire`: uncompressed.
    var rdata: [UInt8]
}

struct LDNSEDNS {
    var udpPayloadSize: UInt16
    var extendedRCode: UInt8
    var version: UInt8
    /// The whole 16-bit flags field (`ldns_pkt_edns_z`), DO included.
    var flags: UInt16
    var dnssecOK: Bool
    /// The OPT RDATA as ldns keeps it (`ldns_pkt_edns_data`); nil when empty.
    var data: [UInt8]?
    /// `ldns_pkt_edns_get_option_list`, in order.
    var options: [(code: UInt16, data: [UInt8])]
}

struct LDNSMessage {
    var id: UInt16
    var qr, aa, tc, rd, ra, ad, cd: Bool
    var opcode: UInt8
    var rcode: UInt8
    var counts: (qd: UInt16, an: UInt16, ns: UInt16, ar: UInt16)
    var questions: [LDNSRecord]
    var answers: [LDNSRecord]
    var authorities: [LDNSRecord]
    var additionals: [LDNSRecord]
    var edns: LDNSEDNS?
}

struct LDNSError: Error, CustomStringConvertible {
    var description: String
    init(_ what: String, _ status: ldns_status) {
        let reason = ldns_get_errorstr_by_id(status).map { String(cString: $0) } ?? "status \(status.rawValue)"
        description = "\(what): \(reason)"
    }
    init(_ what: String) { description = what }
}

enum LDNSReader {
    /// `ldns_wire2pkt`, then a copy of everything in the packet.
    static func parse(_ wire: [UInt8]) -> Result<LDNSMessage, LDNSError> {
        var packet: UnsafeMutablePointer<ldns_pkt>? = nil
        let status = wire.withUnsafeBufferPointer { raw in ldns_wire2pkt(&packet, raw.baseAddress, raw.count) }
        guard status == LDNS_STATUS_OK, let pkt = packet else {
            if let packet { ldns_pkt_free(packet) }
            return .failure(LDNSError("ldns_wire2pkt", status))
        }
        defer { ldns_pkt_free(pkt) }
        return .success(snapshot(pkt))
    }

    /// `ldns_pkt2str` of the octets: ldns's dig-like rendering, for failure reports only.
    static func text(_ wire: [UInt8]) -> String {
        var packet: UnsafeMutablePointer<ldns_pkt>? = nil
        let status = wire.withUnsafeBufferPointer { raw in ldns_wire2pkt(&packet, raw.baseAddress, raw.count) }
        guard status == LDNS_STATUS_OK, let pkt = packet else {
            if let packet { ldns_pkt_free(packet) }
            return "(ldns cannot parse: \(LDNSError("ldns_wire2pkt", status)))"
        }
        defer { ldns_pkt_free(pkt) }
        return string(ldns_pkt2str(pkt))
    }

    static func snapshot(_ pkt: UnsafeMutablePointer<ldns_pkt>) -> LDNSMessage {
        var edns: LDNSEDNS? = nil
        if ldns_pkt_edns(pkt) != 0 {
            let data = ldns_pkt_edns_data(pkt).map(bytes)
            var options: [(UInt16, [UInt8])] = []
            if let list = ldns_pkt_edns_get_option_list(pkt) {
                for i in 0..<ldns_edns_option_list_get_count(list) {
                    guard let option = ldns_edns_option_list_get_option(list, i) else { continue }
                    let size = ldns_edns_get_size(option)
                    let payload = ldns_edns_get_data(option).map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
                    options.append((UInt16(truncatingIfNeeded: ldns_edns_get_code(option).rawValue), payload))
                }
            }
            edns = LDNSEDNS(udpPayloadSize: ldns_pkt_edns_udp_size(pkt), extendedRCode: ldns_pkt_edns_extended_rcode(pkt),
                            version: ldns_pkt_edns_version(pkt), flags: ldns_pkt_edns_z(pkt),
                            dnssecOK: ldns_pkt_edns_do(pkt) != 0, data: data, options: options)
        }
        return LDNSMessage(
            id: ldns_pkt_id(pkt), qr: ldns_pkt_qr(pkt) != 0, aa: ldns_pkt_aa(pkt) != 0, tc: ldns_pkt_tc(pkt) != 0,
            rd: ldns_pkt_rd(pkt) != 0, ra: ldns_pkt_ra(pkt) != 0, ad: ldns_pkt_ad(pkt) != 0, cd: ldns_pkt_cd(pkt) != 0,
            opcode: UInt8(truncatingIfNeeded: ldns_pkt_get_opcode(pkt).rawValue),
            rcode: UInt8(truncatingIfNeeded: ldns_pkt_get_rcode(pkt).rawValue),
            counts: (ldns_pkt_qdcount(pkt), ldns_pkt_ancount(pkt), ldns_pkt_nscount(pkt), ldns_pkt_arcount(pkt)),
            questions: records(ldns_pkt_question(pkt)), answers: records(ldns_pkt_answer(pkt)),
            authorities: records(ldns_pkt_authority(pkt)), additionals: records(ldns_pkt_additional(pkt)),
            edns: edns)
    }

    static func records(_ list: UnsafeMutablePointer<ldns_rr_list>?) -> [LDNSRecord] {
        guard let list else { return [] }
        return (0..<ldns_rr_list_rr_count(list)).compactMap { i in ldns_rr_list_rr(list, i).map(record) }
    }

    static func record(_ rr: UnsafeMutablePointer<ldns_rr>) -> LDNSRecord {
        let fields = (0..<ldns_rr_rd_count(rr)).compactMap { i -> LDNSField? in
            guard let rdf = ldns_rr_rdf(rr, i) else { return nil }
            return LDNSField(kind: ldns_rdf_get_type(rdf).rawValue, bytes: bytes(rdf), text: string(ldns_rdf2str(rdf)))
        }
        var rdata: [UInt8] = []
        if let buffer = ldns_buffer_new(512) {
            _ = ldns_rr_rdata2buffer_wire(buffer, rr)
            rdata = Array(UnsafeBufferPointer(start: ldns_buffer_begin(buffer), count: ldns_buffer_position(buffer)))
            ldns_buffer_free(buffer)
        }
        let owner = ldns_rr_owner(rr)
        return LDNSRecord(owner: owner.map(bytes) ?? [], ownerText: owner.map { string(ldns_rdf2str($0)) } ?? "",
                          type: UInt16(truncatingIfNeeded: ldns_rr_get_type(rr).rawValue),
                          typeText: string(ldns_rr_type2str(ldns_rr_get_type(rr))),
                          recordClass: UInt16(truncatingIfNeeded: ldns_rr_get_class(rr).rawValue),
                          classText: string(ldns_rr_class2str(ldns_rr_get_class(rr))),
                          ttl: ldns_rr_ttl(rr), fields: fields, rdata: rdata)
    }

    static func bytes(_ rdf: UnsafeMutablePointer<ldns_rdf>) -> [UInt8] {
        let size = ldns_rdf_size(rdf)
        guard size > 0, let data = ldns_rdf_data(rdf) else { return [] }
        return Array(UnsafeBufferPointer(start: data, count: size))
    }

    /// Takes a string ldns allocated, copies it and frees it.
    static func string(_ text: UnsafeMutablePointer<CChar>?) -> String {
        guard let text else { return "<ldns returned NULL>" }
        defer { free(text) }
        return String(cString: text)
    }
}
