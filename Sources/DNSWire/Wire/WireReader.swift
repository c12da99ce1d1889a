/// A bounds-checked cursor over a message in a buffer the caller keeps alive.
///
/// Every read checks the bounds and throws `WireError` instead of trapping; nothing here
/// allocates except `readName`, which builds a `DomainName`.
public struct WireReader {
    public let bytes: UnsafeRawBufferPointer
    public var offset: Int

    @inlinable public init(_ bytes: UnsafeRawBufferPointer, offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    @inlinable public var remaining: Int { bytes.count - offset }

    @inlinable func require(_ n: Int) throws(WireError) {
        guard n <= bytes.count - offset else { throw .truncated(offset: offset, needed: n) }
    }

    @inlinable public mutating func readUInt8() throws(WireError) -> UInt8 {
        try require(1)
        defer { offset += 1 }
        return bytes[offset]
    }

    @inlinable public mutating func readUInt16() throws(WireError) -> UInt16 {
        try require(2)
        defer { offset += 2 }
        return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    @inlinable public mutating func readUInt32() throws(WireError) -> UInt32 {
        try require(4)
        defer { offset += 4 }
        return UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16
            | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }

    public mutating func readBytes(_ n: Int) throws(WireError) -> [UInt8] {
        try require(n)
        defer { offset += n }
        return Array(bytes[offset..<(offset + n)])
    }

    /// Reads the 12-octet header.
    public mutating func readHeader() throws(WireError) -> Header {
        try require(Header.size)
        return Header(id: try readUInt16(), flags: try readUInt16(), questionCount: try readUInt16(),
                      answerCount: try readUInt16(), authorityCount: try readUInt16(),
                      additionalCount: try readUInt16())
    }

    /// Reads a possibly compressed name and leaves the cursor after it (after the first pointer,
    /// if any). Pointers must point strictly before the segment that holds them, so every jump
    /// moves backwards and a loop cannot exist; the result is capped at 255 octets.
    public mutating func readName() throws(WireError) -> DomainName {
        var out: [UInt8] = []
        out.reserveCapacity(32)
        try walkName { label in out.append(contentsOf: label) }
        out.append(0)
        return DomainName(uncheckedWire: out)
    }

    /// Skips a possibly compressed name, validating it exactly as `readName` does. Allocation-free.
    public mutating func skipName() throws(WireError) {
        try walkName { _ in }
    }

    /// Visits each label (length octet included, root excluded) of the name at the cursor.
    @inlinable
    mutating func walkName(_ visit: (UnsafeRawBufferPointer) -> Void) throws(WireError) {
        let start = offset
        var position = offset
        var floor = offset          // a pointer must target an offset below this
        var resumeAt: Int? = nil    // where the cursor continues after the first pointer
        var length = 1              // the root octet
        while true {
            guard position < bytes.count else { throw .truncated(offset: position, needed: 1) }
            let octet = bytes[position]
            switch octet & 0xC0 {
            case 0x00:
                if octet == 0 {
                    offset = resumeAt ?? position + 1
                    return
                }
                let labelLength = Int(octet)
                guard position + 1 + labelLength <= bytes.count else {
                    throw .truncated(offset: position, needed: 1 + labelLength)
                }
                length += 1 + labelLength
                guard length <= DomainName.maxWireLength else { throw .nameTooLong(offset: start) }
                visit(UnsafeRawBufferPointer(rebasing: bytes[position..<(position + 1 + labelLength)]))
                position += 1 + labelLength
            case 0xC0:
                guard position + 1 < bytes.count else { throw .truncated(offset: position, needed: 2) }
                let target = Int(octet & 0x3F) << 8 | Int(bytes[position + 1])
                // Pointers go strictly backwards (no loops) and never into the header.
                guard target < floor, target >= Header.size else {
                    throw .badPointer(offset: position, target: target)
                }
                if resumeAt == nil { resumeAt = position + 2 }
                floor = target
                position = target
            default:
                throw .badLabelType(offset: position)
            }
        }
    }
}
