/// The EDNS fields of a query, read in place: the options stay in the packet (by offset), so
/// reading them costs no allocation.
public struct QueryEDNS: Hashable, Sendable {
    public var udpPayloadSize: UInt16
    public var extendedRCode: UInt8
    public var version: UInt8
    public var flags: UInt16
    /// Where the options start in the packet, and how many octets they take.
    public var optionsOffset: Int
    public var optionsLength: Int

    public var dnssecOK: Bool { flags & EDNS.doMask != 0 }

    /// The UDP payload the client can take, with values below 512 read as 512 (RFC 6891 §6.2.5).
    public var effectivePayloadSize: Int { max(Int(udpPayloadSize), 512) }
}

/// What the server needs of an incoming query, parsed straight from the receive buffer.
public struct ParsedQuery: Hashable, Sendable {
    public var header: Header
    /// Length of the question name; it always starts at offset 12 and is uncompressed.
    /// Zero when the query has no question.
    public var nameLength: Int
    public var type: RecordType
    public var queryClass: RecordClass
    /// Offset just after the question section.
    public var questionEnd: Int
    public var edns: QueryEDNS?

    /// Offset of the question name in the packet.
    public static let nameOffset = Header.size

    public init(header: Header, nameLength: Int, type: RecordType, queryClass: RecordClass, questionEnd: Int,
                edns: QueryEDNS?) {
        self.header = header
        self.nameLength = nameLength
        self.type = type
        self.queryClass = queryClass
        self.questionEnd = questionEnd
        self.edns = edns
    }

    public var hasQuestion: Bool { nameLength > 0 }
}

/// Reads a query's header, question and OPT record in place. Allocation-free.
///
/// The question name must be uncompressed: it is the first name in the message, so a pointer
/// there could only point into the header, which is malformed. Answer and authority records
/// (present in NOTIFY and UPDATE) are skipped; the OPT record is found in the additional section.
public enum QueryParser {
    /// - Throws: `WireError` for a malformed message. A caller that gets an error for a packet
    ///   of at least 12 octets answers FORMERR; shorter ones are dropped.
    /// - Complexity: O(message length). Allocation-free.
    public static func parse(_ packet: UnsafeRawBufferPointer) throws(WireError) -> ParsedQuery {
        var reader = WireReader(packet)
        let header = try reader.readHeader()
        var nameLength = 0
        var type = RecordType(rawValue: 0)
        var qclass = RecordClass(rawValue: 0)
        if header.questionCount > 0 {
            guard let length = WireName.uncompressedLength(in: packet, at: Header.size) else {
                // Either truncated, a pointer, a bad label, or too long: report precisely.
                _ = try reader.readName()
                throw .badPointer(offset: Header.size, target: 0)
            }
            nameLength = length
            reader.offset = Header.size + length
            type = RecordType(rawValue: try reader.readUInt16())
            qclass = RecordClass(rawValue: try reader.readUInt16())
            // Further questions (FORMERR for the server) are skipped so the OPT can still be read.
            for _ in 1..<Int(header.questionCount) {
                try reader.skipName()
                try reader.require(4)
                reader.offset += 4
            }
        }
        let questionEnd = reader.offset
        let skipped = Int(header.answerCount) + Int(header.authorityCount)
        for _ in 0..<skipped { try skipRecord(&reader) }
        var edns: QueryEDNS? = nil
        for _ in 0..<header.additionalCount {
            let start = reader.offset
            // The OPT's owner is the root, one zero octet: skip it without walking a name.
            if start < packet.count, packet[start] == 0 { reader.offset = start &+ 1 } else { try reader.skipName() }
            let rrType = try reader.readUInt16()
            if rrType == RecordType.opt.rawValue {
                guard reader.offset - start == 3, packet[start] == 0 else { throw .misplacedOPT(offset: start) }
                guard edns == nil else { throw .multipleOPT }
                let payload = try reader.readUInt16()
                let ttl = try reader.readUInt32()
                let length = Int(try reader.readUInt16())
                try reader.require(length)
                try validateOptions(packet, from: reader.offset, length: length)
                edns = QueryEDNS(udpPayloadSize: payload, extendedRCode: UInt8(truncatingIfNeeded: ttl >> 24),
                                 version: UInt8(truncatingIfNeeded: ttl >> 16), flags: UInt16(truncatingIfNeeded: ttl),
                                 optionsOffset: reader.offset, optionsLength: length)
                reader.offset += length
            } else {
                try reader.require(6)
                reader.offset += 6
                let length = Int(try reader.readUInt16())
                try reader.require(length)
                reader.offset += length
            }
        }
        return ParsedQuery(header: header, nameLength: nameLength, type: type, queryClass: qclass,
                           questionEnd: questionEnd, edns: edns)
    }

    static func skipRecord(_ reader: inout WireReader) throws(WireError) {
        try reader.skipName()
        try reader.require(10)
        reader.offset += 8
        let length = Int(try reader.readUInt16())
        try reader.require(length)
        reader.offset += length
    }

    static func validateOptions(_ packet: UnsafeRawBufferPointer, from: Int, length: Int) throws(WireError) {
        var p = from
        let end = from + length
        while p < end {
            guard end - p >= 4 else { throw .badEDNSOption(offset: p) }
            let optionLength = Int(packet[p + 2]) << 8 | Int(packet[p + 3])
            guard optionLength <= end - p - 4 else { throw .badEDNSOption(offset: p) }
            p += 4 + optionLength
        }
    }

    /// Finds the option `code` among a query's EDNS options; returns its data's offset and length.
    /// Allocation-free.
    public static func option(_ code: EDNSOptionCode, in packet: UnsafeRawBufferPointer,
                              edns: QueryEDNS) -> (offset: Int, length: Int)? {
        var p = edns.optionsOffset
        let end = edns.optionsOffset + edns.optionsLength
        while p + 4 <= end {
            let c = UInt16(packet[p]) << 8 | UInt16(packet[p + 1])
            let length = Int(packet[p + 2]) << 8 | Int(packet[p + 3])
            if c == code.rawValue { return (p + 4, length) }
            p += 4 + length
        }
        return nil
    }
}
