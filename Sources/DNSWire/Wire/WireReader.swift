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

    @inlinable @inline(__always) func require(_ n: Int) throws(WireError) {
        guard n <= bytes.count - offset else { throw .truncated(offset: offset, needed: n) }
    }

    @inlinable public mutating func readUInt8() throws(WireError) -> UInt8 {
        try require(1)
        defer { offset += 1 }
        return bytes[offset]
    }

    @inlinable @inline(__always) public mutating func readUInt16() throws(WireError) -> UInt16 {
        try require(2)
        defer { offset &+= 2 }
        return UInt16(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
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

    /// Reads the 12-octet header: one bounds check, then six loads (each field through
    /// `readUInt16` would check the bounds six more times, and was a call on every query).
    @inlinable
    public mutating func readHeader() throws(WireError) -> Header {
        try require(Header.size)
        let base = offset
        @inline(__always) func field(_ k: Int) -> UInt16 {
            UInt16(bigEndian: bytes.loadUnaligned(fromByteOffset: base &+ 2 &* k, as: UInt16.self))
        }
        offset = base &+ Header.size
        return Header(id: field(0), flags: field(1), questionCount: field(2),
                      answerCount: field(3), authorityCount: field(4), additionalCount: field(5))
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
