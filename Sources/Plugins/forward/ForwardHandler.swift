import DNSWire
import EventLoop

#if canImport(Glibc)
import Glibc
#endif

// How one forwarded query runs, on the worker thread that received it (no thread per query, no
// blocking call):
//
//   serve ─► slot (pooled) ─► advance: next upstream in policy order, skipping down ones
//              │                 └─ startAttempt: new random ID, UDP socket or TCP connection on
//              │                    this worker's epoll, a timer for min(read_timeout, deadline)
//              ▼
//   reply (checked: socket, ID, question) ─► complete: TC/prefer_udp retry, failover, next,
//              or relay to the client (ID and question case restored, truncated to its size)
//   error or timer ─► attemptFailed: health check kicked off, next upstream, or SERVFAIL
//
// This mirrors CoreDNS's `Forward.ServeDNS` loop, turned inside out into callbacks: the same
// order, the same caps (2 × upstreams attempts, 5 s per query), the same all-down behaviour.

/// `forward`'s per-worker handler: sends queries upstream and relays the answers.
///
/// Owns this worker's upstream sockets and connections, its query slots and counters; used only
/// on its worker's thread.
final class ForwardHandler: PluginHandler, TimerHandler {
    let plugin: ForwardPlugin
    let config: ForwardConfig
    let context: WorkerContext
    /// Nil when the chain runs in-process without a worker (`clusterdns simulate`): then forward
    /// answers SERVFAIL, since it has no event loop to wait on.
    let loop: EventLoop?
    /// The engine of this worker, captured on the first query (one per worker).
    unowned(unsafe) var engine: QueryEngine?
    let metrics: ForwardWorkerMetrics

    let fromWire: [UInt8]
    let exceptWires: [[UInt8]]
    let upstreamCount: Int
    let addresses: [SocketAddress]
    let maxFails: UInt32
    let maxAttempts: Int
    let readTimeoutNanoseconds: UInt64
    let expireNanoseconds: UInt64
    let maxAgeNanoseconds: UInt64?
    /// This worker's share of `max_concurrent` (0: unlimited); see `ForwardPlugin` for why a share.
    let concurrencyLimit: Int

    var slots: [ExchangeSlot] = []
    var freeSlots: [Int32] = []
    /// Queries outstanding upstream now.
    private(set) var active = 0
    var robin = 0
    var ids = SecureRandomPool()

    var udpIdle: [[UDPUpstreamSocket]]
    var spareUDPObjects: [UDPUpstreamSocket] = []
    var tcpPools: [[UpstreamTCPConnection]]
    var sweepScheduled = false
    var shutDown = false

    /// Where UDP answers are read; a copy of the query with its new ID is written to `sendBuffer`.
    let receiveBuffer: UnsafeMutableRawBufferPointer
    let sendBuffer: UnsafeMutableRawBufferPointer

    /// Queries outstanding at once on one TCP connection before another is opened (up to
    /// `tcpConnectionsPerUpstream`, after which the least busy connection takes more).
    static let pipelineDepth = 16
    /// TCP connections per upstream per worker before queries are pipelined beyond `pipelineDepth`.
    static let tcpConnectionsPerUpstream = 4
    /// How many exchanges one UDP socket carries, one after the other, before it is closed and a
    /// new one (with a new random source port) replaces it. Measured on this machine (forward to
    /// NSD on loopback, server CPU per query): 1 (a fresh socket per exchange) 24.5–25.3 µs,
    /// 4: 16.8 µs, 16: 12.4 µs, 64: 12.2 µs. Opening, registering and closing a socket costs about
    /// as much as the whole rest of a forwarded query, so sockets are reused 16 times: ports still
    /// turn over every 16 queries per socket, and a port an attacker learned is useless soon after.
    static let udpExchangesPerSocket = 16
    /// An idle UDP socket is closed after this long (or `expire`, if shorter), so a quiet server
    /// does not keep a known source port open for an attacker to aim at.
    static let udpIdleLimit: UInt64 = 2_000_000_000

    init(plugin: ForwardPlugin, context: WorkerContext, loop: EventLoop?) {
        self.plugin = plugin
        config = plugin.config
        self.context = context
        self.loop = loop
        upstreamCount = config.upstreams.count
        metrics = ForwardWorkerMetrics(upstreams: upstreamCount)
        fromWire = config.from.lowercased().wire
        exceptWires = config.except.map { $0.lowercased().wire }
        addresses = config.upstreams.map(\.address)
        maxFails = UInt32(clamping: config.maxFails)
        maxAttempts = config.effectiveMaxConnectAttempts
        readTimeoutNanoseconds = ForwardHandler.nanoseconds(config.readTimeout)
        expireNanoseconds = ForwardHandler.nanoseconds(config.expire)
        maxAgeNanoseconds = config.maxAge.map(ForwardHandler.nanoseconds)
        if config.maxConcurrent > 0 {
            let workers = max(context.workerCount, 1)
            concurrencyLimit = max(1, (config.maxConcurrent + workers - 1) / workers)
        } else {
            concurrencyLimit = 0
        }
        udpIdle = Array(repeating: [], count: upstreamCount)
        tcpPools = Array(repeating: [], count: upstreamCount)
        receiveBuffer = .allocate(byteCount: 65_536, alignment: 16)
        sendBuffer = .allocate(byteCount: 65_536, alignment: 16)
        slots.reserveCapacity(64)
        freeSlots.reserveCapacity(64)
    }

    deinit {
        receiveBuffer.deallocate()
        sendBuffer.deallocate()
    }

    static func nanoseconds(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0 else { return 0 }
        return UInt64(seconds) &* 1_000_000_000 &+ UInt64(attoseconds / 1_000_000_000)
    }

    // MARK: Serving

    func serve(_ request: Request, engine: QueryEngine) -> PluginResult {
        guard matches(request.questionName) else { return .next }
        guard loop != nil, !shutDown else {
            request.fail(loop == nil ? "no event loop to reach upstreams on (in-process)" : "plugin stopped")
            request.respond(rcode: .serverFailure)
            return .answered
        }
        self.engine = engine
        if concurrencyLimit > 0 && active >= concurrencyLimit {
            metrics.countReject()
            request.fail("concurrent queries exceeded maximum")
            request.respond(rcode: .refused)
            return .answered
        }
        let slot = acquireSlot()
        slot.request = request
        active += 1
        let now = monotonicNanoseconds()
        slot.deadline = now &+ ForwardHandler.nanoseconds(ForwardConfig.queryDeadline)
        switch request.route.transport {
        case .tcp: slot.overTCP = config.forceTCP || !config.preferUDP
        case .udp, .internal: slot.overTCP = config.forceTCP
        }
        fillOrder(slot)
        // Whatever happens next — an attempt in flight, or an answer written at once because no
        // upstream could be tried — the request is settled through `engine.resume`, which also
        // works while `serve` is still on the stack.
        advance(slot)
        return .suspended
    }

    /// True when `name` is at or below `from` and not below an `except` name (`from` itself always is).
    /// - Complexity: O(name length × except names). Allocation-free.
    func matches(_ name: UnsafeRawBufferPointer) -> Bool {
        guard ForwardHandler.isWithin(name, zone: fromWire) else { return false }
        if name.count == fromWire.count { return true }
        for except in exceptWires where ForwardHandler.isWithin(name, zone: except) { return false }
        return true
    }

    /// True when the wire name `name` (any case) equals `zone` (lowercase wire) or lies below it.
    static func isWithin(_ name: UnsafeRawBufferPointer, zone: [UInt8]) -> Bool {
        guard zone.count <= name.count else { return false }
        let offset = name.count - zone.count
        guard ZoneTable.isLabelBoundary(name, offset) else { return false }
        return zone.withUnsafeBytes { WireName.equalIgnoringCase(UnsafeRawBufferPointer(rebasing: name[offset...]), $0) }
    }

    /// The policy's order of upstreams for this query. Allocation-free.
    func fillOrder(_ slot: ExchangeSlot) {
        let n = upstreamCount
        for i in 0..<n { slot.order[i] = UInt8(i) }
        switch config.policy {
        case .sequential:
            break
        case .roundRobin:
            // Like CoreDNS: the chosen one first, then the others in configuration order.
            robin = (robin + 1) % n
            let first = robin
            slot.order[0] = UInt8(first)
            var k = 1
            for i in 0..<n where i != first {
                slot.order[k] = UInt8(i)
                k += 1
            }
        case .random:
            // Fisher–Yates with the worker's fast generator: the order needs no secrecy.
            var i = n - 1
            while i > 0 {
                let j = Int(context.random.next() % UInt64(i + 1))
                slot.order.swapAt(i, j)
                i -= 1
            }
        }
    }

    func acquireSlot() -> ExchangeSlot {
        if let index = freeSlots.popLast() { return slots[Int(index)] }
        let slot = ExchangeSlot(index: Int32(slots.count), upstreamCount: upstreamCount)
        slots.append(slot)
        return slot
    }

    func release(_ slot: ExchangeSlot) {
        if let timer = slot.timer { loop?.cancel(timer) }
        slot.reset()
        active -= 1
        freeSlots.append(slot.index)
    }

    // MARK: The attempt loop

    /// Starts the next attempt in policy order, or answers SERVFAIL when the deadline, the
    /// attempt cap or the all-down rule says to stop (CoreDNS's loop, step for step).
    func advance(_ slot: ExchangeSlot) {
        let n = upstreamCount
        slot.tcpForced = false
        while true {
            let now = monotonicNanoseconds()
            if now >= slot.deadline { break }
            if maxAttempts > 0 && slot.attempts >= maxAttempts { break }
            if slot.cursor >= n {
                slot.cursor = 0
                slot.downSkipped = 0
            }
            var upstream = Int(slot.order[slot.cursor])
            slot.cursor += 1
            if plugin.health[upstream].isDown(maxFails: maxFails) {
                slot.downSkipped += 1
                if slot.downSkipped < n { continue }
                // Every upstream is down: the health checks may be what is broken.
                metrics.countBroken()
                if config.failfastAllUnhealthyUpstreams { break }
                upstream = Int(context.random.next() % UInt64(n))
            }
            if startAttempt(slot, upstream: upstream, now: now) { return }
            // Nothing could even be sent (no socket, no route): an attempt that failed at once.
            guard noteFailure(slot, upstream: upstream) else { break }
        }
        finish(slot, rcode: .serverFailure, reason: "no healthy upstream")
    }

    /// Records a failed attempt and says whether to try another upstream.
    func noteFailure(_ slot: ExchangeSlot, upstream: Int) -> Bool {
        if maxFails != 0 { plugin.requestHealthCheck(upstream) }
        slot.attempts += 1
        if maxAttempts > 0 && slot.attempts >= maxAttempts { return false }
        return slot.downSkipped < upstreamCount
    }

    /// An attempt in flight failed (timeout, refused, connection lost): next upstream or SERVFAIL.
    func attemptFailed(_ slot: ExchangeSlot) {
        if let timer = slot.timer {
            loop?.cancel(timer)
            slot.timer = nil
        }
        if noteFailure(slot, upstream: slot.upstream) {
            advance(slot)
        } else {
            finish(slot, rcode: .serverFailure, reason: "every attempt failed (timeout, refused or connection lost)")
        }
    }

    /// Sends the query to `upstream` over the slot's transport and arms the attempt's timer.
    /// - Returns: false when nothing could be sent.
    func startAttempt(_ slot: ExchangeSlot, upstream: Int, now: UInt64) -> Bool {
        guard let loop, let request = slot.request else { return false }
        slot.upstream = upstream
        slot.attemptStarted = now
        slot.queryID = ids.next16()
        metrics.countRequest(upstream: upstream)
        let sent = slot.usesTCP ? startTCP(slot, upstream: upstream, query: request.packet)
                                : startUDP(slot, upstream: upstream, query: request.packet)
        guard sent else { return false }
        let remaining = slot.deadline > now ? slot.deadline - now : 0
        let wait = min(readTimeoutNanoseconds, remaining)
        slot.timer = loop.schedule(after: .nanoseconds(Int64(clamping: wait)), handler: self, context: slot.timerContext)
        return true
    }

    func timerFired(_ id: TimerID, context: UInt64) {
        let index = Int(UInt32(truncatingIfNeeded: context))
        guard index < slots.count else { return }
        let slot = slots[index]
        guard slot.generation == UInt32(truncatingIfNeeded: context >> 32), slot.request != nil, slot.timer == id else { return }
        slot.timer = nil
        abandonAttempt(slot)
        attemptFailed(slot)
    }

    /// Detaches the slot from the socket or connection its attempt used, which then no longer
    /// carries it: a late answer is counted and dropped.
    func abandonAttempt(_ slot: ExchangeSlot) {
        if let socket = slot.udp {
            slot.udp = nil
            socket.slot = nil
            // A socket whose answer never came is not reused: a late answer would only confuse it.
            closeUDP(socket)
        }
        if let connection = slot.tcp {
            slot.tcp = nil
            if let i = connection.pending.firstIndex(where: { $0.slot === slot }) {
                connection.pending.remove(at: i)
            }
            // An upstream that let one query time out on this connection may have stalled it.
            if connection.pending.isEmpty { closeTCP(connection) }
        }
    }

    // MARK: Answers

    /// An accepted answer for the slot's attempt: retry over TCP, fail over, pass to the next
    /// forward, or relay it to the client.
    func complete(_ slot: ExchangeSlot, reply: UnsafeRawBufferPointer) {
        guard let request = slot.request, let engine else { return }
        if let timer = slot.timer {
            loop?.cancel(timer)
            slot.timer = nil
        }
        let now = monotonicNanoseconds()
        let rcode = ReplyCheck.rcode(reply)
        metrics.countResponse(upstream: slot.upstream, rcode: rcode, nanoseconds: now &- slot.attemptStarted)
        let n = upstreamCount
        // prefer_udp: a truncated answer is asked again over TCP from the same upstream (CoreDNS).
        if ReplyCheck.isTruncated(reply) && !slot.usesTCP && config.preferUDP {
            slot.tcpForced = true
            if startAttempt(slot, upstream: slot.upstream, now: now) { return }
            attemptFailed(slot)
            return
        }
        if !config.failoverRcodes.isEmpty && config.failoverRcodes.contains(rcode) {
            slot.failoverAttempts += 1
            if slot.failoverAttempts < n {
                advance(slot)
                return
            }
        }
        if ForwardHandler.nextIsForward(request) &&
            (config.nextRcodes.contains(rcode) || (config.nextOnNoData && rcode == .noError && ReplyCheck.answerCount(reply) == 0)) {
            release(slot)
            engine.resume(request, .next)
            return
        }
        ForwardHandler.relay(reply, to: request)
        release(slot)
        engine.resume(request, .answered)
    }

    /// Answers the client with `rcode` and settles the request.
    /// Answers the slot's query with `rcode` (SERVFAIL when every attempt failed); `reason` is
    /// what the `errors` plugin logs, and keeps `cache` from storing a failure of our own making.
    func finish(_ slot: ExchangeSlot, rcode: ResponseCode, reason: StaticString? = nil) {
        guard let request = slot.request else { return }
        if let reason { request.fail(reason) }
        request.respond(rcode: rcode)
        release(slot)
        engine?.resume(request, .answered)
    }

    /// `next` hands a query only to another `forward` right after this one in the block, as
    /// CoreDNS does (any other next plugin: the answer is returned as it is).
    static func nextIsForward(_ request: Request) -> Bool {
        let i = request.position + 1
        let handlers = request.block.handlers
        return i < handlers.count && handlers[i] is ForwardHandler
    }

    /// Writes an upstream answer as the client's answer: the client's ID and question octets
    /// (so its letter case) restored; when it is larger than the client can take, re-encoded
    /// and cut at an RRset boundary with TC set (RFC 2181 §9).
    ///
    /// The common case is one copy and allocation-free; only an oversized answer is parsed (and allocates).
    static func relay(_ reply: UnsafeRawBufferPointer, to request: Request) {
        let output = request.writableOutput()
        let limit = min(request.outputLimit, output.count)
        let name = request.questionName
        if reply.count <= limit, let destination = output.baseAddress, let source = reply.baseAddress {
            destination.copyMemory(from: source, byteCount: reply.count)
            let id = request.query.header.id
            output[0] = UInt8(id >> 8)
            output[1] = UInt8(id & 0xFF)
            if let nameSource = name.baseAddress {
                (destination + Header.size).copyMemory(from: nameSource, byteCount: name.count)
            }
            request.setRawResponse(length: reply.count)
            return
        }
        guard var message = try? Message(parsing: reply) else {
            request.fail("malformed upstream answer")
            request.respond(rcode: .serverFailure)
            return
        }
        message.header.id = request.query.header.id
        if !message.questions.isEmpty, let clientName = try? DomainName(wire: Array(name)) {
            message.questions[0].name = clientName
        }
        guard let encoded = message.encoded(maxSize: limit), encoded.count <= output.count else {
            request.fail("upstream answer cannot be cut to the client's size")
            request.respond(rcode: .serverFailure)
            return
        }
        encoded.withUnsafeBytes { raw in
            if let source = raw.baseAddress, let destination = output.baseAddress {
                destination.copyMemory(from: source, byteCount: raw.count)
            }
        }
        request.setRawResponse(length: encoded.count)
    }

    // MARK: Idle sweep and shutdown

    /// Closes idle UDP sockets and TCP connections older than `expire`, every quarter of it
    /// (at least 100 ms apart, at most 1 s), while there are idle ones.
    func scheduleSweep() {
        guard !sweepScheduled, let loop else { return }
        sweepScheduled = true
        let interval = min(max(expireNanoseconds / 4, 100_000_000), 1_000_000_000)
        loop.schedule(after: .nanoseconds(Int64(interval))) { [self] in
            sweepScheduled = false
            sweep()
        }
    }

    func sweep() {
        let now = monotonicNanoseconds()
        var remaining = false
        for u in 0..<upstreamCount {
            var i = 0
            while i < udpIdle[u].count {
                let socket = udpIdle[u][i]
                if now &- socket.lastUsed >= min(expireNanoseconds, ForwardHandler.udpIdleLimit) {
                    udpIdle[u].remove(at: i)
                    closeUDP(socket)
                } else {
                    i += 1
                    remaining = true
                }
            }
            for connection in tcpPools[u] where !connection.closed {
                if connection.pending.isEmpty && (now &- connection.lastUsed >= expireNanoseconds || exceedsMaxAge(connection, now: now)) {
                    closeTCP(connection)
                } else {
                    remaining = true
                }
            }
        }
        if remaining && !shutDown { scheduleSweep() }
    }

    func exceedsMaxAge(_ connection: UpstreamTCPConnection, now: UInt64) -> Bool {
        guard let maxAge = maxAgeNanoseconds else { return false }
        return now &- connection.created >= maxAge
    }

    /// Closes every socket and answers SERVFAIL to queries still waiting (the plugin was stopped
    /// after a reload replaced it, or the server shuts down). Runs on the worker's thread.
    func shutdown() {
        guard !shutDown else { return }
        shutDown = true
        for slot in slots where slot.request != nil {
            abandonAttempt(slot)
            finish(slot, rcode: .serverFailure, reason: "plugin stopped")
        }
        for u in 0..<upstreamCount {
            for socket in udpIdle[u] { closeUDP(socket) }
            udpIdle[u].removeAll()
            for connection in tcpPools[u] { closeTCP(connection) }
            tcpPools[u].removeAll()
        }
    }
}
