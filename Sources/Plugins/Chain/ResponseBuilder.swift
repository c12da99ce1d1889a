import DNSWire

/// Writes a response for a query into the output buffer the engine hands out, RRset by RRset.
///
/// It echoes the query's ID, opcode, RD and CD bits and its question byte for byte (so the
/// client's 0x20 case comes back), then takes records section by section. Each RRset is written
/// between `beginRRset()` and `endRRset()`; an RRset that does not fit below the size limit is
/// rolled back whole. In the answer or authority section that sets TC and ends the message
/// (RFC 2181 §9); in the additional section the rest is silently left out. `finish()` appends
/// the OPT record when the query had one and patches counts and flags.
///
/// Allocation-free: it writes into memory the worker owns.
public struct ResponseBuilder {
    public enum Section: Int, Sendable { case answer = 0, authority = 1, additional = 2 }

    public private(set) var writer: MessageWriter
    public private(set) var counts: (answer: UInt16, authority: UInt16, additional: UInt16) = (0, 0, 0)
    public private(set) var section: Section = .answer
    /// Set once an answer or authority RRset did not fit; every later write is ignored.
    public private(set) var truncated = false
    public var rcode: ResponseCode = .noError
    public var authoritative = false
    public var recursionAvailable = false
    public var authenticData = false
    /// The OPT `finish` appends (this server's UDP size and the query's DO bit), set by `begin`
    /// when the query had one. Plain values, not an `EDNS` with its options array: the builder
    /// is made anew for every answer, and an array in it was a retain and a release each time.
    public private(set) var opt: (payloadSize: UInt16, dnssecOK: Bool)?
    /// The TTL every record appended so far carries, nil when they differ (or none was
    /// appended); and whether an NS record went into the authority section. A plugin that knows
    /// the rest of its answer (an SOA's MINIMUM equal to its TTL) passes these on as the
    /// request's `uniformTTL`, which lets the cache shape the response without reading it.
    public private(set) var uniformTTL: UInt32?
    var ttlsDiffer = false
    public private(set) var authorityHasNS = false
    var rrsetStart: MessageWriter.Checkpoint
    var rrsetCount: UInt16 = 0
    var optReserve = 0
    /// Offset just after the echoed question; offset 12 is the question name.
    public private(set) var questionEnd = Header.size

    /// The octets the OPT record this server writes takes (no options).
    public static let plainOPTSize = 11

    /// The size limit the response must respect (the client's UDP size, or 65535 on TCP).
    public let sizeLimit: Int

    /// Starts a response into `buffer` with at most `limit` octets.
    public init(buffer: UnsafeMutableRawBufferPointer, limit: Int, compression: UnsafeMutableBufferPointer<UInt16>) {
        writer = MessageWriter(buffer: buffer, limit: limit, compression: compression)
        sizeLimit = writer.limit
        rrsetStart = writer.checkpoint()
    }

    /// Writes the header and echoes the question of `query` (which lies in `packet`).
    /// - Parameters:
    ///   - payloadSize: the UDP size this server advertises in its OPT.
    /// - Returns: false when not even the header and question fit (the caller drops the query).
    public mutating func begin(query: ParsedQuery, packet: UnsafeRawBufferPointer, payloadSize: UInt16) -> Bool {
        writer.reset()
        writer.limit = sizeLimit
        counts = (0, 0, 0)
        additionalFull = false
        truncatedFlag = false
        section = .answer
        truncated = false
        rcode = .noError
        authoritative = false
        recursionAvailable = false
        authenticData = false
        uniformTTL = nil
        ttlsDiffer = false
        authorityHasNS = false
        if let e = query.edns {
            opt = (payloadSize, e.dnssecOK)
            optReserve = ResponseBuilder.plainOPTSize
        } else {
            opt = nil
            optReserve = 0
        }
        writer.limit -= optReserve
        // ID, the query's opcode, RD and CD, QR set; one question (or none); the other counts
        // are patched by `finish`.
        let flags = Header.qrMask | (query.header.flags & (Header.opcodeMask | Header.rdMask | Header.cdMask))
        do {
            try writer.writeHeader(Header(id: query.header.id, flags: flags, questionCount: query.hasQuestion ? 1 : 0))
            if query.hasQuestion {
                let questionBytes = UnsafeRawBufferPointer(rebasing: packet[Header.size..<(Header.size + query.nameLength + 4)])
                try writer.writeBytes(questionBytes)
                writer.registerName(at: Header.size)
            }
        } catch {
            return false
        }
        questionEnd = writer.position
        rrsetStart = writer.checkpoint()
        return true
    }

    /// Moves on to `section`; sections only go forward.
    public mutating func startSection(_ next: Section) {
        precondition(next.rawValue >= section.rawValue, "sections are written in order")
        section = next
    }

    /// Marks the start of an RRset.
    public mutating func beginRRset() {
        rrsetStart = writer.checkpoint()
        rrsetCount = 0
    }

    /// Ends an RRset; its records count from now on.
    public mutating func endRRset() {
        switch section {
        case .answer: counts.answer += rrsetCount
        case .authority: counts.authority += rrsetCount
        case .additional: counts.additional += rrsetCount
        }
        rrsetCount = 0
        rrsetStart = writer.checkpoint()
    }

    /// Rolls back the RRset in progress after a write did not fit.
    mutating func overflow() {
        writer.rollback(to: rrsetStart)
        rrsetCount = 0
        if section != .additional { truncated = true } else { additionalFull = true }
    }

    /// Sets TC without dropping anything (a chased answer that was itself truncated).
    public mutating func markTruncated() { truncatedFlag = true }
    var truncatedFlag = false

    /// Set once an additional RRset did not fit: later additional records are left out.
    public private(set) var additionalFull = false

    /// True when writes are being ignored (after truncation, or a full additional section).
    public var isFull: Bool { truncated || (section == .additional && additionalFull) }

    /// Appends one record with an owner given as wire bytes or as a pointer to the question.
    public mutating func append(owner: Owner, type: RecordType, ttl: UInt32, rdata: RData, recordClass: RecordClass = .in) {
        guard !isFull else { return }
        note(ttl: ttl, type: type)
        if case .soa(let soa) = rdata, soa.minimum != ttl { ttlsDiffer = true; uniformTTL = nil }
        do {
            try writeOwner(owner)
            try writer.writeUInt16(type.rawValue)
            try writer.writeUInt16(recordClass.rawValue)
            try writer.writeUInt32(ttl)
            try writer.writeRData(rdata)
            rrsetCount += 1
        } catch {
            overflow()
        }
    }

    /// Appends one record whose RDATA `body` writes (RDLENGTH is filled in afterwards): for RDATA
    /// with names taken from a snapshot's arena, written without building a `DomainName`.
    /// Allocation-free.
    public mutating func append(owner: Owner, type: RecordType, ttl: UInt32, recordClass: RecordClass = .in,
                                rdata body: (inout MessageWriter) throws(WriterFull) -> Void) {
        guard !isFull else { return }
        note(ttl: ttl, type: type)
        do {
            try writeOwner(owner)
            try writer.writeUInt16(type.rawValue)
            try writer.writeUInt16(recordClass.rawValue)
            try writer.writeUInt32(ttl)
            let lengthOffset = writer.position
            try writer.writeUInt16(0)
            try body(&writer)
            writer.setUInt16(UInt16(writer.position - lengthOffset - 2), at: lengthOffset)
            rrsetCount += 1
        } catch {
            overflow()
        }
    }

    mutating func writeOwner(_ owner: Owner) throws(WriterFull) {
        switch owner {
        case .question: try writer.writePointer(to: Header.size)
        case .questionSuffix(let offset): try writer.writePointer(to: Header.size + offset)
        case .name(let name): try writer.writeName(name)
        case .wire(let bytes): try writer.writeName(wire: bytes)
        case .labelBeforeQuestionSuffix(let label, let offset):
            try writer.writeUInt8(UInt8(label.count))
            try writer.writeBytes(label)
            try writer.writePointer(to: Header.size + offset)
        case .offset(let offset): try writer.writePointer(to: offset)
        case .labelBeforeOffset(let label, let offset):
            try writer.writeUInt8(UInt8(label.count))
            try writer.writeBytes(label)
            try writer.writePointer(to: offset)
        }
    }

    /// The current length of the response (where the next record starts).
    public var position: Int { writer.position }

    /// Appends a whole record from the typed model.
    public mutating func append(_ record: ResourceRecord) {
        guard !isFull else { return }
        note(ttl: record.ttl, type: record.type)
        if case .soa(let soa) = record.rdata, soa.minimum != record.ttl { ttlsDiffer = true; uniformTTL = nil }
        do {
            try writer.writeRecord(record)
            rrsetCount += 1
        } catch {
            overflow()
        }
    }

    /// Keeps `uniformTTL` and `authorityHasNS` for one more record (counted even if it then does
    /// not fit: the claim only gets weaker).
    @inline(__always)
    mutating func note(ttl: UInt32, type: RecordType) {
        if !ttlsDiffer {
            if let seen = uniformTTL, seen != ttl { ttlsDiffer = true; uniformTTL = nil } else { uniformTTL = ttl }
        }
        if section == .authority, type == .ns { authorityHasNS = true }
    }

    /// Where a record's owner name comes from.
    public enum Owner {
        /// The question's name (pointer to offset 12): echoes the client's case.
        case question
        /// A suffix of the question's name starting `offset` octets into it.
        case questionSuffix(Int)
        case name(DomainName)
        /// An uncompressed wire name held elsewhere (a snapshot's arena); compressed on write.
        case wire(UnsafeRawBufferPointer)
        /// One label followed by a pointer to a suffix of the question (`pod-0` + `svc.ns.svc.zone`).
        case labelBeforeQuestionSuffix(label: UnsafeRawBufferPointer, offset: Int)
        /// A pointer to a name already written at `offset` in this response.
        case offset(Int)
        /// One label followed by a pointer to a name already written at `offset` in this response
        /// (`pod-0` + the registry-cased `svc.ns.svc.<zone>` of an SRV target).
        case labelBeforeOffset(label: UnsafeRawBufferPointer, offset: Int)
    }

    /// Appends the OPT record, patches counts and flags; returns the message length.
    public mutating func finish() -> Int {
        writer.limit += optReserve
        var additional = counts.additional
        if let opt {
            // The OPT record with no options (RFC 6891 §6.1.2): root owner, TYPE 41, CLASS the
            // UDP size, TTL the extended RCODE, version 0 and the DO bit, RDLENGTH 0.
            let flags: UInt16 = opt.dnssecOK ? EDNS.doMask : 0
            let ttl = UInt32(rcode.extendedBits) << 24 | UInt32(flags)
            let mark = writer.checkpoint()
            do {
                try writer.writeUInt8(0)
                try writer.writeUInt16(RecordType.opt.rawValue)
                try writer.writeUInt16(opt.payloadSize)
                try writer.writeUInt32(ttl)
                try writer.writeUInt16(0)
                additional += 1
            } catch {
                // Only reachable when the limit changed under us; answer without OPT.
                writer.rollback(to: mark)
            }
        }
        var flags = writer.getUInt16(at: 2)
        flags = (flags & ~0x000F) | UInt16(rcode.headerBits)
        if authoritative { flags |= Header.aaMask }
        if truncated || truncatedFlag { flags |= Header.tcMask }
        if recursionAvailable { flags |= Header.raMask }
        if authenticData { flags |= Header.adMask }
        writer.setUInt16(flags, at: 2)
        writer.setCounts(question: writer.getUInt16(at: 4), answer: counts.answer, authority: counts.authority,
                         additional: additional)
        return writer.position
    }
}
