/// Appends a DNS message into memory the caller owns, compressing names (RFC 1035 §4.1.4) and
/// stopping cleanly at a size limit.
///
/// Nothing here allocates: the output buffer and the compression table are the caller's (a
/// worker keeps one of each for its whole life). Every write either fits below `limit` or throws
/// `WriterFull` without writing anything, so a caller takes a `checkpoint()` before an RRset and
/// `rollback(to:)` when it does not fit — the message then ends at the last whole RRset, which is
/// what truncation needs (RFC 2181 §9).
///
/// Compression matches names byte for byte, case included: a pointer never changes the case a
/// reader sees, so the question's case (0x20) is preserved everywhere it is reused.
///
/// - warning: `buffer` and `compression` must outlive the writer.
public struct MessageWriter {
    public let buffer: UnsafeMutableRawBufferPointer
    /// Writes past this offset throw `WriterFull`. At most `buffer.count`.
    public var limit: Int {
        get { _limit }
        set { _limit = min(max(newValue, 0), buffer.count) }
    }
    @usableFromInline var _limit: Int
    /// Octets written so far: the message's length.
    @inlinable public var position: Int { _position }
    /// `position`'s storage: the primitives below are inlined into every caller (a call across
    /// the module boundary per field was a tenth of a cluster answer's instructions), and
    /// inlinable code can only touch storage that is at least `@usableFromInline`.
    @usableFromInline var _position: Int
    @usableFromInline let compression: UnsafeMutableBufferPointer<UInt16>
    @usableFromInline var compressionCount: Int = 0

    /// Pointers reach only the first 16 KiB of a message (14-bit offsets).
    @inlinable public static var maxPointerTarget: Int { 0x3FFF }
    /// - Parameters:
    ///   - buffer: where the message is written, from offset 0.
    ///   - limit: the largest message allowed; defaults to the buffer's size.
    ///   - compression: storage for offsets of names already written; an empty buffer turns
    ///     compression off. 64 entries cover any answer this server writes.
    public init(buffer: UnsafeMutableRawBufferPointer, limit: Int? = nil,
                compression: UnsafeMutableBufferPointer<UInt16>) {
        self.buffer = buffer
        self._limit = min(max(limit ?? buffer.count, 0), buffer.count)
        self._position = 0
        self.compression = compression
    }

    /// A point to roll back to: the output length and the compression entries at that moment.
    public struct Checkpoint: Sendable {
        public let position: Int
        @usableFromInline let compressionCount: Int

        @inlinable init(position: Int, compressionCount: Int) {
            self.position = position
            self.compressionCount = compressionCount
        }
    }

    @inlinable
    public func checkpoint() -> Checkpoint {
        Checkpoint(position: position, compressionCount: compressionCount)
    }

    /// Forgets everything written after `checkpoint`, compression entries included.
    @inlinable
    public mutating func rollback(to checkpoint: Checkpoint) {
        _position = checkpoint.position
        compressionCount = checkpoint.compressionCount
    }

    /// Restarts at offset 0 with an empty compression table.
    public mutating func reset() {
        _position = 0
        compressionCount = 0
    }

    @inlinable @inline(__always)
    func require(_ n: Int) throws(WriterFull) {
        guard n <= _limit &- _position else { throw WriterFull() }
    }

    @inlinable
    public mutating func writeUInt8(_ value: UInt8) throws(WriterFull) {
        try require(1)
        buffer.storeBytes(of: value, toByteOffset: _position, as: UInt8.self)
        _position &+= 1
    }

    @inlinable
    public mutating func writeUInt16(_ value: UInt16) throws(WriterFull) {
        try require(2)
        buffer.storeBytes(of: value.bigEndian, toByteOffset: _position, as: UInt16.self)
        _position &+= 2
    }

    @inlinable
    public mutating func writeUInt32(_ value: UInt32) throws(WriterFull) {
        try require(4)
        buffer.storeBytes(of: value.bigEndian, toByteOffset: _position, as: UInt32.self)
        _position &+= 4
    }

    @inlinable
    public mutating func writeBytes(_ bytes: UnsafeRawBufferPointer) throws(WriterFull) {
        try require(bytes.count)
        if let base = bytes.baseAddress, let target = buffer.baseAddress {
            (target + _position).copyMemory(from: base, byteCount: bytes.count)
        }
        _position &+= bytes.count
    }

    public mutating func writeBytes(_ bytes: [UInt8]) throws(WriterFull) {
        try require(bytes.count)
        let target = buffer.baseAddress
        let at = _position
        bytes.withUnsafeBytes { raw in
            if let base = raw.baseAddress, let target { (target + at).copyMemory(from: base, byteCount: raw.count) }
        }
        _position &+= bytes.count
    }

    /// Overwrites two octets already written (a count in the header, an RDLENGTH).
    @inlinable
    public func setUInt16(_ value: UInt16, at offset: Int) {
        precondition(offset >= 0 && offset + 2 <= _position, "setUInt16 past the written part")
        buffer.storeBytes(of: value.bigEndian, toByteOffset: offset, as: UInt16.self)
    }

    /// Reads two octets already written.
    @inlinable
    public func getUInt16(at offset: Int) -> UInt16 {
        UInt16(bigEndian: buffer.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    // MARK: Names

    /// Writes an uncompressed wire name (`wire` ends with the root octet), replacing its longest
    /// suffix already in the message by a pointer when `compress` is on.
    /// - Complexity: O(labels × table entries × label length). Allocation-free.
    public mutating func writeName(wire: UnsafeRawBufferPointer, compress: Bool = true) throws(WriterFull) {
        let start = checkpoint()
        do {
            var i = 0
            while wire[i] != 0 {
                if compress, let target = findSuffix(wire, from: i) {
                    try writeUInt16(0xC000 | UInt16(target))
                    return
                }
                let length = Int(wire[i])
                if compress { remember(position) }
                try writeBytes(UnsafeRawBufferPointer(rebasing: wire[i..<(i + 1 + length)]))
                i += 1 + length
            }
            try writeUInt8(0)
        } catch {
            rollback(to: start)
            throw error
        }
    }

    public mutating func writeName(_ name: DomainName, compress: Bool = true) throws(WriterFull) {
        // Array.withUnsafeBytes rethrows untyped errors, so the closure reports failure as a value.
        let fitted = name.wire.withUnsafeBytes { raw -> Bool in
            do { try writeName(wire: raw, compress: compress) } catch { return false }
            return true
        }
        guard fitted else { throw WriterFull() }
    }

    /// Writes a pointer to a name already in the message (e.g. `0xC00C` for the question's name).
    @inlinable
    public mutating func writePointer(to offset: Int) throws(WriterFull) {
        try writeUInt16(0xC000 | UInt16(offset & MessageWriter.maxPointerTarget))
    }

    /// Makes every suffix of the name written at `offset` available for compression
    /// (used for names copied in as raw bytes, like a query's question).
    public mutating func registerName(at offset: Int) {
        var i = offset
        while i < position {
            let octet = buffer[i]
            if octet == 0 || octet & 0xC0 != 0 { return }
            remember(i)
            i += 1 + Int(octet)
        }
    }

    mutating func remember(_ offset: Int) {
        guard offset <= MessageWriter.maxPointerTarget, compressionCount < compression.count else { return }
        compression[compressionCount] = UInt16(offset)
        compressionCount += 1
    }

    /// The offset of a name in the message equal to `wire[from...]`, byte for byte.
    func findSuffix(_ wire: UnsafeRawBufferPointer, from: Int) -> Int? {
        for k in 0..<compressionCount {
            let candidate = Int(compression[k])
            if nameInBuffer(at: candidate, equals: wire, from: from) { return candidate }
        }
        return nil
    }

    /// Compares the (possibly compressed) name at `offset` in the output with `wire[from...]`.
    func nameInBuffer(at offset: Int, equals wire: UnsafeRawBufferPointer, from: Int) -> Bool {
        var p = offset
        var q = from
        var hops = 0
        while true {
            guard p < position else { return false }
            var octet = buffer[p]
            while octet & 0xC0 == 0xC0 {
                hops += 1
                guard hops < 128, p + 1 < position else { return false }
                p = Int(octet & 0x3F) << 8 | Int(buffer[p + 1])
                guard p < position else { return false }
                octet = buffer[p]
            }
            let length = Int(octet)
            guard q < wire.count, Int(wire[q]) == length else { return false }
            if length == 0 { return true }
            guard p + 1 + length <= position, q + 1 + length <= wire.count else { return false }
            for j in 1...length where buffer[p + j] != wire[q + j] { return false }
            p += 1 + length
            q += 1 + length
        }
    }

    // MARK: Sections

    /// Writes a header. Counts are usually patched later with `setCounts`.
    @inlinable
    public mutating func writeHeader(_ header: Header) throws(WriterFull) {
        try require(Header.size)
        buffer.storeBytes(of: header.id.bigEndian, toByteOffset: _position, as: UInt16.self)
        buffer.storeBytes(of: header.flags.bigEndian, toByteOffset: _position &+ 2, as: UInt16.self)
        buffer.storeBytes(of: header.questionCount.bigEndian, toByteOffset: _position &+ 4, as: UInt16.self)
        buffer.storeBytes(of: header.answerCount.bigEndian, toByteOffset: _position &+ 6, as: UInt16.self)
        buffer.storeBytes(of: header.authorityCount.bigEndian, toByteOffset: _position &+ 8, as: UInt16.self)
        buffer.storeBytes(of: header.additionalCount.bigEndian, toByteOffset: _position &+ 10, as: UInt16.self)
        _position &+= Header.size
    }

    /// Patches the four section counts of a header written at offset 0.
    @inlinable
    public func setCounts(question: UInt16, answer: UInt16, authority: UInt16, additional: UInt16) {
        setUInt16(question, at: 4)
        setUInt16(answer, at: 6)
        setUInt16(authority, at: 8)
        setUInt16(additional, at: 10)
    }

    public mutating func writeQuestion(_ question: Question) throws(WriterFull) {
        let start = checkpoint()
        do {
            try writeName(question.name)
            try writeUInt16(question.type.rawValue)
            try writeUInt16(question.questionClass.rawValue)
        } catch {
            rollback(to: start)
            throw error
        }
    }

    /// Writes one record; on `WriterFull` nothing of it remains.
    public mutating func writeRecord(_ record: ResourceRecord) throws(WriterFull) {
        let start = checkpoint()
        do {
            try writeName(record.name)
            try writeUInt16(record.type.rawValue)
            try writeUInt16(record.recordClass.rawValue)
            try writeUInt32(record.ttl)
            try writeRData(record.rdata)
        } catch {
            rollback(to: start)
            throw error
        }
    }

    /// Writes RDLENGTH and RDATA. Names are compressed where RFC 3597 §4 allows it (NS, CNAME,
    /// PTR, SOA, MX) and never in SRV (RFC 2782).
    /// - Throws: `WriterFull` past the limit, or when the RDATA would exceed the 65535 octets
    ///   RDLENGTH can express (nothing of it is left written).
    public mutating func writeRData(_ rdata: RData) throws(WriterFull) {
        let lengthOffset = position
        let mark = checkpoint()
        try writeUInt16(0)
        let start = position
        do {
            try writeRDataFields(rdata)
        } catch {
            rollback(to: mark)
            throw error
        }
        guard position - start <= Int(UInt16.max) else {
            rollback(to: mark)
            throw WriterFull()
        }
        setUInt16(UInt16(position - start), at: lengthOffset)
    }

    mutating func writeRDataFields(_ rdata: RData) throws(WriterFull) {
        switch rdata {
        case .a(let address):
            try writeUInt32(address.rawValue)
        case .aaaa(let address):
            try writeUInt32(UInt32(truncatingIfNeeded: address.high >> 32))
            try writeUInt32(UInt32(truncatingIfNeeded: address.high))
            try writeUInt32(UInt32(truncatingIfNeeded: address.low >> 32))
            try writeUInt32(UInt32(truncatingIfNeeded: address.low))
        case .ns(let name), .cname(let name), .ptr(let name):
            try writeName(name)
        case .soa(let soa):
            try writeName(soa.primaryNameServer)
            try writeName(soa.responsibleMailbox)
            try writeUInt32(soa.serial)
            try writeUInt32(soa.refresh)
            try writeUInt32(soa.retry)
            try writeUInt32(soa.expire)
            try writeUInt32(soa.minimum)
        case .mx(let preference, let exchange):
            try writeUInt16(preference)
            try writeName(exchange)
        case .txt(let strings):
            for string in strings {
                let bytes = string.prefix(255)
                try writeUInt8(UInt8(bytes.count))
                try writeBytes(Array(bytes))
            }
        case .srv(let priority, let weight, let port, let target):
            try writeUInt16(priority)
            try writeUInt16(weight)
            try writeUInt16(port)
            try writeName(target, compress: false)
        case .unknown(let bytes):
            try writeBytes(bytes)
        }
    }

    /// Writes the OPT pseudo-record for `edns`.
    /// - Throws: `WriterFull` past the limit, or when an option or the whole RDATA would exceed
    ///   65535 octets (nothing of the record is left written).
    public mutating func writeOPT(_ edns: EDNS) throws(WriterFull) {
        let start = checkpoint()
        do throws(WriterFull) {
            try writeUInt8(0)
            try writeUInt16(RecordType.opt.rawValue)
            try writeUInt16(edns.udpPayloadSize)
            try writeUInt8(edns.extendedRCode)
            try writeUInt8(edns.version)
            try writeUInt16(edns.flags)
            let lengthOffset = position
            try writeUInt16(0)
            for option in edns.options {
                // OPTION-LENGTH and RDLENGTH are 16 bits: larger data cannot be expressed.
                guard option.data.count <= Int(UInt16.max) else { throw WriterFull() }
                try writeUInt16(option.code.rawValue)
                try writeUInt16(UInt16(option.data.count))
                try writeBytes(option.data)
            }
            guard position - lengthOffset - 2 <= Int(UInt16.max) else { throw WriterFull() }
            setUInt16(UInt16(position - lengthOffset - 2), at: lengthOffset)
        } catch {
            rollback(to: start)
            throw error
        }
    }
}
