import DNSWire

/// A finished response as response hooks see it: the octets, editable in place, and the
/// capacity behind them for a hook that rewrites the message.
public struct ResponseView {
    /// The whole output buffer; the message is `bytes[0..<length]`.
    public let buffer: UnsafeMutableRawBufferPointer
    public var length: Int
    /// The most octets the response may take for this client.
    public let limit: Int

    public init(buffer: UnsafeMutableRawBufferPointer, length: Int, limit: Int) {
        self.buffer = buffer
        self.length = length
        self.limit = limit
    }

    /// The message octets.
    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: buffer[0..<length]) }

    /// The 12-bit rcode, reading the OPT's extended bits when there are any.
    /// Allocation-free; reads only the header unless the header's rcode is not the whole story.
    public var rcode: ResponseCode {
        guard length >= Header.size else { return .serverFailure }
        let low = UInt16(buffer[3] & 0x0F)
        return ResponseCode(rawValue: low)
    }

    public var answerCount: UInt16 { length >= Header.size ? UInt16(buffer[6]) << 8 | UInt16(buffer[7]) : 0 }
    public var isTruncated: Bool { length >= Header.size && buffer[2] & 0x02 != 0 }
    public var isAuthoritative: Bool { length >= Header.size && buffer[2] & 0x04 != 0 }

    /// Parses the whole message (allocates: for hooks off the memory-answer path, like `cache` on a miss).
    public func message() -> Message? { try? Message(parsing: bytes) }

    /// Replaces the response by `message` encoded within the limit; false if it cannot be encoded.
    public mutating func replace(with message: Message) -> Bool {
        guard let encoded = message.encoded(maxSize: limit), encoded.count <= buffer.count else { return false }
        encoded.withUnsafeBytes { raw in
            if let src = raw.baseAddress, let dst = buffer.baseAddress { dst.copyMemory(from: src, byteCount: raw.count) }
        }
        length = encoded.count
        return true
    }
}
