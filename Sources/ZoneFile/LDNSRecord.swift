import ClusterDNSCSystem
import DNSWire

/// Turns libldns records into DNSWire's typed records by way of the wire format: libldns writes
/// the record uncompressed (`ldns_rr2buffer_wire`), DNSWire's parser reads it back, so every
/// type DNSWire models comes out typed and every other type stays opaque RDATA (RFC 3597) with
/// nothing lost.
enum LDNSRecord {
    struct Failure: Error {
        let message: String
    }

    /// The record `rr` holds, or why it cannot be used.
    static func convert(_ rr: UnsafeMutablePointer<ldns_rr>) -> Result<ResourceRecord, Failure> {
        guard let buffer = ldns_buffer_new(512) else { return .failure(Failure(message: "out of memory")) }
        defer { ldns_buffer_free(buffer) }
        let status = ldns_rr2buffer_wire(buffer, rr, Int32(LDNS_SECTION_ANSWER.rawValue))
        guard status == LDNS_STATUS_OK, let start = ldns_buffer_begin(buffer) else {
            return .failure(Failure(message: "cannot encode the record: \(statusText(status))"))
        }
        let length = ldns_buffer_position(buffer)
        // A message with this one record as its answer, so DNSWire's parser validates it whole.
        var message: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0]
        message.append(contentsOf: UnsafeBufferPointer(start: start, count: length))
        do {
            let parsed = try Message(parsing: message)
            guard let record = parsed.answers.first, parsed.answers.count == 1 else {
                return .failure(Failure(message: "record type \(RecordType(rawValue: UInt16(truncatingIfNeeded: ldns_rr_get_type(rr).rawValue))) cannot be served from a zone"))
            }
            return .success(record)
        } catch {
            return .failure(Failure(message: "record data not valid: \(error)"))
        }
    }

    /// libldns's description of a status (`Syntax error, could not parse the RR's rdata`).
    static func statusText(_ status: ldns_status) -> String {
        guard let text = ldns_get_errorstr_by_id(status) else { return "libldns error \(status.rawValue)" }
        return String(cString: text)
    }
}
