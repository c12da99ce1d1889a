import DNSWire
import SystemCalls

// How one forwarded query runs, on the worker thread that received it (no thread per query, no
// blocking call):
//
//   serve ─► slot (pooled) ─► advance: next upstream in policy order, skipping down ones
//              │                 └─ startAttempt: `exchange.send` (UDP or TCP, a fresh random ID
//              │                    and a timeout of min(read_timeout, deadline): the server's pool)
//              ▼
//   answer (socket and ID matched by the pool, question here) ─► complete: TC/prefer_udp retry,
//              failover, next, or relay to the client (ID and question case restored, truncated)
//   failure (timeout, refused, connection lost) ─► attemptFailed: health check kicked off, next
//              upstream, or SERVFAIL
//
// This mirrors CoreDNS's `Forward.ServeDNS` loop, turned inside out into callbacks: the same
// order, the same caps (2 × upstreams attempts, 5 s per query), the same all-down behaviour.
// The handler is the policy; the sockets, IDs and timers are the server's `UpstreamExchange`.

/// `forward`'s per-worker handler: chooses upstreams for each query and relays the answers.
///
/// Owns this worker's query slots and counters and its `UpstreamExchange`; used only on its
/// worker's thread.
final class ForwardHandler: PluginHandler, UpstreamExchangeClient {
    let plugin: ForwardPlugin
    let config: ForwardConfig
    let context: WorkerContext
    /// Nil when the chain runs in process without a worker (`clusterdns simulate`): then forward
    /// answers SERVFAIL, since it has no network to wait on.
    private(set) var exchange: (any UpstreamExchange)?
    /// The engine of this worker, captured on the first query (one per worker).
    unowned(unsafe) var engine: QueryEngine?
    let metrics: ForwardWorkerMetrics

    let fromWire: [UInt8]
    let exceptWires: [[UInt8]]
    let upstreamCount: Int
    let maxFails: UInt32
    let maxAttempts: Int
    let readTimeoutNanoseconds: UInt64
    /// This worker's share of `max_concurrent` (0: unlimited); see `ForwardPlugin` for why a share.
    let concurrencyLimit: Int

    /// `randomize_case`: where the query is copied to get its random letter case (nil when off).
    let caseQuery: UnsafeMutableRawBufferPointer?
    /// Unpredictable bits for that case: an attacker who could guess it gains nothing from it.
    var caseBits = SecureRandomPool()
    /// Per upstream, the case fallbacks in a row (capped): at `caseFallbacksBeforePlain` the
    /// upstream is taken not to keep case, and asked in the client's case from then on.
    var caseFallbacks: [UInt8]
    static let caseFallbacksBeforePlain: UInt8 = 3

    var slots: [ExchangeSlot] = []
    var freeSlots: [Int32] = []
    /// Queries outstanding upstream now.
    private(set) var active = 0
    var robin = 0
    var shutDown = false

    init(plugin: ForwardPlugin, context: WorkerContext) {
        self.plugin = plugin
        config = plugin.config
        self.context = context
        upstreamCount = config.upstreams.count
        metrics = ForwardWorkerMetrics(upstreams: upstreamCount)
        fromWire = config.from.lowercased().wire
        exceptWires = config.except.map { $0.lowercased().wire }
        maxFails = UInt32(clamping: config.maxFails)
        maxAttempts = config.effectiveMaxConnectAttempts
        readTimeoutNanoseconds = ForwardHandler.nanoseconds(config.readTimeout)
        if config.maxConcurrent > 0 {
            let workers = max(context.workerCount, 1)
            concurrencyLimit = max(1, (config.maxConcurrent + workers - 1) / workers)
        } else {
            concurrencyLimit = 0
        }
        caseQuery = config.randomizeCase ? .allocate(byteCount: 65_535, alignment: 8) : nil
        caseFallbacks = [UInt8](repeating: 0, count: max(upstreamCount, 1))
        slots.reserveCapacity(64)
        freeSlots.reserveCapacity(64)
        let options = UpstreamPoolOptions(upstreams: config.upstreams.map(\.address),
                                          expireNanoseconds: ForwardHandler.nanoseconds(config.expire),
                                          maxAgeNanoseconds: config.maxAge.map(ForwardHandler.nanoseconds),
                                          maxIdleConnections: config.maxIdleConnections)
        exchange = context.services?.makeUpstreamExchange(options, client: self)
    }

    deinit { caseQuery?.deallocate() }

    static func nanoseconds(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0 else { return 0 }
        return UInt64(seconds) &* 1_000_000_000 &+ UInt64(attoseconds / 1_000_000_000)
    }

    // MARK: Serving

    func serve(_ request: Request, engine: QueryEngine) -> PluginResult {
        guard matches(request.questionName) else { return .next }
        guard exchange != nil, !shutDown else {
            request.fail(exchange == nil ? "no network to reach upstreams on (in-process)" : "plugin stopped")
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
        guard ZoneMatch.isWithin(name, zone: fromWire) else { return false }
        if name.count == fromWire.count { return true }
        for except in exceptWires where ZoneMatch.isWithin(name, zone: except) { return false }
        return true
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
        if let inFlight = slot.exchange { exchange?.cancel(inFlight) }
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
        slot.caseFallback = false
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
        slot.exchange = nil
        if noteFailure(slot, upstream: slot.upstream) {
            advance(slot)
        } else {
            finish(slot, rcode: .serverFailure, reason: "every attempt failed (timeout, refused or connection lost)")
        }
    }

    /// Sends the query to `upstream` over the slot's transport, waiting at most `read_timeout`
    /// and never past the query's deadline.
    /// - Returns: false when nothing could be sent.
    func startAttempt(_ slot: ExchangeSlot, upstream: Int, now: UInt64) -> Bool {
        guard let exchange, let request = slot.request else { return false }
        slot.upstream = upstream
        slot.attemptStarted = now
        metrics.countRequest(upstream: upstream)
        let remaining = slot.deadline > now ? slot.deadline - now : 0
        let query = upstreamQuery(slot, request: request, upstream: upstream)
        guard let sent = exchange.send(query, to: upstream, overTCP: slot.usesTCP,
                                       timeoutNanoseconds: min(readTimeoutNanoseconds, remaining),
                                       context: slot.exchangeContext) else { return false }
        slot.exchange = sent
        return true
    }

    /// The query as it goes to `upstream`: the client's packet; or, with `randomize_case` over
    /// UDP, a copy whose question name has each letter's case drawn at random, noted in the slot
    /// so that the answer must echo it (0x20: a forger must guess one more bit per letter on top
    /// of the ID and the port). Not over TCP, where a forger cannot inject into the stream
    /// anyway; not for a case fallback, nor to an upstream that failed it three times in a row.
    /// Allocation-free once the slot has held a name.
    func upstreamQuery(_ slot: ExchangeSlot, request: Request, upstream: Int) -> UnsafeRawBufferPointer {
        slot.sentName.removeAll(keepingCapacity: true)
        slot.caseMismatch = false
        let packet = request.packet
        guard let caseQuery, !slot.usesTCP, !slot.caseFallback,
              caseFallbacks[upstream] < Self.caseFallbacksBeforePlain, packet.count <= caseQuery.count,
              let source = packet.baseAddress, let destination = caseQuery.baseAddress else { return packet }
        destination.copyMemory(from: source, byteCount: packet.count)
        let nameEnd = Header.size + request.questionName.count
        var bits: UInt64 = 0
        var left = 0
        for i in Header.size..<nameEnd {
            // Length octets are below 64, so never letters: only the labels' letters change.
            let lower = caseQuery[i] | 0x20
            guard lower >= UInt8(ascii: "a") && lower <= UInt8(ascii: "z") else { continue }
            if left == 0 {
                bits = caseBits.next64()
                left = 64
            }
            caseQuery[i] = bits & 1 == 0 ? lower : lower & ~0x20
            bits >>= 1
            left -= 1
        }
        if slot.sentName.capacity < 255 { slot.sentName.reserveCapacity(255) }
        slot.sentName.append(contentsOf: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(caseQuery)[Header.size..<nameEnd]))
        return UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(caseQuery)[0..<packet.count])
    }

    /// The slot an outcome's context names, if it still waits on that exchange.
    func slot(for context: UInt64) -> ExchangeSlot? {
        let index = Int(UInt32(truncatingIfNeeded: context))
        guard index < slots.count else { return nil }
        let slot = slots[index]
        guard slot.generation == UInt32(truncatingIfNeeded: context >> 32), slot.request != nil, slot.exchange != nil else { return nil }
        return slot
    }

    // MARK: UpstreamExchangeClient

    func exchange(context: UInt64, accepts reply: UnsafeRawBufferPointer, id: UInt16) -> Bool {
        guard let slot = slot(for: context), let request = slot.request else { return false }
        let verdict = slot.sentName.isEmpty
            ? ReplyCheck.check(reply, id: id, name: request.questionName, type: request.questionType,
                               recordClass: request.questionClass)
            : slot.sentName.withUnsafeBytes {
                ReplyCheck.check(reply, id: id, name: request.questionName, type: request.questionType,
                                 recordClass: request.questionClass, exactCase: $0)
            }
        switch verdict {
        case .accepted:
            if !slot.sentName.isEmpty { caseFallbacks[slot.upstream] = 0 }
            return true
        case .dropped(let reason):
            if reason == .wrongCase { slot.caseMismatch = true }
            metrics.countDropped(upstream: slot.upstream, reason)
            return false
        }
    }

    func exchange(context: UInt64, answered reply: UnsafeRawBufferPointer) {
        guard let slot = slot(for: context) else { return }
        slot.exchange = nil
        complete(slot, reply: reply)
    }

    func exchange(context: UInt64, failed failure: UpstreamExchangeFailure) {
        guard let slot = slot(for: context) else { return }
        slot.exchange = nil
        // A pooled TCP connection the upstream had closed: one more try on a new connection to
        // the same upstream before it counts as a failure (CoreDNS's ErrCachedClosed).
        if failure == .pooledConnectionClosed && !slot.retriedClosedConnection {
            slot.retriedClosedConnection = true
            if startAttempt(slot, upstream: slot.upstream, now: monotonicNanoseconds()) { return }
        }
        // `randomize_case`: the upstream answered, but only with its case changed. Either it does
        // not keep case or a forger raced it; one more try in the client's case tells, and is no
        // failure of the upstream's (Unbound's fallback). Three in a row: it does not keep case.
        if failure == .timedOut && slot.caseMismatch && !slot.caseFallback {
            slot.caseFallback = true
            let upstream = slot.upstream
            if caseFallbacks[upstream] < Self.caseFallbacksBeforePlain { caseFallbacks[upstream] += 1 }
            if startAttempt(slot, upstream: upstream, now: monotonicNanoseconds()) { return }
        }
        attemptFailed(slot)
    }

    func upstreamConnectionUsed(_ upstream: Int, tcp: Bool, reused: Bool) {
        metrics.countConnection(upstream: upstream, tcp: tcp, reused: reused)
    }

    func upstreamMessageDropped(_ upstream: Int, reason: DroppedResponseReason) {
        metrics.countDropped(upstream: upstream, reason)
    }

    // MARK: Answers

    /// An accepted answer for the slot's attempt: retry over TCP, fail over, pass to the next
    /// forward, or relay it to the client.
    func complete(_ slot: ExchangeSlot, reply: UnsafeRawBufferPointer) {
        guard let request = slot.request, let engine else { return }
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

    // MARK: Shutdown

    /// Closes every socket and answers SERVFAIL to queries still waiting (the plugin was stopped
    /// after a reload replaced it, or the server shuts down). Runs on the worker's thread.
    func shutdown() {
        guard !shutDown else { return }
        shutDown = true
        for slot in slots where slot.request != nil {
            finish(slot, rcode: .serverFailure, reason: "plugin stopped")
        }
        exchange?.shutdown()
    }
}
