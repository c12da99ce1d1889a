import ClusterDNSCSystem

/// Why a connection closed (each reason has its counter; all count in `tcpClosed`).
enum TCPCloseReason {
    case finished  // peer sent EOF and every reply was written, or a drain completed
    case idle
    case evicted
    case error  // reset, broken pipe, or another socket error
    case shutdown  // the worker stopped
}

/// One accepted DNS-over-TCP connection (RFC 7766): assembles length-prefixed frames from partial reads, hands
/// each complete frame to the handler (several may be pipelined), queues replies in the order they complete
/// and writes them as the peer reads.
///
/// Backpressure: the connection is not read while it has `maxInFlightPerConnection` queries awaiting a late
/// reply, or more than `maxPendingOutputBytes` of replies its peer has not read. It resumes by itself when a
/// reply is delivered or the output drains. A peer that neither reads nor writes makes no activity and is
/// closed by the idle sweep; it never holds up the worker, whose sockets are all non-blocking.
///
/// Errno policy:
/// | call | errno | policy |
/// | --- | --- | --- |
/// | recv | EAGAIN | wait for readiness |
/// | recv | 0 bytes | peer half-closed: answer what was received, then close |
/// | recv | fewer bytes than asked | the socket is drained: stop reading until epoll reports more; if epoll also
///   reported `EPOLLRDHUP`, the peer's FIN came before this read, so the input is complete: answer, then close
///   without another `recv` |
/// | recv, send | ECONNRESET, EPIPE, ETIMEDOUT, other | close, count `tcpErrors` |
/// | send | EAGAIN | keep the rest, watch `EPOLLOUT` |
/// | epoll | EPOLLERR, EPOLLHUP | close, count `tcpErrors` (replies can no longer be delivered) |
final class TCPConnection: IOHandler {
    let fd: Int32
    let target: TCPReplyTarget
    let handler: any StreamHandler
    // unowned(unsafe): the worker owns the connection table that owns this connection, and outlives it.
    unowned(unsafe) let worker: Worker

    var input = ByteQueue()
    var output = ByteQueue()
    /// Queries handed to the handler that answered `.later` and have not been delivered or abandoned.
    var inFlight = 0
    /// Monotonic nanoseconds of the last byte read or written.
    var lastActivity: UInt64
    /// LRU links (slot indices; -1 at the ends), maintained by `TCPConnectionTable`.
    var newer = -1
    var older = -1

    /// What the connection is registered for; `EPOLLRDHUP` with `EPOLLIN`, so a read can tell that the
    /// peer has already half-closed.
    private var watching: IOEvents = TCPConnection.readEvents
    private var inputClosed = false
    private var draining = false
    private(set) var closed = false
    private var readPaused = false
    private var inService = false
    private var serviceAgain = false
    /// True during `handler.handleFrame`; replies delivered then are for a frame not yet counted in flight.
    private var handlingFrame = false
    private var repliesDeliveredWhileHandling = 0

    static let readEvents: IOEvents = [.readable, .readHangup]

    /// Buffers above this are freed once empty.
    private static let keptBufferCapacity = 16 * 1024

    init(fd: Int32, target: TCPReplyTarget, handler: any StreamHandler, worker: Worker, now: UInt64) {
        self.fd = fd
        self.target = target
        self.handler = handler
        self.worker = worker
        self.lastActivity = now
    }

    private var limits: TCPConfiguration { worker.configuration.tcp }

    /// May more bytes be read from the socket now?
    private var readAllowed: Bool {
        !inputClosed && !draining && !closed && inFlight < limits.maxInFlightPerConnection
            && output.readableBytes < limits.maxPendingOutputBytes
    }

    func ioReady(_ events: IOEvents) {
        if closed { return }
        if events.contains(.error) || events.contains(.hangup) {
            close(.error)
            return
        }
        inService = true
        if events.contains(.readable), readAllowed { readInput(peerHalfClosed: events.contains(.readHangup)) }
        runService()
    }

    /// Reads until the socket is drained (a short read or EAGAIN), EOF, backpressure or the per-wake-up read
    /// budget, processing frames as they complete.
    /// - Parameter peerHalfClosed: epoll reported `EPOLLRDHUP`: the peer's FIN arrived before these reads.
    private func readInput(peerHalfClosed: Bool) {
        var reads = 0
        while reads < limits.maxReadsPerWakeup, readAllowed {
            reads += 1
            // Room for the rest of the frame being assembled (so a 64 KB frame needs few reads), at least 2 KB.
            var wanted = 2048
            if input.readableBytes >= 2 {
                let length = Int(UInt16(bigEndian: input.readableRegion.loadUnaligned(as: UInt16.self)))
                wanted = max(wanted, 2 + length - input.readableBytes)
            }
            input.reserveWritable(wanted)
            let offered = input.writableRegion.count
            let result: IOResult<Int>
            do {
                result = try Syscall.recv(fd: fd, buffer: input.writableRegion, flags: 0)
            } catch {
                close(.error)
                return
            }
            switch result {
            case .wouldBlock:
                return
            case .processed(0):
                inputClosed = true
                return
            case .processed(let count):
                input.didWrite(count)
                worker.connections.touch(self, now: worker.loop.now.nanoseconds)
                processFrames()
                if closed { return }
                if count < offered {
                    // Drained: level-triggered epoll reports anything that arrives later, so the read that would
                    // return EAGAIN is skipped. With the FIN already in (one query, then shutdown or close, as
                    // glibc's TCP fallback can do), the input is complete: no read for the EOF either.
                    if peerHalfClosed { inputClosed = true }
                    return
                }
            }
        }
    }

    /// Hands every complete buffered frame to the handler while the limits allow. Frames point into `input`,
    /// which is neither compacted nor grown until the loop ends.
    private func processFrames() {
        var handled: UInt64 = 0
        while !closed, !draining, inFlight < limits.maxInFlightPerConnection,
            output.readableBytes < limits.maxPendingOutputBytes, input.readableBytes >= 2
        {
            let region = input.readableRegion
            let length = Int(UInt16(bigEndian: region.loadUnaligned(as: UInt16.self)))
            guard region.count >= 2 + length else { break }
            let frame = UnsafeRawBufferPointer(rebasing: region[2..<(2 + length)])
            input.didRead(2 + length)
            handled &+= 1
            let response = worker.tcpResponseBuffer
            handlingFrame = true
            repliesDeliveredWhileHandling = 0
            let reply = handler.handleFrame(frame, from: target, response: response)
            handlingFrame = false
            switch reply {
            case .now(let replyLength):
                precondition(replyLength > 0 && replyLength <= response.count, "a StreamHandler returned a reply length out of range")
                output.appendFrame(UnsafeRawBufferPointer(rebasing: response[0..<replyLength]))
                worker.counters.tcpFramesSent &+= 1
            case .later:
                inFlight += 1
            case .drop:
                break
            }
            // Replies delivered through sendFrame during the call (for this frame before it returned .later,
            // or for earlier ones) settle queries only now that this frame is counted.
            if repliesDeliveredWhileHandling > 0 {
                inFlight -= min(inFlight, repliesDeliveredWhileHandling)
                repliesDeliveredWhileHandling = 0
            }
        }
        worker.counters.tcpFramesReceived &+= handled
        if input.readableBytes == 0 { input.clear(shrinkingAbove: Self.keptBufferCapacity) }
    }

    /// Queues a late reply and writes it (called by `Worker.sendFrame`).
    func deliver(_ bytes: UnsafeRawBufferPointer) {
        if handlingFrame { repliesDeliveredWhileHandling += 1 } else if inFlight > 0 { inFlight -= 1 }
        output.appendFrame(bytes)
        worker.counters.tcpFramesSent &+= 1
        serviceFromOutside()
    }

    /// Queues one leading message of a reply made of several (a zone transfer), sent while its query
    /// is still being answered: written in order before the reply's last message, settling no query.
    func deliverPart(_ bytes: UnsafeRawBufferPointer) {
        output.appendFrame(bytes)
        worker.counters.tcpFramesSent &+= 1
        serviceFromOutside()
    }

    /// Forgets one in-flight query that will never be answered (called by `Worker.abandonFrame`).
    func abandon() {
        if inFlight > 0 { inFlight -= 1 }
        serviceFromOutside()
    }

    /// Stops taking new queries; closes once the queries in flight are answered and written.
    func beginDrain() {
        draining = true
        serviceFromOutside()
    }

    private func serviceFromOutside() {
        if inService {
            serviceAgain = true
            return
        }
        inService = true
        runService()
    }

    /// Processes frames that waited for room, writes output, closes when finished, and updates the epoll
    /// interest. Re-runs while a handler call made more work. Requires `inService`.
    private func runService() {
        repeat {
            serviceAgain = false
            if closed { break }
            processFrames()
            flushOutput()
            if closed { break }
            if (inputClosed || draining), inFlight == 0, output.readableBytes == 0 {
                close(.finished)
                break
            }
            updateInterest()
        } while serviceAgain
        inService = false
    }

    private func flushOutput() {
        while output.readableBytes > 0 {
            let result: IOResult<Int>
            do {
                result = try Syscall.send(fd: fd, buffer: output.readableRegion, flags: Int32(MSG_NOSIGNAL))
            } catch {
                close(.error)
                return
            }
            guard case .processed(let count) = result else { break }
            output.didRead(count)
            worker.connections.touch(self, now: worker.loop.now.nanoseconds)
        }
        if output.readableBytes == 0 { output.clear(shrinkingAbove: Self.keptBufferCapacity) }
    }

    private func updateInterest() {
        let canRead = readAllowed
        if !canRead, !readPaused, !inputClosed, !draining {
            worker.counters.tcpReadPauses &+= 1
        }
        readPaused = !canRead
        var wanted: IOEvents = []
        if canRead { wanted.formUnion(Self.readEvents) }
        if output.readableBytes > 0 { wanted.insert(.writable) }
        guard wanted != watching else { return }
        do {
            try worker.loop.modify(fd: fd, events: wanted)
            watching = wanted
        } catch {
            close(.error)  // ENOMEM from epoll_ctl: the connection cannot be served.
        }
    }

    /// Unregisters and closes the socket, frees the slot, counts, and tells the handler. Safe to call from
    /// inside this connection's own processing: buffers stay valid until the object is released.
    func close(_ reason: TCPCloseReason) {
        guard !closed else { return }
        closed = true
        // The connection's descriptor is this process's alone (accept4 with SOCK_CLOEXEC): closing it leaves the
        // epoll set by itself, so no EPOLL_CTL_DEL.
        worker.loop.forgetBeforeClose(fd: fd)
        Syscall.close(fd: fd)
        worker.connections.remove(self)
        worker.counters.tcpClosed &+= 1
        switch reason {
        case .idle: worker.counters.tcpIdleClosed &+= 1
        case .evicted: worker.counters.tcpEvicted &+= 1
        case .error: worker.counters.tcpErrors &+= 1
        case .finished, .shutdown: break
        }
        handler.connectionClosed(target)
    }
}
