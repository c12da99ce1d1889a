import DNSWire

/// What the cache learns from reading a response once, in place.
struct ScannedResponse {
    var flags: UInt16 = 0
    var opcode = Opcode.query
    /// The full response code: header bits and the OPT's extended bits.
    var rcode = ResponseCode.noError
    var questionCount = 0
    /// Offset just after the (first) question.
    var questionEnd = Header.size
    var questionType = RecordType(rawValue: 0)
    var questionClass = RecordClass(rawValue: 0)
    var answerCount = 0
    var authorityCount = 0
    /// Additional records, the OPT record not counted.
    var additionalCount = 0
    var recordCount: Int { answerCount + authorityCount + additionalCount }
    var hasOPT = false
    /// False when an OPT record has other records after it (then the message is not stored:
    /// removing the OPT would move names that later pointers may target).
    var optIsLast = true
    /// Octets of the message without its trailing OPT record.
    var storedLength = 0
    /// The DO bit of the response's OPT.
    var dnssecOK = false
    /// Smallest TTL of any record but OPT; nil when there is none.
    var minimumTTL: UInt32?
    var soaInAuthority = false
    /// Smallest SOA MINIMUM field in the authority section (RFC 2308 negative TTL).
    var soaMinimum: UInt32?
    var nsInAuthority = false
    /// An RRSIG outside its validity period (checked only when the response has DO).
    var expiredSignature = false
    /// For NOERROR with answers: whether the CNAME chain from the question name reaches a
    /// record of the question's type (CoreDNS's `answersQuestion`).
    var answersQuestion = false

    var truncated: Bool { flags & Header.tcMask != 0 }
    var isResponse: Bool { flags & Header.qrMask != 0 }
}

/// Reads responses for the cache without allocating: sections, each record's TTL offset, the
/// points where the message may be cut between RRsets, and the facts classification needs.
///
/// One per worker handler; the offsets it collects stay valid until the next `scan`.
final class ResponseScanner {
    /// A 65535-octet message holds at most 5957 records (11 octets each at least).
    static let maxRecords = 6000
    /// CNAME chains longer than this are not followed (and such answers are not cached).
    static let maxChain = 16

    struct AnswerRecord {
        var owner: Int32
        var type: UInt16
        var recordClass: UInt16
        var rdata: Int32
    }

    let ttlOffsets: UnsafeMutableBufferPointer<UInt16>
    let cuts: UnsafeMutableBufferPointer<CutPoint>
    let answers: UnsafeMutableBufferPointer<AnswerRecord>
    private(set) var cutCount = 0

    init() {
        ttlOffsets = .allocate(capacity: ResponseScanner.maxRecords)
        cuts = .allocate(capacity: ResponseScanner.maxRecords + 1)
        answers = .allocate(capacity: ResponseScanner.maxRecords)
    }

    deinit {
        ttlOffsets.deallocate()
        cuts.deallocate()
        answers.deallocate()
    }

    /// The TTL offsets of the last scan's records.
    var recordTTLOffsets: UnsafeBufferPointer<UInt16> { UnsafeBufferPointer(rebasing: ttlOffsets[0..<lastRecordCount]) }
    /// The cut points of the last scan.
    var cutPoints: UnsafeBufferPointer<CutPoint> { UnsafeBufferPointer(rebasing: cuts[0..<cutCount]) }
    private var lastRecordCount = 0

    /// Reads `message`; nil when it is malformed or has more records than any message can.
    /// - Parameters:
    ///   - wallClock: seconds since 1970, for RRSIG validity.
    ///   - forStoring: find the cut points between RRsets (`cutPoints`), which only storing the
    ///     message needs; without them `cutPoints` is empty after the scan.
    /// - Complexity: O(message length), plus O(answers × chain length) for the CNAME walk.
    ///   Allocation-free.
    func scan(_ message: UnsafeRawBufferPointer, wallClock: Int64, forStoring: Bool = true) -> ScannedResponse? {
        var reader = ScanReader(message)
        var result = ScannedResponse()
        lastRecordCount = 0
        cutCount = 0
        guard message.count <= Int(UInt16.max) else { return nil }
        do {
            let header = try reader.readHeader()
            result.flags = header.flags
            result.opcode = header.opcode
            result.questionCount = Int(header.questionCount)
            var rcodeLow = UInt16(header.rcodeBits)
            var extended: UInt16 = 0
            for q in 0..<Int(header.questionCount) {
                let start = reader.offset
                try reader.skipName()
                let type = try reader.readUInt16()
                let qclass = try reader.readUInt16()
                if q == 0 {
                    guard start == Header.size else { return nil }
                    result.questionType = RecordType(rawValue: type)
                    result.questionClass = RecordClass(rawValue: qclass)
                    result.questionEnd = reader.offset
                }
            }
            if header.questionCount == 0 { result.questionEnd = reader.offset }
            let total = Int(header.answerCount) + Int(header.authorityCount) + Int(header.additionalCount)
            guard total <= ResponseScanner.maxRecords else { return nil }
            cuts[0] = CutPoint(offset: UInt16(reader.offset), recordsBefore: 0)
            cutCount = 1
            var records = 0
            var answerRecords = 0
            var previousOwner = -1
            var previousType: UInt16 = 0
            var previousClass: UInt16 = 0
            var sawOPT = false
            var end = reader.offset
            for section in 0..<3 {
                let count = section == 0 ? Int(header.answerCount)
                    : section == 1 ? Int(header.authorityCount) : Int(header.additionalCount)
                var newSection = true
                for _ in 0..<count {
                    let start = reader.offset
                    try reader.skipName()
                    let type = try reader.readUInt16()
                    let rclass = try reader.readUInt16()
                    let ttlOffset = reader.offset
                    let ttl = try reader.readUInt32()
                    let rdlength = Int(try reader.readUInt16())
                    let rdata = reader.offset
                    guard rdlength <= message.count - rdata else { return nil }
                    reader.offset += rdlength
                    if type == RecordType.opt.rawValue {
                        guard section == 2, !sawOPT else { return nil }
                        sawOPT = true
                        result.hasOPT = true
                        extended = UInt16(ttl >> 24)
                        result.dnssecOK = ttl & UInt32(EDNS.doMask) != 0
                        newSection = true
                        continue
                    }
                    if sawOPT { result.optIsLast = false }
                    // A new RRset starts with each section and whenever owner, type or class
                    // differ from the previous record's.
                    if forStoring, records > 0, newSection || !(type == previousType && rclass == previousClass
                                                     && MessageName.equal(message, previousOwner, start)) {
                        cuts[cutCount] = CutPoint(offset: UInt16(start), recordsBefore: UInt16(records))
                        cutCount += 1
                    }
                    newSection = false
                    previousOwner = start
                    previousType = type
                    previousClass = rclass
                    ttlOffsets[records] = UInt16(ttlOffset)
                    records += 1
                    end = reader.offset
                    result.minimumTTL = min(result.minimumTTL ?? ttl, ttl)
                    switch section {
                    case 0:
                        answers[answerRecords] = AnswerRecord(owner: Int32(start), type: type, recordClass: rclass,
                                                              rdata: Int32(rdata))
                        answerRecords += 1
                        result.answerCount += 1
                    case 1:
                        result.authorityCount += 1
                        if type == RecordType.soa.rawValue {
                            result.soaInAuthority = true
                            if rdlength >= 22 {
                                let minimum = UInt32(message[rdata + rdlength - 4]) << 24 | UInt32(message[rdata + rdlength - 3]) << 16
                                    | UInt32(message[rdata + rdlength - 2]) << 8 | UInt32(message[rdata + rdlength - 1])
                                result.soaMinimum = min(result.soaMinimum ?? minimum, minimum)
                            }
                        } else if type == RecordType.ns.rawValue {
                            result.nsInAuthority = true
                        }
                    default:
                        result.additionalCount += 1
                    }
                    if type == RecordType.rrsig.rawValue, rdlength >= 16,
                       ResponseScanner.signatureExpired(message, rdata: rdata, now: wallClock) {
                        result.expiredSignature = true
                    }
                }
            }
            if forStoring, records > 0 {
                cuts[cutCount] = CutPoint(offset: UInt16(end), recordsBefore: UInt16(records))
                cutCount += 1
            }
            if !forStoring { cutCount = 0 }
            lastRecordCount = records
            result.storedLength = result.hasOPT ? end : reader.offset
            rcodeLow |= extended << 4
            result.rcode = ResponseCode(rawValue: rcodeLow)
            if result.rcode == .noError, answerRecords > 0, result.questionCount > 0 {
                result.answersQuestion = answersQuestion(message, answerRecords, result)
            }
        } catch {
            return nil
        }
        return result
    }

    /// RFC 1982 serial arithmetic on the RRSIG's inception and expiration, as miekg's
    /// `ValidityPeriod` does: the signature is valid when inception ≤ now ≤ expiration.
    static func signatureExpired(_ message: UnsafeRawBufferPointer, rdata: Int, now: Int64) -> Bool {
        func u32(_ at: Int) -> Int64 {
            Int64(UInt32(message[at]) << 24 | UInt32(message[at + 1]) << 16 | UInt32(message[at + 2]) << 8 | UInt32(message[at + 3]))
        }
        let expiration = u32(rdata + 8)
        let inception = u32(rdata + 12)
        let year68: Int64 = 1 << 31
        let inceptionAt = inception + ((inception - now) / year68) * year68
        let expirationAt = expiration + ((expiration - now) / year68) * year68
        return !(inceptionAt <= now && now <= expirationAt)
    }

    /// Follows the CNAME chain from the question name through the answer section and checks a
    /// record of the question's type sits at its end (ANY: any record at the name; CNAME: one
    /// unambiguous CNAME). Ambiguous chains, loops and chains longer than `maxChain` count as
    /// not answering, so such replies are not cached.
    func answersQuestion(_ message: UnsafeRawBufferPointer, _ count: Int, _ scanned: ScannedResponse) -> Bool {
        let qtype = scanned.questionType.rawValue
        let qclass = scanned.questionClass.rawValue
        func classMatches(_ c: UInt16) -> Bool { qclass == RecordClass.any.rawValue || c == qclass }
        // The unique CNAME target of `owner`: .some(nil) for none, nil when ambiguous.
        func target(of owner: Int) -> Int?? {
            var found: Int? = nil
            for i in 0..<count {
                let r = answers[i]
                guard r.type == RecordType.cname.rawValue, classMatches(r.recordClass),
                      MessageName.equal(message, Int(r.owner), owner) else { continue }
                if let f = found, !MessageName.equal(message, f, Int(r.rdata)) { return nil }
                found = Int(r.rdata)
            }
            return .some(found)
        }
        let question = Header.size
        if qtype == RecordType.any.rawValue {
            for i in 0..<count where classMatches(answers[i].recordClass)
                && MessageName.equal(message, Int(answers[i].owner), question) {
                return true
            }
            return false
        }
        if qtype == RecordType.cname.rawValue {
            guard let next = target(of: question), next != nil else { return false }
            return true
        }
        var name = question
        var steps = 0
        while true {
            guard let next = target(of: name) else { return false }
            guard let following = next else { break }
            steps += 1
            // A chain longer than the answer has CNAMEs revisits an owner: a loop.
            guard steps <= min(count, ResponseScanner.maxChain) else { return false }
            name = following
        }
        for i in 0..<count where answers[i].type == qtype && classMatches(answers[i].recordClass)
            && MessageName.equal(message, Int(answers[i].owner), name) {
            return true
        }
        return false
    }
}

/// The cursor `ResponseScanner.scan` reads with: `WireReader`'s checks and errors, inlined.
///
/// `WireReader`'s readers are not inlined across the module boundary in the release build (each
/// `readUInt16` is a call with its own typed-throw path, each `skipName` a call through a
/// closure), and a scan makes a dozen of them per record: most of the scan's cost on the short
/// answers the cache sees on every miss. These read the same fields and reject exactly what
/// `WireReader` rejects (the scan maps every error to "malformed").
struct ScanReader {
    let bytes: UnsafeRawBufferPointer
    var offset = 0

    @inline(__always) init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    @inline(__always) mutating func readUInt16() throws(WireError) -> UInt16 {
        guard bytes.count - offset >= 2 else { throw .truncated(offset: offset, needed: 2) }
        defer { offset += 2 }
        return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    @inline(__always) mutating func readUInt32() throws(WireError) -> UInt32 {
        guard bytes.count - offset >= 4 else { throw .truncated(offset: offset, needed: 4) }
        defer { offset += 4 }
        return UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16
            | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }

    @inline(__always) mutating func readHeader() throws(WireError) -> Header {
        guard bytes.count - offset >= Header.size else { throw .truncated(offset: offset, needed: Header.size) }
        return Header(id: try readUInt16(), flags: try readUInt16(), questionCount: try readUInt16(),
                      answerCount: try readUInt16(), authorityCount: try readUInt16(), additionalCount: try readUInt16())
    }

    /// Skips a possibly compressed name as `WireReader.skipName` does: labels within the
    /// message, pointers strictly backwards and never into the header, at most 255 octets; the
    /// cursor ends after the name (after its first pointer).
    @inline(__always) mutating func skipName() throws(WireError) {
        let start = offset
        var position = offset
        var floor = offset
        var resumeAt = -1
        var length = 1
        while true {
            guard position < bytes.count else { throw .truncated(offset: position, needed: 1) }
            let octet = bytes[position]
            switch octet & 0xC0 {
            case 0x00:
                if octet == 0 {
                    offset = resumeAt >= 0 ? resumeAt : position + 1
                    return
                }
                let labelLength = Int(octet)
                guard position + 1 + labelLength <= bytes.count else { throw .truncated(offset: position, needed: 1 + labelLength) }
                length += 1 + labelLength
                guard length <= DomainName.maxWireLength else { throw .nameTooLong(offset: start) }
                position += 1 + labelLength
            case 0xC0:
                guard position + 1 < bytes.count else { throw .truncated(offset: position, needed: 2) }
                let target = Int(octet & 0x3F) << 8 | Int(bytes[position + 1])
                guard target < floor, target >= Header.size else { throw .badPointer(offset: position, target: target) }
                if resumeAt < 0 { resumeAt = position + 2 }
                floor = target
                position = target
            default:
                throw .badLabelType(offset: position)
            }
        }
    }
}
