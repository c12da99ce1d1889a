import DNSWire
import EventLoop
import Plugins

// The transport half of `forward` on one worker: sockets, connections, query IDs and timeouts.
// The plugin (`Plugins/forward/ForwardHandler.swift`) keeps the policy — which upstream next,
// failover, retries, relaying — and reaches the network only through `UpstreamExchange`.
//
//   send ─► exchange (pooled) ─► UDP: an idle connected socket or a new one   ─┐
//                                TCP: the longest-idle connection, a new one,  ├─ timer: timeout
//                                     or the least busy (pipelined)           ─┘
//   datagram / frame ─► ID matched here, question checked by the client ─► answered, detached first
//   error, EOF, timer ─► failed (timed out, failed, pooled connection closed)
//
// Everything runs on the worker's thread; nothing here is shared with another worker.

/// The sockets and connections one plugin handler uses to reach its upstreams on one worker.
final class UpstreamPool: UpstreamExchange, TimerHandler {
    let loop: EventLoop
    unowned(unsafe) let client: any UpstreamExchangeClient
    let addresses: [SocketAddress]
    let expireNanoseconds: UInt64
    let maxAgeNanoseconds: UInt64?
    let maxIdleConnections: Int
    var upstreamCount: Int { addresses.count }

    var exchanges: [PoolExchange] = []
    var freeExchanges: [Int32] = []
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

    init(loop: EventLoop, options: UpstreamPoolOptions, client: any UpstreamExchangeClient) {
        self.loop = loop
        self.client = client
        addresses = options.upstreams
        expireNanoseconds = options.expireNanoseconds
        maxAgeNanoseconds = options.maxAgeNanoseconds
        maxIdleConnections = options.maxIdleConnections
        udpIdle = Array(repeating: [], count: options.upstreams.count)
        tcpPools = Array(repeating: [], count: options.upstreams.count)
        receiveBuffer = .allocate(byteCount: 65_536, alignment: 16)
        sendBuffer = .allocate(byteCount: 65_536, alignment: 16)
        exchanges.reserveCapacity(64)
        freeExchanges.reserveCapacity(64)
    }

    deinit {
        receiveBuffer.deallocate()
        sendBuffer.deallocate()
    }

    // MARK: UpstreamExchange

    func send(_ query: UnsafeRawBufferPointer, to upstream: Int, overTCP: Bool, timeoutNanoseconds: UInt64,
              context: UInt64) -> UpstreamExchangeID? {
        guard !shutDown, upstream >= 0, upstream < upstreamCount else { return nil }
        let exchange = acquire()
        exchange.context = context
        exchange.upstream = upstream
        exchange.queryID = ids.next16()
        let sent = overTCP ? startTCP(exchange, upstream: upstream, query: query)
                           : startUDP(exchange, upstream: upstream, query: query)
        guard sent else {
            release(exchange)
            return nil
        }
        exchange.timer = loop.schedule(after: .nanoseconds(Int64(clamping: timeoutNanoseconds)), handler: self,
                                       context: exchange.id.rawValue)
        return exchange.id
    }

    func cancel(_ id: UpstreamExchangeID) {
        guard let exchange = lookup(id) else { return }
        abandon(exchange)
        release(exchange)
    }

    /// Closes every socket; exchanges in flight end without an outcome (the plugin settles its
    /// requests itself). Runs on the worker's thread.
    func shutdown() {
        guard !shutDown else { return }
        shutDown = true
        for exchange in exchanges where exchange.active {
            abandon(exchange)
            release(exchange)
        }
        for u in 0..<upstreamCount {
            for socket in udpIdle[u] { closeUDP(socket) }
            udpIdle[u].removeAll()
            for connection in tcpPools[u] { closeTCP(connection) }
            tcpPools[u].removeAll()
        }
    }

    // MARK: Exchanges

    func acquire() -> PoolExchange {
        let exchange: PoolExchange
        if let index = freeExchanges.popLast() {
            exchange = exchanges[Int(index)]
        } else {
            exchange = PoolExchange(index: Int32(exchanges.count))
            exchanges.append(exchange)
        }
        exchange.active = true
        return exchange
    }

    func release(_ exchange: PoolExchange) {
        if let timer = exchange.timer { loop.cancel(timer) }
        exchange.reset()
        freeExchanges.append(exchange.index)
    }

    /// The active exchange `id` names, nil for a stale or unknown one.
    func lookup(_ id: UpstreamExchangeID) -> PoolExchange? {
        let index = Int(UInt32(truncatingIfNeeded: id.rawValue))
        guard index < exchanges.count else { return nil }
        let exchange = exchanges[index]
        guard exchange.active, exchange.generation == UInt32(truncatingIfNeeded: id.rawValue >> 32) else { return nil }
        return exchange
    }

    func timerFired(_ id: TimerID, context: UInt64) {
        guard let exchange = lookup(UpstreamExchangeID(rawValue: context)), exchange.timer == id else { return }
        exchange.timer = nil
        fail(exchange, .timedOut)
    }

    /// Ends an exchange without an answer and tells the client.
    func fail(_ exchange: PoolExchange, _ failure: UpstreamExchangeFailure) {
        let context = exchange.context
        abandon(exchange)
        release(exchange)
        client.exchange(context: context, failed: failure)
    }

    /// Ends an exchange with its answer (detached first, so the client may start another).
    func answer(_ exchange: PoolExchange, _ reply: UnsafeRawBufferPointer) {
        let context = exchange.context
        release(exchange)
        client.exchange(context: context, answered: reply)
    }

    /// Detaches the exchange from the socket or connection it used, which then no longer
    /// carries it: a late answer is counted and dropped.
    func abandon(_ exchange: PoolExchange) {
        if let socket = exchange.udp {
            exchange.udp = nil
            socket.exchange = nil
            // A socket whose answer never came is not reused: a late answer would only confuse it.
            if let index = udpIdle[socket.upstream].firstIndex(where: { $0 === socket }) {
                udpIdle[socket.upstream].remove(at: index)
            }
            closeUDP(socket)
        }
        if let connection = exchange.tcp {
            exchange.tcp = nil
            if let i = connection.pending.firstIndex(where: { $0.exchange === exchange }) {
                connection.pending.remove(at: i)
            }
            // An upstream that let one query time out on this connection may have stalled it.
            if connection.pending.isEmpty { closeTCP(connection) }
        }
    }

    // MARK: Idle sweep

    /// Closes idle UDP sockets and TCP connections older than `expire`, every quarter of it
    /// (at least 100 ms apart, at most 1 s), while there are idle ones.
    func scheduleSweep() {
        guard !sweepScheduled, !shutDown else { return }
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
                if now &- socket.lastUsed >= min(expireNanoseconds, UpstreamPool.udpIdleLimit) {
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
}

/// One exchange of a pool: the socket or connection it waits on, its ID and its timer. Pooled
/// and reused (the generation tells a stale timer or handle from a current one), so a forwarded
/// query allocates nothing here once the pool has grown.
final class PoolExchange {
    let index: Int32
    var generation: UInt32 = 1
    var active = false
    var context: UInt64 = 0
    var upstream = -1
    var queryID: UInt16 = 0
    var timer: TimerID?
    var udp: UDPUpstreamSocket?
    var tcp: UpstreamTCPConnection?

    init(index: Int32) { self.index = index }

    var id: UpstreamExchangeID { UpstreamExchangeID(rawValue: UInt64(UInt32(bitPattern: index)) | UInt64(generation) << 32) }

    func reset() {
        active = false
        generation &+= 1
        if generation == 0 { generation = 1 }
        context = 0
        upstream = -1
        timer = nil
        udp = nil
        tcp = nil
    }
}
