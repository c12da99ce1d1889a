extension Message {
    /// Parses a whole message.
    ///
    /// Octets after the last record are ignored (as miekg/dns and NSD do): they carry nothing
    /// this server would act on, and rejecting them would only break odd but harmless clients.
    /// - Throws: `WireError` for every defect; never traps, never reads outside `bytes`.
    public init(parsing bytes: UnsafeRawBufferPointer) throws(WireError) {
        var reader = WireReader(bytes)
        let header = try reader.readHeader()
        var questions: [Question] = []
        questions.reserveCapacity(Int(min(header.questionCount, 4)))
        for _ in 0..<header.questionCount {
            let name = try reader.readName()
            let type = RecordType(rawValue: try reader.readUInt16())
            let qclass = RecordClass(rawValue: try reader.readUInt16())
            questions.append(Question(name: name, type: type, questionClass: qclass))
        }
        var edns: EDNS? = nil
        let answers = try Message.readSection(&reader, count: header.answerCount, optAllowed: false, edns: &edns)
        let authorities = try Message.readSection(&reader, count: header.authorityCount, optAllowed: false, edns: &edns)
        let additionals = try Message.readSection(&reader, count: header.additionalCount, optAllowed: true, edns: &edns)
        self.init(header: header, questions: questions, answers: answers, authorities: authorities,
                  additionals: additionals, edns: edns)
    }

    /// Parses a whole message from an array.
    public init(parsing bytes: [UInt8]) throws(WireError) {
        let result: Result<Message, WireError> = bytes.withUnsafeBytes { raw in
            do throws(WireError) { return .success(try Message(parsing: raw)) } catch { return .failure(error) }
        }
        self = try result.get()
    }

    /// Reads `count` records. An OPT record is decoded into `edns`; it is an error outside the
    /// additional section (`optAllowed`), with a non-root owner, or a second time.
    static func readSection(_ reader: inout WireReader, count: UInt16, optAllowed: Bool,
                            edns: inout EDNS?) throws(WireError) -> [ResourceRecord] {
        var records: [ResourceRecord] = []
        records.reserveCapacity(Int(min(count, 64)))
        for _ in 0..<count {
            let start = reader.offset
            let name = try reader.readName()
            let type = RecordType(rawValue: try reader.readUInt16())
            let rclass = try reader.readUInt16()
            let ttl = try reader.readUInt32()
            let rdlength = Int(try reader.readUInt16())
            try reader.require(rdlength)
            if type == .opt {
                guard optAllowed, name.isRoot else { throw .misplacedOPT(offset: start) }
                guard edns == nil else { throw .multipleOPT }
                edns = try readOPT(&reader, payloadSize: rclass, ttl: ttl, length: rdlength)
                continue
            }
            let rdata = try RData.read(&reader, type: type, length: rdlength)
            records.append(ResourceRecord(name: name, type: type, recordClass: RecordClass(rawValue: rclass),
                                          ttl: ttl, rdata: rdata))
        }
        return records
    }

    /// Decodes OPT's RDATA into options; the cursor ends after it.
    static func readOPT(_ reader: inout WireReader, payloadSize: UInt16, ttl: UInt32,
                        length: Int) throws(WireError) -> EDNS {
        let end = reader.offset + length
        var options: [EDNSOption] = []
        while reader.offset < end {
            let optionStart = reader.offset
            guard end - reader.offset >= 4 else { throw .badEDNSOption(offset: optionStart) }
            let code = try reader.readUInt16()
            let optionLength = Int(try reader.readUInt16())
            guard optionLength <= end - reader.offset else { throw .badEDNSOption(offset: optionStart) }
            options.append(EDNSOption(code: EDNSOptionCode(rawValue: code), data: try reader.readBytes(optionLength)))
        }
        var edns = EDNS(udpPayloadSize: payloadSize, extendedRCode: UInt8(truncatingIfNeeded: ttl >> 24),
                        version: UInt8(truncatingIfNeeded: ttl >> 16), options: options)
        edns.flags = UInt16(truncatingIfNeeded: ttl)
        return edns
    }
}

extension RData {
    /// Reads `length` octets of RDATA of `type`; the cursor must end exactly `length` octets on.
    static func read(_ reader: inout WireReader, type: RecordType, length: Int) throws(WireError) -> RData {
        let start = reader.offset
        let end = start + length
        // Empty RDATA of a typed record only occurs in dynamic updates; keep it opaque.
        if length == 0 { return .unknown([]) }
        let rdata: RData
        switch type {
        case .a:
            guard length == 4 else { throw .rdataLength(type: type, offset: start) }
            rdata = .a(IPv4Address(rawValue: try reader.readUInt32()))
        case .aaaa:
            guard length == 16 else { throw .rdataLength(type: type, offset: start) }
            let high = UInt64(try reader.readUInt32()) << 32 | UInt64(try reader.readUInt32())
            let low = UInt64(try reader.readUInt32()) << 32 | UInt64(try reader.readUInt32())
            rdata = .aaaa(IPv6Address(high: high, low: low))
        case .ns:
            rdata = .ns(try reader.readName())
        case .cname:
            rdata = .cname(try reader.readName())
        case .ptr:
            rdata = .ptr(try reader.readName())
        case .soa:
            let mname = try reader.readName()
            let rname = try reader.readName()
            rdata = .soa(SOAData(primaryNameServer: mname, responsibleMailbox: rname, serial: try reader.readUInt32(),
                                 refresh: try reader.readUInt32(), retry: try reader.readUInt32(),
                                 expire: try reader.readUInt32(), minimum: try reader.readUInt32()))
        case .mx:
            let preference = try reader.readUInt16()
            rdata = .mx(preference: preference, exchange: try reader.readName())
        case .txt:
            var strings: [[UInt8]] = []
            while reader.offset < end {
                let n = Int(try reader.readUInt8())
                guard n <= end - reader.offset else { throw .badRData(type: type, offset: reader.offset - 1) }
                strings.append(try reader.readBytes(n))
            }
            rdata = .txt(strings)
        case .srv:
            let priority = try reader.readUInt16()
            let weight = try reader.readUInt16()
            let port = try reader.readUInt16()
            rdata = .srv(priority: priority, weight: weight, port: port, target: try reader.readName())
        case .md, .mf, .mb, .mg, .mr, .minfo, .rp, .afsdb, .rt:
            rdata = .unknown(try readDecompressingNames(&reader, type: type, end: end))
        default:
            rdata = .unknown(try reader.readBytes(length))
        }
        guard reader.offset == end else { throw .rdataLength(type: type, offset: start) }
        return rdata
    }

    /// RFC 1035's other well-known types may carry compressed names (RFC 3597 §4); expand them so
    /// the opaque octets can be written anywhere.
    private static func readDecompressingNames(_ reader: inout WireReader, type: RecordType,
                                               end: Int) throws(WireError) -> [UInt8] {
        var out: [UInt8] = []
        switch type {
        case .afsdb, .rt:
            out += try reader.readBytes(2)
            out += try reader.readName().wire
        case .minfo, .rp:
            out += try reader.readName().wire
            out += try reader.readName().wire
        default:
            out += try reader.readName().wire
        }
        guard reader.offset <= end else { throw .rdataLength(type: type, offset: reader.offset) }
        return out
    }
}
