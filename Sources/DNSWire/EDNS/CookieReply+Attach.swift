extension CookieReply {
    /// Puts this COOKIE option into a finished response of `length` octets in `message`: any
    /// COOKIE already in its OPT record (one an upstream sent to us) is removed, ours is added
    /// at the end of the OPT's options, and a response without an OPT record gets one.
    ///
    /// Done on the finished message, after every plugin and response hook, so one step covers
    /// answers built here, replayed from the cache and relayed from upstreams alike, and the
    /// cache never stores a cookie meant for one client.
    /// - Returns: the new length; `length` unchanged when the message cannot be walked or the
    ///   option does not fit below `limit` (the client then simply gets no server cookie).
    /// - Complexity: O(message length). Allocation-free.
    public func attach(to message: UnsafeMutableRawBufferPointer, length: Int, limit: Int) -> Int {
        let view = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(message)[0..<min(length, message.count)])
        let found: (rdata: Int, rdataLength: Int)?
        do {
            found = try CookieReply.findOPT(view)
        } catch {
            return length
        }
        let room = min(limit, message.count)
        if let opt = found {
            // Drop COOKIE options already there, shifting the rest of the message down.
            guard let (end, rdataEnd) = CookieReply.dropCookies(message, rdata: opt.rdata, rdataLength: opt.rdataLength,
                                                                  length: length) else { return length }
            guard end + CookieReply.optionLength <= room else { return length }
            CookieReply.move(message, from: rdataEnd, to: rdataEnd + CookieReply.optionLength, count: end - rdataEnd)
            write(into: message, at: rdataEnd)
            let newRDLength = rdataEnd + CookieReply.optionLength - opt.rdata
            message[opt.rdata - 2] = UInt8(truncatingIfNeeded: newRDLength >> 8)
            message[opt.rdata - 1] = UInt8(truncatingIfNeeded: newRDLength)
            return end + CookieReply.optionLength
        }
        guard length + 11 + CookieReply.optionLength <= room else { return length }
        let arcount = UInt16(message[10]) << 8 | UInt16(message[11])
        guard arcount < .max else { return length }
        // Root owner, type OPT, UDP size 1232, no extended RCODE, version 0, no flags.
        let p = length
        message[p] = 0
        message[p + 1] = 0
        message[p + 2] = 41
        message[p + 3] = 0x04
        message[p + 4] = 0xD0
        for i in 5..<9 { message[p + i] = 0 }
        message[p + 9] = 0
        message[p + 10] = UInt8(CookieReply.optionLength)
        write(into: message, at: p + 11)
        message[10] = UInt8(truncatingIfNeeded: (arcount + 1) >> 8)
        message[11] = UInt8(truncatingIfNeeded: arcount + 1)
        return p + 11 + CookieReply.optionLength
    }

    /// Removes every COOKIE option from the OPT record of the message of `length` octets in
    /// `message` (a query or a response), fixing the OPT's RDLENGTH. A forwarder sends no
    /// client's cookie on: a cookie belongs to one client and one server (RFC 7873 §4.1).
    /// - Returns: the new length; `length` unchanged when there is no COOKIE or the message
    ///   cannot be walked.
    /// - Complexity: O(message length). Allocation-free.
    public static func removeCookies(from message: UnsafeMutableRawBufferPointer, length: Int) -> Int {
        let view = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(message)[0..<min(length, message.count)])
        guard let found = try? findOPT(view),
              let (end, rdataEnd) = dropCookies(message, rdata: found.rdata, rdataLength: found.rdataLength,
                                                length: view.count) else { return length }
        let newRDLength = rdataEnd - found.rdata
        message[found.rdata - 2] = UInt8(truncatingIfNeeded: newRDLength >> 8)
        message[found.rdata - 1] = UInt8(truncatingIfNeeded: newRDLength)
        return end
    }

    /// Removes the COOKIE options of the OPT RDATA at `rdata`, shifting the rest of the message
    /// down; RDLENGTH is left for the caller to set.
    /// - Returns: the message's new end and the RDATA's new end; nil when the options do not
    ///   walk (nothing moved).
    static func dropCookies(_ message: UnsafeMutableRawBufferPointer, rdata: Int, rdataLength: Int,
                            length: Int) -> (end: Int, rdataEnd: Int)? {
        var end = length
        var rdataEnd = rdata + rdataLength
        // Walk first: a malformed option list is left as it is.
        var q = rdata
        while q + 4 <= rdataEnd {
            q += 4 + (Int(message[q + 2]) << 8 | Int(message[q + 3]))
        }
        guard q <= rdataEnd else { return nil }
        var p = rdata
        while p + 4 <= rdataEnd {
            let code = UInt16(message[p]) << 8 | UInt16(message[p + 1])
            let size = 4 + (Int(message[p + 2]) << 8 | Int(message[p + 3]))
            if code == EDNSOptionCode.cookie.rawValue {
                CookieReply.move(message, from: p + size, to: p, count: end - (p + size))
                end -= size
                rdataEnd -= size
            } else {
                p += size
            }
        }
        return (end, rdataEnd)
    }

    /// Writes the whole option (code, length, data) at `offset`.
    func write(into message: UnsafeMutableRawBufferPointer, at offset: Int) {
        message[offset] = 0
        message[offset + 1] = UInt8(EDNSOptionCode.cookie.rawValue)
        message[offset + 2] = 0
        message[offset + 3] = UInt8(CookieReply.dataLength)
        var copy = words
        withUnsafeBytes(of: &copy) { data in
            UnsafeMutableRawBufferPointer(rebasing: message[(offset + 4)..<(offset + 4 + CookieReply.dataLength)])
                .copyMemory(from: data)
        }
    }

    static func move(_ message: UnsafeMutableRawBufferPointer, from: Int, to: Int, count: Int) {
        guard count > 0, let base = message.baseAddress else { return }
        (base + to).copyMemory(from: UnsafeRawPointer(base + from), byteCount: count)
    }

    /// Where the OPT record's RDATA lies in a response; nil when it has none.
    /// - Throws: `WireError` when the message cannot be walked.
    static func findOPT(_ message: UnsafeRawBufferPointer) throws(WireError) -> (rdata: Int, rdataLength: Int)? {
        var reader = WireReader(message)
        let header = try reader.readHeader()
        for _ in 0..<header.questionCount {
            try reader.skipName()
            try reader.require(4)
            reader.offset += 4
        }
        let records = Int(header.answerCount) + Int(header.authorityCount) + Int(header.additionalCount)
        let firstAdditional = Int(header.answerCount) + Int(header.authorityCount)
        for i in 0..<records {
            try reader.skipName()
            let type = try reader.readUInt16()
            try reader.require(6)
            reader.offset += 6
            let rdlength = Int(try reader.readUInt16())
            try reader.require(rdlength)
            if i >= firstAdditional && type == RecordType.opt.rawValue { return (reader.offset, rdlength) }
            reader.offset += rdlength
        }
        return nil
    }
}
