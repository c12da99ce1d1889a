/// A growable byte buffer with a read and a write index: a connection's input (frames being assembled) or
/// output (replies the peer has not read yet).
///
/// Noncopyable because it owns its memory. It starts unallocated, grows by doubling (compacting first), and
/// `clear(shrinkingAbove:)` gives large buffers back once empty, so ten thousand quiet connections cost little
/// memory even after some of them carried 64 KB frames.
struct ByteQueue: ~Copyable {
    private(set) var base: UnsafeMutableRawPointer?
    private(set) var capacity = 0
    private(set) var readIndex = 0
    private(set) var writeIndex = 0

    init() {}

    deinit { base?.deallocate() }

    /// Bytes written and not yet consumed.
    var readableBytes: Int { writeIndex - readIndex }
    /// Room after the write index.
    var writableBytes: Int { capacity - writeIndex }

    /// The unconsumed bytes. Valid until the next mutating call.
    var readableRegion: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base.map { $0 + readIndex }, count: readableBytes)
    }

    /// The room after the write index. Valid until the next mutating call.
    var writableRegion: UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: base.map { $0 + writeIndex }, count: writableBytes)
    }

    /// Makes at least `count` bytes writable, compacting before growing.
    /// - Complexity: O(readable bytes) when it compacts or grows, else O(1).
    mutating func reserveWritable(_ count: Int) {
        if writableBytes >= count { return }
        if readIndex > 0, let base {
            let live = readableBytes
            if live > 0 { base.copyMemory(from: base + readIndex, byteCount: live) }
            readIndex = 0
            writeIndex = live
            if writableBytes >= count { return }
        }
        var newCapacity = max(capacity * 2, 512)
        while newCapacity - writeIndex < count { newCapacity *= 2 }
        let newBase = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 16)
        if let base {
            if writeIndex > 0 { newBase.copyMemory(from: base, byteCount: writeIndex) }
            base.deallocate()
        }
        base = newBase
        capacity = newCapacity
    }

    /// Marks `count` bytes after the write index as written (after a `read` into `writableRegion`).
    mutating func didWrite(_ count: Int) {
        precondition(count >= 0 && count <= writableBytes)
        writeIndex += count
    }

    /// Consumes `count` readable bytes.
    mutating func didRead(_ count: Int) {
        precondition(count >= 0 && count <= readableBytes)
        readIndex += count
    }

    /// Appends a 2-byte big-endian length and `bytes` (a DNS-over-TCP frame).
    mutating func appendFrame(_ bytes: UnsafeRawBufferPointer) {
        reserveWritable(2 + bytes.count)
        guard let base else { return }
        base.storeBytes(of: UInt16(bytes.count).bigEndian, toByteOffset: writeIndex, as: UInt16.self)
        if let source = bytes.baseAddress, bytes.count > 0 {
            (base + writeIndex + 2).copyMemory(from: source, byteCount: bytes.count)
        }
        writeIndex += 2 + bytes.count
    }

    /// Empties the buffer; frees its memory when the capacity is above `limit` (it grew for a large frame).
    mutating func clear(shrinkingAbove limit: Int) {
        readIndex = 0
        writeIndex = 0
        if capacity > limit {
            base?.deallocate()
            base = nil
            capacity = 0
        }
    }
}
