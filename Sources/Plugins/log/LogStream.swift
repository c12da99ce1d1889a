#if canImport(Glibc)
import Glibc
#endif
import SystemCalls
import Synchronization

/// Lines bound for standard output (CoreDNS logs queries and errors to stdout), written by one
/// thread of its own so that a worker never waits for the terminal, a pipe or a log collector.
///
/// Each worker formats its lines straight into a ring of its own (`LogRing`: one producer, one
/// consumer, no lock, no allocation). The writer thread wakes every `flushInterval`, takes what the
/// rings hold and writes it with `write(2)`. When stdout is slower than the queries, a ring fills
/// and further lines are dropped and counted (`droppedLines`), never waited for: a worker's latency
/// does not depend on the log's reader. Lines from other threads (an `errors` summary at shutdown)
/// go through a small locked queue with the same bound.
public final class LogStream: Sendable {
    /// The process's standard output.
    public static let standardOutput = LogStream(fd: 1)

    /// Octets each worker's ring holds: at 100 000 logged queries a second of ~120 octets, about
    /// 90 ms of output, several flush intervals.
    public static let ringCapacity = 1 << 20
    /// How often the writer thread drains the rings.
    public static let flushInterval: Duration = .milliseconds(10)

    let fd: Int32
    /// Whether `fd` was open when the stream was made. A closed stdout is the parent's choice, not
    /// our bug, so it is checked once here instead of letting `write` meet EBADF (which traps).
    private let outputIsOpen: Bool
    private let rings = Mutex<[Int: LogRing]>([:])
    private let pending = Mutex<(bytes: [UInt8], dropped: UInt64)>(([], 0))
    /// Held while draining, so the writer thread and `flush()` never consume a ring at once;
    /// true once `close()` ran: nothing is written after that.
    private let drainLock = Mutex<Bool>(false)
    private let writerStarted = Atomic<Bool>(false)
    private let writeErrors = Atomic<UInt64>(0)
    private let writtenBytes = Atomic<UInt64>(0)

    /// A stream on `fd`; tests use a pipe.
    public init(fd: Int32) {
        self.fd = fd
        self.outputIsOpen = Syscall.isOpen(fd: fd)
    }

    /// The ring of the worker with `index`, made (and the writer thread started) on first use.
    /// Called when handlers are built, not per query.
    public func ring(forWorker index: Int) -> LogRing {
        let ring = rings.withLock { rings in
            if let ring = rings[index] { return ring }
            let ring = LogRing(capacity: LogStream.ringCapacity)
            rings[index] = ring
            return ring
        }
        startWriter()
        return ring
    }

    /// Queues one line from a thread that is not a worker (the line gets its newline here).
    /// Dropped and counted when the queue is full.
    public func writeLine(_ line: String) {
        pending.withLock { pending in
            let size = line.utf8.count + 1
            guard pending.bytes.count + size <= LogStream.ringCapacity else {
                pending.dropped &+= 1
                return
            }
            pending.bytes.append(contentsOf: line.utf8)
            pending.bytes.append(UInt8(ascii: "\n"))
        }
        startWriter()
    }

    /// Lines dropped because a ring or the queue was full, since start.
    public var droppedLines: UInt64 {
        let fromRings = rings.withLock { rings in rings.values.reduce(UInt64(0)) { $0 &+ $1.droppedLines } }
        return fromRings &+ pending.withLock { $0.dropped }
    }

    /// Octets written to the file descriptor since start.
    public var bytesWritten: UInt64 { writtenBytes.load(ordering: .relaxed) }

    /// Writes out everything queued so far and returns when it is written (shutdown, tests).
    public func flush() {
        drain()
    }

    /// Writes what is queued, then stops writing for good (the writer thread ends at its next
    /// wake-up): the descriptor may be closed once this returns. For streams on descriptors
    /// that go away (tests); the standard output stream is never closed.
    public func close() {
        drain(closing: true)
    }

    // MARK: Writer thread

    private func startWriter() {
        guard writerStarted.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged else { return }
        do {
            try ServiceThread.start(name: "clusterdns-log") { [self] in writerMain() }
        } catch {
            // No thread (EAGAIN: the thread limit): lines stay queued until `flush()` writes them.
            writerStarted.store(false, ordering: .relaxed)
        }
    }

    private func writerMain() {
        // Every `flushInterval` while lines come; when idle, ten times less often, so an idle
        // server does not wake a hundred times a second for nothing.
        let busy = LogStream.flushInterval.components.attoseconds / 1_000_000_000 + LogStream.flushInterval.components.seconds * 1_000_000_000
        var pause = busy
        while true {
            Syscall.nanosleep(nanoseconds: pause)
            let before = writtenBytes.load(ordering: .relaxed)
            guard drain() else { return }
            pause = writtenBytes.load(ordering: .relaxed) == before ? min(pause * 2, busy * 10) : busy
        }
    }

    /// Writes what every ring and the queue hold now; false once the stream is closed.
    @discardableResult
    func drain(closing: Bool = false) -> Bool {
        drainLock.withLock { closed in
            if closed { return false }
            defer { if closing { closed = true } }
            let all = rings.withLock { rings in rings.keys.sorted().compactMap { rings[$0] } }
            for ring in all {
                ring.consume { bytes in write(bytes) }
            }
            let queued = pending.withLock { pending in
                let bytes = pending.bytes
                pending.bytes.removeAll(keepingCapacity: true)
                return bytes
            }
            if !queued.isEmpty { queued.withUnsafeBytes { write($0) } }
            return true
        }
    }

    /// Writes all of `bytes`, retrying short writes (EINTR is retried by `Syscall.write`). On any
    /// other error (stdout closed at the other end, a full disk) the rest is dropped and counted:
    /// there is nobody to tell.
    private func write(_ bytes: UnsafeRawBufferPointer) {
        guard outputIsOpen else {
            writeErrors.wrappingAdd(1, ordering: .relaxed)
            return
        }
        var offset = 0
        while offset < bytes.count {
            do {
                switch try Syscall.write(fd: fd, buffer: UnsafeRawBufferPointer(rebasing: bytes[offset...])) {
                case .processed(let n) where n > 0:
                    offset += n
                    writtenBytes.wrappingAdd(UInt64(n), ordering: .relaxed)
                case .processed:
                    writeErrors.wrappingAdd(1, ordering: .relaxed)
                    return
                case .wouldBlock:
                    // A non-blocking stdout that is full: wait until it takes more rather than spin.
                    _ = try Syscall.poll(fd: fd, events: Int16(POLLOUT), timeout: 100)
                }
            } catch {
                // EPIPE, EIO, ENOSPC: the output is gone or full for good.
                writeErrors.wrappingAdd(1, ordering: .relaxed)
                return
            }
        }
    }
}

/// One worker's log ring: the worker appends whole lines, the writer thread takes them.
///
/// Single producer, single consumer. `tail` (written by the producer) and `head` (written by the
/// consumer) only grow; a line is published by storing `tail` with release ordering after its
/// octets are written, and the consumer frees space by storing `head` with release ordering after
/// it wrote them out. Neither side ever waits for the other.
public final class LogRing: @unchecked Sendable {
    // @unchecked: `storage` is shared, but the producer writes only [tail, head + capacity) and the
    // consumer reads only [head, tail), and the acquire/release pairs on `head` and `tail` order
    // those accesses. `producerTail`, `droppedCount` are touched by the producer thread only.
    let storage: UnsafeMutablePointer<UInt8>
    let capacity: Int
    let mask: Int
    private let head = Atomic<Int>(0)
    private let tail = Atomic<Int>(0)
    private let dropped = Atomic<UInt64>(0)

    init(capacity: Int) {
        precondition(capacity > 0 && capacity & (capacity - 1) == 0, "ring capacity must be a power of two")
        self.capacity = capacity
        mask = capacity - 1
        storage = .allocate(capacity: capacity)
        storage.initialize(repeating: 0, count: capacity)
    }

    deinit { storage.deallocate() }

    /// Starts a line: room for at most the free space of the ring. Producer only.
    /// - Complexity: O(1), two atomic loads. Allocation-free.
    @inline(__always)
    public func beginLine() -> LogLine {
        let start = tail.load(ordering: .relaxed)
        let free = capacity - (start - head.load(ordering: .acquiring))
        return LogLine(storage: storage, mask: mask, start: start, limit: free)
    }

    /// Publishes a line written through `line` (a newline is appended), or drops it when it did
    /// not fit. Producer only. Returns false when dropped.
    @inline(__always)
    @discardableResult
    public func commit(_ line: inout LogLine) -> Bool {
        line.append(UInt8(ascii: "\n"))
        guard !line.overflowed else {
            dropped.store(dropped.load(ordering: .relaxed) &+ 1, ordering: .relaxed)
            return false
        }
        tail.store(line.start + line.count, ordering: .releasing)
        return true
    }

    /// Lines dropped for lack of room.
    public var droppedLines: UInt64 { dropped.load(ordering: .relaxed) }

    /// Octets waiting to be written.
    public var queuedBytes: Int { tail.load(ordering: .acquiring) - head.load(ordering: .relaxed) }

    /// Hands the committed octets to `body` (one or two contiguous pieces) and frees them.
    /// Consumer only.
    func consume(_ body: (UnsafeRawBufferPointer) -> Void) {
        let from = head.load(ordering: .relaxed)
        let to = tail.load(ordering: .acquiring)
        guard to > from else { return }
        let start = from & mask
        let count = to - from
        let first = min(count, capacity - start)
        body(UnsafeRawBufferPointer(start: storage + start, count: first))
        if count > first {
            body(UnsafeRawBufferPointer(start: storage, count: count - first))
        }
        head.store(to, ordering: .releasing)
    }
}

/// A line being written into a `LogRing`, octet by octet, wrapping around the ring's end.
/// Writing past the room it was given marks it overflowed; `commit` then drops it.
public struct LogLine {
    let storage: UnsafeMutablePointer<UInt8>
    let mask: Int
    let start: Int
    let limit: Int
    public private(set) var count = 0
    public private(set) var overflowed = false

    init(storage: UnsafeMutablePointer<UInt8>, mask: Int, start: Int, limit: Int) {
        self.storage = storage
        self.mask = mask
        self.start = start
        self.limit = limit
    }

    /// Appends one octet. Allocation-free.
    @inline(__always)
    public mutating func append(_ byte: UInt8) {
        guard count < limit else {
            overflowed = true
            return
        }
        storage[(start + count) & mask] = byte
        count += 1
    }

    /// Appends octets. Allocation-free.
    @inline(__always)
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard count + bytes.count <= limit else {
            overflowed = true
            return
        }
        for byte in bytes {
            storage[(start + count) & mask] = byte
            count += 1
        }
    }

    /// Appends a static text (a literal of the format). Allocation-free.
    @inline(__always)
    public mutating func append(_ text: StaticString) {
        append(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// Appends an unsigned decimal number, written in place from its last digit. Allocation-free.
    @inline(__always)
    public mutating func appendDecimal(_ value: UInt64) {
        var digits = 1
        var rest = value / 10
        while rest > 0 {
            digits += 1
            rest /= 10
        }
        guard count + digits <= limit else {
            overflowed = true
            return
        }
        var v = value
        var i = count + digits - 1
        repeat {
            storage[(start + i) & mask] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: v % 10)
            v /= 10
            i -= 1
        } while v > 0
        count += digits
    }

    /// Appends a signed decimal number. Allocation-free.
    @inline(__always)
    public mutating func appendDecimal(_ value: Int) {
        if value < 0 {
            append(UInt8(ascii: "-"))
            appendDecimal(UInt64(value.magnitude))
        } else {
            appendDecimal(UInt64(value))
        }
    }
}
