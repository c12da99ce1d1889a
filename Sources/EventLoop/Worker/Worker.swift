import ClusterDNSCSystem

/// One worker thread with its own `EventLoop`, UDP and TCP sockets, buffers and counters: nothing on its query
/// path is shared with another worker, so it takes no lock.
///
/// Lifecycle: create it, add listeners (`listenUDP`, `listenTCP`) and any other descriptors on its `loop`
/// from the setting-up thread, then `start()`. From then on its state belongs to its thread: other threads talk
/// to it only through `loop.execute { }`, `stop(drainFor:)` and `counters`. `join()` waits for the thread.
///
/// Handlers get the worker (they are made per worker) and reply later with `sendDatagram(_:to:)` and
/// `sendFrame(_:to:)` on the worker's thread. A handler should hold its worker `unowned`, since the worker
/// holds the handler.
package final class Worker: @unchecked Sendable {
    // @unchecked Sendable: every mutable member is confined to the worker's thread once `start()` has run
    // (pthread_create orders the setup before it), except `publishedCounters` (atomics) and the loop's
    // thread-safe `execute`/`stop`. `exitError` is read only after `join()`.

    /// The worker's number in its group, 0-based; reply targets carry it.
    package let index: Int
    /// The worker's event loop: register upstream sockets and timers here (on the worker's thread).
    package let loop: EventLoop
    /// This worker's sizes and limits (`tcp.maxConnections` is this worker's share).
    package let configuration: WorkerConfiguration

    var counters = WorkerCounters()
    private let publishedCounters = PublishedCounters()
    let connections: TCPConnectionTable
    private var udpListeners: [any UDPListenerProtocol] = []
    private var tcpListeners: [TCPListener] = []
    private var queuedUDPReplies = false
    private var draining = false
    private var drainTimer: TimerID?
    private var idleSweepScheduled = false
    private var thread: pthread_t?
    private var cpu: Int?
    private var hook: IterationHook?

    /// The error that ended the worker's loop, if any; read it after `join()`.
    package private(set) var exitError: SystemError?
    /// The errno of a failed CPU pinning (the worker then runs unpinned), if any; read it after `join()`.
    package private(set) var pinningError: Int32?

    private var udpBuffersStorage: UDPBatchBuffers?
    private var tcpResponseStorage: UnsafeMutableRawBufferPointer?

    /// Creates the worker and its loop; no thread yet.
    /// - Parameters:
    ///   - index: its number in the group.
    ///   - configuration: sizes and limits; `tcp.maxConnections` is this worker's share.
    ///   - cpu: the CPU to pin its thread to, or `nil` to let the scheduler choose.
    package init(index: Int, configuration: WorkerConfiguration = WorkerConfiguration(), cpu: Int? = nil) throws(SystemError) {
        self.index = index
        self.configuration = configuration
        self.cpu = cpu
        self.loop = try EventLoop(maxEventsPerWait: configuration.maxEventsPerWait)
        self.connections = TCPConnectionTable(capacity: configuration.tcp.maxConnections)
        let hook = IterationHook()
        self.hook = hook
        hook.worker = self
        loop.addIterationObserver(hook)
    }

    deinit {
        tcpResponseStorage?.deallocate()
    }

    var udpBuffers: UDPBatchBuffers {
        if let udpBuffersStorage { return udpBuffersStorage }
        let buffers = UDPBatchBuffers(configuration: configuration.udp)
        udpBuffersStorage = buffers
        return buffers
    }

    var tcpResponseBuffer: UnsafeMutableRawBufferPointer {
        if let tcpResponseStorage { return tcpResponseStorage }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65535, alignment: 16)
        tcpResponseStorage = buffer
        return buffer
    }

    // MARK: listeners

    /// Opens this worker's UDP socket on `address` and serves it with `handler`.
    /// Call before `start()` or on the worker's thread.
    /// - Returns: the bound address (with the real port when `address.port` is 0).
    /// - Throws: `SystemError` naming the address, e.g. `bind(0.0.0.0:53/udp): Permission denied (EACCES) — …`.
    @discardableResult
    package func listenUDP<Handler: DatagramHandler>(on address: SocketAddress, handler: Handler) throws(SystemError) -> SocketAddress {
        try listenUDP(on: address, handler: handler, io: SystemDatagramIO())
    }

    /// Like `listenUDP(on:handler:)` with the batch I/O given (tests inject faults through it).
    @discardableResult
    package func listenUDP<Handler: DatagramHandler, IO: DatagramIO>(on address: SocketAddress, handler: Handler, io: IO) throws(SystemError) -> SocketAddress {
        let (fd, bound, packetInfo) = try ListeningSocket.makeUDP(address: address, configuration: configuration.udp)
        let listener = UDPListener(
            fd: fd, index: udpListeners.count, boundAddress: bound, usesPacketInfo: packetInfo, handler: handler, io: io, worker: self)
        do {
            try listener.startReading()
        } catch {
            Syscall.close(fd: fd)
            throw error.with(subject: "\(address)/udp")
        }
        udpListeners.append(listener)
        return bound
    }

    /// Opens this worker's listening TCP socket on `address` and serves its connections with `handler`.
    /// Call before `start()` or on the worker's thread.
    /// - Returns: the bound address (with the real port when `address.port` is 0).
    @discardableResult
    package func listenTCP(on address: SocketAddress, handler: some StreamHandler) throws(SystemError) -> SocketAddress {
        let (fd, bound) = try ListeningSocket.makeTCP(address: address, backlog: configuration.tcp.listenBacklog)
        let listener = TCPListener(fd: fd, boundAddress: bound, handler: handler, worker: self)
        do {
            try listener.startAccepting()
        } catch {
            Syscall.close(fd: fd)
            throw error.with(subject: "\(address)/tcp")
        }
        tcpListeners.append(listener)
        _ = tcpResponseBuffer
        scheduleIdleSweep()
        return bound
    }

    // MARK: replies from outside a handler call

    /// Sends a UDP reply later than the batch its query came in (an upstream answered): the bytes are copied
    /// into the listener's queue and leave with the other queued replies in one `sendmmsg` at the end of this
    /// loop iteration. Call on this worker's thread.
    /// - Returns: false when refused (listener closed, reply empty or above `maxResponseSize`); counted.
    /// - Complexity: O(bytes) copy. Allocation-free once the queue exists.
    @discardableResult
    package func sendDatagram(_ bytes: UnsafeRawBufferPointer, to target: UDPReplyTarget) -> Bool {
        precondition(target.workerIndex == index, "a UDP reply must be sent by the worker that received the query")
        guard target.listenerIndex < udpListeners.count else {
            counters.udpAsyncRefused &+= 1
            return false
        }
        return udpListeners[target.listenerIndex].queueReply(bytes, to: target)
    }

    /// Sends a late TCP reply (the loop adds the length prefix); it is written at once if the peer reads.
    /// Call on this worker's thread.
    /// - Returns: false when the connection has closed meanwhile (counted in `tcpLateRepliesDropped`) or the
    ///   reply is above 65535 bytes.
    @discardableResult
    package func sendFrame(_ bytes: UnsafeRawBufferPointer, to target: TCPReplyTarget) -> Bool {
        guard let connection = connection(for: target, sending: bytes.count) else { return false }
        connection.deliver(bytes)
        return true
    }

    /// Queues a leading message of a multi-message TCP reply (RFC 5936 zone transfers) on the
    /// connection of `target`, before the reply's last message, which settles the query as any
    /// reply does. False when the connection is gone or the message exceeds 65 535 octets.
    @discardableResult
    package func sendFramePart(_ bytes: UnsafeRawBufferPointer, to target: TCPReplyTarget) -> Bool {
        guard let connection = connection(for: target, sending: bytes.count) else { return false }
        connection.deliverPart(bytes)
        return true
    }

    /// The open connection of `target` for a message of `count` octets; nil (counted in
    /// `tcpLateRepliesDropped`) when it has closed or the message cannot be framed.
    private func connection(for target: TCPReplyTarget, sending count: Int) -> TCPConnection? {
        precondition(target.workerIndex == index, "a TCP reply must be sent by the worker that owns the connection")
        guard count <= 65535, let connection = connections.connection(for: target) else {
            counters.tcpLateRepliesDropped &+= 1
            return nil
        }
        return connection
    }

    /// Gives up on a query answered `.later` that will get no reply, freeing its in-flight place.
    package func abandonFrame(for target: TCPReplyTarget) {
        precondition(target.workerIndex == index, "abandonFrame must run on the worker that owns the connection")
        connections.connection(for: target)?.abandon()
    }

    func noteQueuedReplies() { queuedUDPReplies = true }

    // MARK: counters

    /// The counters as last published by the worker (once per loop iteration). Thread-safe.
    package var counterSnapshot: WorkerCounters { publishedCounters.snapshot() }

    /// Open TCP connections (worker's thread only).
    package var openConnectionCount: Int { connections.count }

    // MARK: thread

    /// Starts the worker's thread: names it, pins it if asked, blocks the process signals in it, runs the loop.
    /// - Throws: `SystemError` from `pthread_create` (EAGAIN: thread limit).
    package func start() throws(SystemError) {
        precondition(thread == nil, "a worker starts once")
        let context = Unmanaged.passRetained(self).toOpaque()
        var handle = pthread_t()
        let result = pthread_create(&handle, nil, { argument in
            guard let argument else { return nil }
            let worker = Unmanaged<Worker>.fromOpaque(argument).takeRetainedValue()
            worker.threadMain()
            return nil
        }, context)
        if result != 0 {
            Unmanaged<Worker>.fromOpaque(context).release()
            throw SystemError(errno: result, call: "pthread_create")
        }
        thread = handle
    }

    /// Waits for the thread to end (after `stop(drainFor:)` or `loop.stop()`).
    package func join() {
        guard let thread else { return }
        pthread_join(thread, nil)
        self.thread = nil
    }

    private func threadMain() {
        Signals.blockProcessSignalsInCurrentThread()
        _ = "clusterdns-w\(index)".withCString { CSystem_name_current_thread($0) }
        if let cpu {
            let result = CSystem_pin_current_thread(Int32(cpu))
            if result != 0 { pinningError = result }
        }
        do {
            try loop.run()
        } catch {
            exitError = error
        }
        closeEverything()
        publishedCounters.publish(counters)
    }

    // MARK: stopping

    /// Stops gracefully: no new connections or queries, replies in flight still go out for up to `drainFor`,
    /// then everything closes and the thread ends. Thread-safe; returns at once (use `join()` to wait).
    package func stop(drainFor: Duration) {
        loop.execute { [self] in beginDrain(timeout: drainFor) }
    }

    private func beginDrain(timeout: Duration) {
        guard !draining else { return }
        draining = true
        for listener in tcpListeners { listener.close() }
        for listener in udpListeners { listener.stopReading() }
        for connection in connections.all { connection.beginDrain() }
        drainTimer = loop.schedule(after: timeout) { [unowned self] in
            drainTimer = nil
            finishDrain()
        }
        checkDrained()
    }

    private func checkDrained() {
        guard draining, connections.count == 0 else { return }
        for listener in udpListeners where listener.pendingReplies > 0 || listener.hasQueuedReplies { return }
        finishDrain()
    }

    private func finishDrain() {
        if let drainTimer { loop.cancel(drainTimer) }
        drainTimer = nil
        closeEverything()
        loop.stop()
    }

    private func closeEverything() {
        for connection in connections.all { connection.close(.shutdown) }
        for listener in tcpListeners { listener.close() }
        for listener in udpListeners { listener.close() }
    }

    // MARK: per-iteration work

    fileprivate func iterationDidEnd() {
        if queuedUDPReplies {
            queuedUDPReplies = false
            for listener in udpListeners where listener.hasQueuedReplies { listener.flushQueuedReplies() }
        }
        if draining { checkDrained() }
        publishedCounters.publish(counters)
    }

    private func scheduleIdleSweep() {
        guard !idleSweepScheduled else { return }
        idleSweepScheduled = true
        let timeout = configuration.tcp.idleTimeout.clampedNanoseconds
        // Sweep four times per timeout (at most once a second): a connection lives at most 1.25× the timeout.
        let interval = Duration.nanoseconds(Int64(min(max(timeout / 4, 5_000_000), 1_000_000_000)))
        loop.schedule(after: interval) { [unowned self] in
            idleSweepScheduled = false
            sweepIdleConnections(timeout: timeout)
            if !draining || connections.count > 0 { scheduleIdleSweep() }
        }
    }

    /// Closes connections idle for `timeout`, walking from the cold end of the LRU list.
    /// - Complexity: O(connections closed or refreshed).
    private func sweepIdleConnections(timeout: UInt64) {
        let now = loop.now.nanoseconds
        while let connection = connections.oldestConnection, connection.lastActivity &+ timeout <= now {
            if connection.inFlight > 0 {
                // Waiting on us (an upstream), not on the peer: not idle.
                connections.touch(connection, now: now)
            } else {
                connection.close(.idle)
            }
        }
    }
}

/// Tells the worker that a loop iteration ended. Holds the worker unowned: the worker owns the loop that owns
/// this hook, so the hook cannot outlive it.
private final class IterationHook: EventLoopIterationObserver {
    unowned(unsafe) var worker: Worker?
    func eventLoopIterationDidEnd() { worker?.iterationDidEnd() }
}
