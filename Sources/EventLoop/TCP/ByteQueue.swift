/// A growable byte buffer with a read and a write index: a connection's input (frames being assembled) or
/// output (replies the peer has not read yet). Public so every TCP user — the server's connections and the
/// forwarder's upstream connections — frames and buffers bytes the same way.
///
/// Noncopyable because it owns its memory. It starts unallocated, grows by doubling (compacting first), and
/// `clear(shrinkingAbove:)` gives large buffers back once empty, so ten thousand quiet connections cost little
/// memory even after some of them carried 64 KB frames.
package struct ByteQueue: ~Copyable {
    package private(set) var base: UnsafeMutableRawPointer?
    package private(set) var capacity = 0
    package private(set) var readIndex = 0
    package private(set) var writeIndex = 0

    package init() {}

    deinit { base?.deallocate() }

    /// Bytes written and not yet consumed.
    package var readableBytes: Int { writeIndex - readIndex }
    /// Room after the write index.
    package var writableBytes: Int { capacity - writeIndex }

    /// The unconsumed bytes. Valid until the next mutating call.
    package var readableRegion: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base.map { $0 + readIndex }, count: readableBytes)
    }

    /// The room after the write index. Valid until the next mutating call.
    package var writableRegion: UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: base.map { $0 + writeIndex }, count: writableBytes)
    }

    /// Makes at least `count` bytes writable, compacting before growing.
    /// - Complexity: O(readable bytes) when it compacts or grows, else O(1).
    package mutating func reserveWritable(_ count: Int) {
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
    package mutating func didWrite(_ count: Int) {
        precondition(count >= 0 && count <= writableBytes)
        writeIndex += count
    }

    /// Consumes `count` readable bytes.
    package mutating func didRead(_ count: Int) {
        precondition(count >= 0 && count <= readableBytes)
        readIndex += count
        // Once drained, start again at the front: no compaction copy on the next write.
        if readIndex == writeIndex {
            readIndex = 0
            writeIndex = 0
        }
    }

    /// True when nothing is waiting to be read.
    package var isEmpty: Bool { writeIndex == readIndex }

    /// Makes at least `count` bytes writable and returns the room after the write index.
    package mutating func writable(atLeast count: Int) -> UnsafeMutableRawBufferPointer {
        reserveWritable(count)
        return writableRegion
    }

    /// Overwrites two readable bytes, `offset` bytes after the read index, with `value` in
    /// network order (the forwarder sets a queued query's ID this way).
    package mutating func setUInt16(_ value: UInt16, atReadableOffset offset: Int) {
        precondition(offset >= 0 && offset + 2 <= readableBytes)
        base?.storeBytes(of: value.bigEndian, toByteOffset: readIndex + offset, as: UInt16.self)
    }

    /// Appends a 2-byte big-endian length and `bytes` (a DNS-over-TCP frame).
    package mutating func appendFrame(_ bytes: UnsafeRawBufferPointer) {
        reserveWritable(2 + bytes.count)
        guard let base else { return }
        base.storeBytes(of: UInt16(bytes.count).bigEndian, toByteOffset: writeIndex, as: UInt16.self)
        if let source = bytes.baseAddress, bytes.count > 0 {
            (base + writeIndex + 2).copyMemory(from: source, byteCount: bytes.count)
        }
        writeIndex += 2 + bytes.count
    }

    /// Empties the buffer; frees its memory when the capacity is above `limit` (it grew for a large frame).
    package mutating func clear(shrinkingAbove limit: Int) {
        readIndex = 0
        writeIndex = 0
        if capacity > limit {
            base?.deallocate()
            base = nil
            capacity = 0
        }
    }
}
