extension Message {
    /// Encodes the message with compression into at most `maxSize` octets.
    ///
    /// When the answer or authority section does not fit, the message ends after the last whole
    /// RRset that does and TC is set (RFC 2181 §9); additional records that do not fit are left
    /// out without TC (RFC 2181 §9: TC is not for "extra information"). The OPT record is always
    /// kept, since it tells the client what size to retry with. Counts are recomputed.
    /// - Returns: the octets, or nil when not even the header, question and OPT fit.
    public func encoded(maxSize: Int = 65535) -> [UInt8]? {
        let size = min(max(maxSize, Header.size), 65535)
        var output = [UInt8](repeating: 0, count: size)
        var table = [UInt16](repeating: 0, count: 256)
        let length: Int? = output.withUnsafeMutableBytes { raw in
            table.withUnsafeMutableBufferPointer { compression in
                var writer = MessageWriter(buffer: raw, compression: compression)
                return write(into: &writer)
            }
        }
        guard let length else { return nil }
        output.removeSubrange(length...)
        return output
    }

    /// Writes the message at the start of `writer`'s buffer (the writer must be empty), honouring
    /// its limit as `encoded(maxSize:)` describes. Returns the length, or nil if nothing fits.
    public func write(into writer: inout MessageWriter) -> Int? {
        let optSize = edns?.wireSize ?? 0
        let fullLimit = writer.limit
        writer.limit = fullLimit - optSize
        var header = self.header
        do {
            try writer.writeHeader(header)
            for question in questions { try writer.writeQuestion(question) }
        } catch {
            writer.limit = fullLimit
            return nil
        }
        var truncated = false
        let answerCount = Message.writeRRsets(answers, into: &writer, truncated: &truncated)
        var authorityCount = 0
        var additionalCount = 0
        if !truncated {
            authorityCount = Message.writeRRsets(authorities, into: &writer, truncated: &truncated)
        }
        if !truncated {
            var dropped = false
            additionalCount = Message.writeRRsets(additionals, into: &writer, truncated: &dropped)
        }
        writer.limit = fullLimit
        if let edns {
            do {
                try writer.writeOPT(edns)
                additionalCount += 1
            } catch {
                return nil
            }
        }
        if truncated { header.truncated = true }
        writer.setUInt16(header.flags, at: 2)
        writer.setCounts(question: UInt16(questions.count), answer: UInt16(answerCount),
                         authority: UInt16(authorityCount), additional: UInt16(additionalCount))
        return writer.position
    }

    /// Writes records RRset by RRset (a run of consecutive records with the same owner, type
    /// and class); stops at the first RRset that does not fit and reports it in `truncated`.
    static func writeRRsets(_ records: [ResourceRecord], into writer: inout MessageWriter,
                            truncated: inout Bool) -> Int {
        var written = 0
        var i = 0
        while i < records.count {
            var j = i + 1
            while j < records.count && records[j].sameRRset(as: records[i]) { j += 1 }
            let mark = writer.checkpoint()
            do {
                for k in i..<j { try writer.writeRecord(records[k]) }
            } catch {
                writer.rollback(to: mark)
                truncated = true
                return written
            }
            written += j - i
            i = j
        }
        return written
    }
}
