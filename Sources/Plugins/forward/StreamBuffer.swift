/// A growable byte buffer with read and write indexes, for one upstream TCP connection's input
/// (frames being assembled) or output (queries the upstream has not read yet).
///
/// Noncopyable because it owns its memory; starts unallocated and grows by doubling (compacting
/// first), so an idle pooled connection costs nothing until it carries a query.
struct StreamBuffer: ~Copyable {
    private(set) var base: UnsafeMutableRawPointer?
    private(set) var capacity = 0
    private(set) var readIndex = 0
    private(set) var writeIndex = 0

    init() {}

    deinit { base?.deallocate() }

    var readableBytes: Int { writeIndex - readIndex }
    var isEmpty: Bool { writeIndex == readIndex }

    /// The unconsumed bytes; valid until the next mutating call.
    var readable: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base.map { $0 + readIndex }, count: readableBytes)
    }

    /// Room after the write index, at least `count` octets; valid until the next mutating call.
    mutating func writable(atLeast count: Int) -> UnsafeMutableRawBufferPointer {
        reserve(count)
        return UnsafeMutableRawBufferPointer(start: base.map { $0 + writeIndex }, count: capacity - writeIndex)
    }

    mutating func didWrite(_ count: Int) {
        precondition(count >= 0 && writeIndex + count <= capacity)
        writeIndex += count
    }

    mutating func didRead(_ count: Int) {
        precondition(count >= 0 && count <= readableBytes)
        readIndex += count
        if readIndex == writeIndex {
            readIndex = 0
            writeIndex = 0
        }
    }

    /// Appends a two-octet length and `message` (RFC 7766 framing).
    mutating func appendFrame(_ message: UnsafeRawBufferPointer) {
        reserve(2 + message.count)
        guard let base else { return }
        base.storeBytes(of: UInt16(message.count).bigEndian, toByteOffset: writeIndex, as: UInt16.self)
        if let source = message.baseAddress, message.count > 0 {
            (base + writeIndex + 2).copyMemory(from: source, byteCount: message.count)
        }
        writeIndex += 2 + message.count
    }

    /// Overwrites the 16-bit ID of a message whose first octet is `messageOffset` octets after the read index.
    mutating func patchID(_ id: UInt16, messageOffset: Int) {
        precondition(messageOffset >= 0 && messageOffset + 2 <= readableBytes)
        base?.storeBytes(of: id.bigEndian, toByteOffset: readIndex + messageOffset, as: UInt16.self)
    }

    private mutating func reserve(_ count: Int) {
        if capacity - writeIndex >= count { return }
        if readIndex > 0, let base {
            let live = readableBytes
            if live > 0 { base.copyMemory(from: base + readIndex, byteCount: live) }
            readIndex = 0
            writeIndex = live
            if capacity - writeIndex >= count { return }
        }
        var newCapacity = max(capacity * 2, 1024)
        while newCapacity - writeIndex < count { newCapacity *= 2 }
        let newBase = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 16)
        if let base {
            if writeIndex > 0 { newBase.copyMemory(from: base, byteCount: writeIndex) }
            base.deallocate()
        }
        base = newBase
        capacity = newCapacity
    }
}
