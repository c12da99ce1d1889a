import DNSWire

extension CacheHandler {
    /// Writes the stored answer `e` as the response to `request` into `output`, within `limit`
    /// octets, and returns its length; nil when not even the header and question fit.
    ///
    /// The stored message is copied whole or cut after its last RRset that fits (compression
    /// pointers only point backwards, so every prefix is a valid message); a cut that drops
    /// answer or authority records sets TC, one that drops only additional records does not
    /// (RFC 2181 §9). Then, in the copy: the query's ID, opcode, RD and CD; AA set (as CoreDNS
    /// does for cached answers); AD kept only for clients that set DO or AD; the client's own
    /// question bytes (same length, so its 0x20 case comes back, also in every owner that points
    /// to the question); every record's TTL set to `ttl`; the OPT record when the query had EDNS.
    ///
    /// `e` is a reader's copy of a shared entry: its bytes may change while they are copied, so
    /// the caller checks `e.isCurrent` afterwards and discards the output if not. Every offset
    /// read from the stored bytes (cut points, TTL offsets) is checked against what was copied
    /// before it is used, so a torn copy writes garbage inside `output`, never outside it.
    /// - Complexity: O(message length). Allocation-free.
    func write(_ e: CacheRead, answering request: Request, ttl: UInt32,
               into output: UnsafeMutableRawBufferPointer, limit: Int) -> Int? {
        let message = e.message
        let edns = request.query.edns
        let optSize = edns == nil ? 0 : ResponseBuilder.plainOPTSize
        let budget = min(limit, output.count) - optSize
        let questionEnd = Int(e.entry.questionEnd)
        let nameLength = request.query.nameLength
        guard budget >= questionEnd, questionEnd >= Header.size + nameLength + 4, message.count >= questionEnd,
              let destination = output.baseAddress, let source = message.baseAddress else { return nil }
        var length = message.count
        var records = Int(e.entry.recordCount)
        var truncated = false
        if length > budget {
            var i = Int(e.entry.boundaryCount) - 1
            var cut = CutPoint(offset: UInt16(questionEnd), recordsBefore: 0)
            while i >= 0 {
                let candidate = e.cutPoint(i)
                if Int(candidate.offset) <= budget, Int(candidate.offset) >= questionEnd {
                    cut = candidate
                    break
                }
                i -= 1
            }
            length = Int(cut.offset)
            records = min(Int(cut.recordsBefore), Int(e.entry.recordCount))
            truncated = records < Int(e.entry.answerCount) + Int(e.entry.authorityCount)
        }
        destination.copyMemory(from: source, byteCount: length)

        // Header.
        let query = request.packet
        output[0] = query[0]
        output[1] = query[1]
        var flags2: UInt8 = 0x80 | (query[2] & 0x79) | 0x04     // QR, opcode, RD; AA
        if truncated { flags2 |= 0x02 }
        let stored3 = message[3]
        var flags3: UInt8 = (stored3 & 0x80) | (query[3] & 0x10) | (stored3 & 0x0F)   // RA, CD, rcode
        if stored3 & 0x20 != 0, request.dnssecOK || query[3] & 0x20 != 0 { flags3 |= 0x20 }
        output[2] = flags2
        output[3] = flags3

        // The client's question name, over the stored one (keys compare equal, so same length).
        if let name = request.questionName.baseAddress {
            (destination + Header.size).copyMemory(from: name, byteCount: nameLength)
        }

        // TTLs of the records kept.
        let offsets = e.ttlOffsets
        let bigEndianTTL = ttl.bigEndian
        for r in 0..<records {
            let at = Int(offsets.loadUnaligned(fromByteOffset: 2 * r, as: UInt16.self))
            guard at + 4 <= length else { continue }    // only a torn copy has such an offset
            (destination + at).storeBytes(of: bigEndianTTL, as: UInt32.self)
        }

        // Counts.
        let answers = min(records, Int(e.entry.answerCount))
        let authorities = min(records - answers, Int(e.entry.authorityCount))
        var additionals = records - answers - authorities
        if let edns {
            let p = destination + length
            p.storeBytes(of: 0, as: UInt8.self)
            p.storeBytes(of: RecordType.opt.rawValue.bigEndian, toByteOffset: 1, as: UInt16.self)
            p.storeBytes(of: request.block.advertisedUDPSize.bigEndian, toByteOffset: 3, as: UInt16.self)
            p.storeBytes(of: 0, toByteOffset: 5, as: UInt8.self)                      // extended rcode
            p.storeBytes(of: 0, toByteOffset: 6, as: UInt8.self)                      // version
            p.storeBytes(of: edns.dnssecOK ? EDNS.doMask.bigEndian : 0, toByteOffset: 7, as: UInt16.self)
            p.storeBytes(of: UInt16(0), toByteOffset: 9, as: UInt16.self)             // no options
            length += ResponseBuilder.plainOPTSize
            additionals += 1
        }
        (destination + 4).storeBytes(of: UInt16(1).bigEndian, as: UInt16.self)
        (destination + 6).storeBytes(of: UInt16(answers).bigEndian, as: UInt16.self)
        (destination + 8).storeBytes(of: UInt16(authorities).bigEndian, as: UInt16.self)
        (destination + 10).storeBytes(of: UInt16(additionals).bigEndian, as: UInt16.self)
        return length
    }
}
