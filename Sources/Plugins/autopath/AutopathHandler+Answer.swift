import DNSWire

// Copying a subrequest's reply into the answer to the client's own question, in place.
//
// The reply is for another name than the one asked (`base.<search domain>`), so it cannot be
// copied as a block: its records' names may point into its own question, which the client's
// response does not have. Each record is read where it lies and written through the client's
// `ResponseBuilder`: owner and RDATA names decompressed into the handler's name buffers and
// written back with the builder's compression, everything else copied. The result is octet for
// octet what decoding the reply into a `Message` and appending its records would give (names in
// NS, CNAME, PTR, SOA and MX compressed, SRV targets not, the other RFC 1035 types with names
// written out), without allocating: a reply is validated as `Message(parsing:)` validates it, and
// a malformed one is answered SERVFAIL as before.

extension AutopathHandler {
    /// A name buffer of `names` (0: record owner, 1: owner of the RRset being written, 2 and 3:
    /// RDATA names, 4: the CNAME target).
    @inline(__always)
    func nameBuffer(_ i: Int) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(rebasing: names[(i * 256)..<(i * 256 + 256)])
    }

    /// Writes `reply` as the answer to `parent`'s own question (with the CNAME from the asked
    /// name when the reply is for another name) and completes `parent`.
    /// - Complexity: O(reply length). Allocation-free.
    func answer(_ parent: Request, with reply: UnsafeRawBufferPointer, addingCNAME: Bool, state: AutopathState,
                engine: QueryEngine) {
        recycle(state, of: parent)
        guard parent.startResponse() else {
            engine.resume(parent, .answered)
            return
        }
        do throws(WireError) {
            try copy(reply, into: parent, addingCNAME: addingCNAME)
            parent.finishResponse()
        } catch {
            parent.respond(rcode: .serverFailure)
        }
        engine.resume(parent, .answered)
    }

    /// Copies `reply`'s header flags, rcode and records into `parent`'s response (started, not
    /// finished). With `addingCNAME`, a CNAME from the question to the owner of the reply's first
    /// answer not owned by the asked name comes first, with that answer's TTL.
    /// - Throws: `WireError` where `Message(parsing:)` would; the response is then half written.
    func copy(_ reply: UnsafeRawBufferPointer, into parent: Request, addingCNAME: Bool) throws(WireError) {
        var reader = WireReader(reply)
        let header = try reader.readHeader()
        for _ in 0..<header.questionCount {
            try reader.skipName()
            _ = try reader.readUInt32()         // type and class
        }
        if addingCNAME, let target = try cnameTarget(reader, answers: header.answerCount, asked: parent.questionName) {
            let name = UnsafeRawBufferPointer(rebasing: nameBuffer(4)[0..<target.length])
            parent.response.beginRRset()
            parent.response.append(owner: .question, type: .cname, ttl: target.ttl) { (writer: inout MessageWriter) throws(WriterFull) in
                try writer.writeName(wire: name)
            }
            parent.response.endRRset()
        }
        var extendedRCode: UInt8 = 0
        var sawOPT = false
        for section in 0..<3 {
            let count: UInt16
            switch section {
            case 0: count = header.answerCount
            case 1:
                count = header.authorityCount
                parent.response.startSection(.authority)
            default:
                count = header.additionalCount
                parent.response.startSection(.additional)
            }
            // The RRset being written: records with the same owner (any case), type and class.
            var open = false
            var rrsetType: UInt16 = 0
            var rrsetClass: UInt16 = 0
            var rrsetOwnerLength = 0
            for _ in 0..<count {
                let start = reader.offset
                let ownerLength = try AutopathHandler.readName(&reader, into: nameBuffer(0))
                let type = try reader.readUInt16()
                let rclass = try reader.readUInt16()
                let ttl = try reader.readUInt32()
                let rdlength = Int(try reader.readUInt16())
                guard rdlength <= reader.remaining else { throw .truncated(offset: reader.offset, needed: rdlength) }
                if type == RecordType.opt.rawValue {
                    guard section == 2, ownerLength == 1 else { throw .misplacedOPT(offset: start) }
                    guard !sawOPT else { throw .multipleOPT }
                    try AutopathHandler.checkOptions(&reader, length: rdlength)
                    sawOPT = true
                    extendedRCode = UInt8(truncatingIfNeeded: ttl >> 24)
                    continue
                }
                let owner = UnsafeRawBufferPointer(rebasing: nameBuffer(0)[0..<ownerLength])
                if open, !(type == rrsetType && rclass == rrsetClass && ownerLength == rrsetOwnerLength
                           && WireName.equalIgnoringCase(owner, UnsafeRawBufferPointer(rebasing: nameBuffer(1)[0..<ownerLength]))) {
                    parent.response.endRRset()
                    open = false
                }
                if !open {
                    parent.response.beginRRset()
                    UnsafeMutableRawBufferPointer(rebasing: nameBuffer(1)[0..<ownerLength]).copyMemory(from: owner)
                    rrsetOwnerLength = ownerLength
                    rrsetType = type
                    rrsetClass = rclass
                    open = true
                }
                let rdata = try readRData(&reader, type: RecordType(rawValue: type), length: rdlength)
                parent.response.append(owner: .wire(owner), type: RecordType(rawValue: type), ttl: ttl,
                                       recordClass: RecordClass(rawValue: rclass)) { (writer: inout MessageWriter) throws(WriterFull) in
                    try rdata.write(into: &writer, reply: reply, names: self.names)
                }
            }
            if open { parent.response.endRRset() }
        }
        parent.response.rcode = ResponseCode(rawValue: UInt16(extendedRCode) << 4 | UInt16(header.rcodeBits))
        parent.response.authoritative = header.authoritative
        parent.response.recursionAvailable = header.recursionAvailable
        parent.response.authenticData = header.authenticData
    }

    /// The owner (into name buffer 4) and TTL of the first answer whose owner is not `asked`
    /// (any case); nil when every answer is owned by the asked name.
    func cnameTarget(_ start: WireReader, answers: UInt16, asked: UnsafeRawBufferPointer) throws(WireError)
        -> (length: Int, ttl: UInt32)? {
        var reader = start
        let owner = nameBuffer(4)
        for _ in 0..<answers {
            let length = try AutopathHandler.readName(&reader, into: owner)
            _ = try reader.readUInt32()         // type and class
            let ttl = try reader.readUInt32()
            let rdlength = Int(try reader.readUInt16())
            guard rdlength <= reader.remaining else { throw .truncated(offset: reader.offset, needed: rdlength) }
            reader.offset += rdlength
            if !(length == asked.count && WireName.equalIgnoringCase(UnsafeRawBufferPointer(rebasing: owner[0..<length]), asked)) {
                return (length, ttl)
            }
        }
        return nil
    }

    /// Reads the possibly compressed name at the cursor into `buffer` as an uncompressed wire name
    /// (root octet included) and returns its length; the cursor ends after the name (after its
    /// first pointer). Checked exactly as `WireReader.readName` checks: pointers go strictly
    /// backwards and never into the header, at most 255 octets.
    /// - warning: `buffer` must hold 255 octets.
    /// - Complexity: O(name length). Allocation-free.
    static func readName(_ reader: inout WireReader, into buffer: UnsafeMutableRawBufferPointer) throws(WireError) -> Int {
        let bytes = reader.bytes
        let start = reader.offset
        var position = start
        var floor = start           // a pointer must target an offset below this
        var resumeAt: Int? = nil    // where the cursor continues after the first pointer
        var length = 0              // octets written, the root octet not counted
        while true {
            guard position < bytes.count else { throw .truncated(offset: position, needed: 1) }
            let octet = bytes[position]
            switch octet & 0xC0 {
            case 0x00:
                if octet == 0 {
                    reader.offset = resumeAt ?? position + 1
                    buffer[length] = 0
                    return length + 1
                }
                let labelLength = Int(octet)
                guard position + 1 + labelLength <= bytes.count else {
                    throw .truncated(offset: position, needed: 1 + labelLength)
                }
                guard length + 1 + labelLength + 1 <= DomainName.maxWireLength else { throw .nameTooLong(offset: start) }
                UnsafeMutableRawBufferPointer(rebasing: buffer[length..<(length + 1 + labelLength)])
                    .copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[position..<(position + 1 + labelLength)]))
                length += 1 + labelLength
                position += 1 + labelLength
            case 0xC0:
                guard position + 1 < bytes.count else { throw .truncated(offset: position, needed: 2) }
                let target = Int(octet & 0x3F) << 8 | Int(bytes[position + 1])
                guard target < floor, target >= Header.size else { throw .badPointer(offset: position, target: target) }
                if resumeAt == nil { resumeAt = position + 2 }
                floor = target
                position = target
            default:
                throw .badLabelType(offset: position)
            }
        }
    }

    /// Checks an OPT record's options as `Message(parsing:)` does; the cursor ends after them.
    static func checkOptions(_ reader: inout WireReader, length: Int) throws(WireError) {
        let end = reader.offset + length
        while reader.offset < end {
            let optionStart = reader.offset
            guard end - reader.offset >= 4 else { throw .badEDNSOption(offset: optionStart) }
            _ = try reader.readUInt16()
            let optionLength = Int(try reader.readUInt16())
            guard optionLength <= end - reader.offset else { throw .badEDNSOption(offset: optionStart) }
            reader.offset += optionLength
        }
    }

    /// One record's RDATA, read and checked as `RData.read` does, with its names decompressed
    /// into name buffers 2 and 3. The cursor ends after it.
    func readRData(_ reader: inout WireReader, type: RecordType, length: Int) throws(WireError) -> CopiedRData {
        let start = reader.offset
        let end = start + length
        var rdata = CopiedRData(start: start, end: end)
        if length == 0 { return rdata }
        func name(_ slot: Int) throws(WireError) -> Int { try AutopathHandler.readName(&reader, into: nameBuffer(slot)) }
        switch type {
        case .a:
            guard length == 4 else { throw .rdataLength(type: type, offset: start) }
            reader.offset = end
        case .aaaa:
            guard length == 16 else { throw .rdataLength(type: type, offset: start) }
            reader.offset = end
        case .ns, .cname, .ptr:
            rdata.first = try name(2)
            rdata.compress = true
        case .soa:
            rdata.first = try name(2)
            rdata.second = try name(3)
            rdata.trailer = reader.offset
            for _ in 0..<5 { _ = try reader.readUInt32() }
            rdata.compress = true
        case .mx:
            _ = try reader.readUInt16()
            rdata.leading = 2
            rdata.first = try name(2)
            rdata.compress = true
        case .txt:
            while reader.offset < end {
                let n = Int(try reader.readUInt8())
                guard n <= end - reader.offset else { throw .badRData(type: type, offset: reader.offset - 1) }
                reader.offset += n
            }
        case .srv:
            for _ in 0..<3 { _ = try reader.readUInt16() }
            rdata.leading = 6
            rdata.first = try name(2)
        case .md, .mf, .mb, .mg, .mr, .minfo, .rp, .afsdb, .rt:
            switch type {
            case .afsdb, .rt:
                _ = try reader.readUInt16()
                rdata.leading = 2
                rdata.first = try name(2)
            case .minfo, .rp:
                rdata.first = try name(2)
                rdata.second = try name(3)
            default:
                rdata.first = try name(2)
            }
            guard reader.offset <= end else { throw .rdataLength(type: type, offset: reader.offset) }
        default:
            reader.offset = end
        }
        guard reader.offset == end else { throw .rdataLength(type: type, offset: start) }
        return rdata
    }
}

/// How one record's RDATA is written back: as it lies in the reply (no names), or as `leading`
/// octets from the reply, one or two decompressed names (name buffers 2 and 3), and the octets
/// from `trailer` to the end (SOA's five counters).
struct CopiedRData {
    /// Where the RDATA lies in the reply.
    let start: Int
    let end: Int
    var leading = 0
    /// Lengths of the decompressed names; 0 for none (no names: copied whole).
    var first = 0
    var second = 0
    /// Offset in the reply of the octets after the names; nil when there are none.
    var trailer: Int?
    /// Names compressed against the response (NS, CNAME, PTR, SOA, MX), not written out.
    var compress = false

    func write(into writer: inout MessageWriter, reply: UnsafeRawBufferPointer,
               names: UnsafeMutableRawBufferPointer) throws(WriterFull) {
        guard first > 0 else {
            try writer.writeBytes(UnsafeRawBufferPointer(rebasing: reply[start..<end]))
            return
        }
        if leading > 0 { try writer.writeBytes(UnsafeRawBufferPointer(rebasing: reply[start..<(start + leading)])) }
        try writer.writeName(wire: UnsafeRawBufferPointer(rebasing: names[512..<(512 + first)]), compress: compress)
        if second > 0 {
            try writer.writeName(wire: UnsafeRawBufferPointer(rebasing: names[768..<(768 + second)]), compress: compress)
        }
        if let trailer { try writer.writeBytes(UnsafeRawBufferPointer(rebasing: reply[trailer..<end])) }
    }
}
