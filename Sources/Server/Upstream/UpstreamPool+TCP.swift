import EventLoop
import Plugins

#if canImport(Glibc)
import Glibc
#endif

// TCP exchanges (RFC 7766): connections are pooled per upstream on each worker. A query takes
// the longest-idle connection (FIFO, as CoreDNS, so source ports rotate), else opens one while
// there are fewer than `tcpConnectionsPerUpstream`, else is pipelined on the least busy one.
// Answers are matched by ID in any order. Reads and writes may be partial: the rest waits in the
// connection's buffers for the next readiness. Errno policy:
// - connect/send/recv errors, EOF: the connection closes and every exchange on it fails
//   (`.failed`) — except on a connection that had answered before, where the failure is taken as
//   the upstream having closed an idle pooled connection (`.pooledConnectionClosed`: the plugin
//   retries once on a new connection to the same upstream, CoreDNS's ErrCachedClosed);
// - EAGAIN: wait for EPOLLIN/EPOLLOUT.

extension UpstreamPool {
    func startTCP(_ exchange: PoolExchange, upstream: Int, query: UnsafeRawBufferPointer) -> Bool {
        guard query.count >= 2, let connection = takeTCPConnection(upstream: upstream) else { return false }
        // The ID must be unique among the queries outstanding on this connection.
        while connection.pending.contains(where: { $0.id == exchange.queryID }) { exchange.queryID = ids.next16() }
        guard query.count <= sendBuffer.count else { return false }
        connection.output.appendFrame(copyForUpstream(query, id: exchange.queryID))
        connection.pending.append(PendingTCPQuery(id: exchange.queryID, exchange: exchange))
        connection.lastUsed = monotonicNanoseconds()
        exchange.tcp = connection
        if connection.connected && !connection.watchingWrite {
            // Write now; a connection that fails here takes its other queries with it, but this
            // one is reported as not sent (the caller moves on).
            if !flush(connection) {
                if let i = connection.pending.firstIndex(where: { $0.exchange === exchange }) { connection.pending.remove(at: i) }
                exchange.tcp = nil
                failConnection(connection)
                return false
            }
        }
        return true
    }

    /// The connection the next query to `upstream` goes on (see the file comment for the choice).
    func takeTCPConnection(upstream: Int) -> UpstreamTCPConnection? {
        let now = monotonicNanoseconds()
        var idle: UpstreamTCPConnection?
        var leastBusy: UpstreamTCPConnection?
        var open = 0
        for connection in tcpPools[upstream] where !connection.closed {
            if connection.pending.isEmpty {
                if now &- connection.lastUsed >= expireNanoseconds || exceedsMaxAge(connection, now: now) {
                    closeTCP(connection)
                    continue
                }
                if idle == nil || connection.lastUsed < idle?.lastUsed ?? 0 { idle = connection }
            }
            open += 1
            if connection.pending.count < UpstreamPool.pipelineDepth,
               leastBusy == nil || connection.pending.count < leastBusy?.pending.count ?? 0 {
                leastBusy = connection
            }
        }
        tcpPools[upstream].removeAll { $0.closed }
        if let idle {
            client.upstreamConnectionUsed(upstream, tcp: true, reused: true)
            return idle
        }
        if open < UpstreamPool.tcpConnectionsPerUpstream, let fresh = openTCP(upstream: upstream, now: now) {
            client.upstreamConnectionUsed(upstream, tcp: true, reused: false)
            return fresh
        }
        if let busy = leastBusy ?? tcpPools[upstream].min(by: { $0.pending.count < $1.pending.count }) {
            client.upstreamConnectionUsed(upstream, tcp: true, reused: true)
            return busy
        }
        return nil
    }

    func openTCP(upstream: Int, now: UInt64) -> UpstreamTCPConnection? {
        let opened: (fd: Int32, connected: Bool)
        do {
            opened = try ClientSocket.open(.stream, to: addresses[upstream], nonBlocking: true)
        } catch {
            return nil
        }
        let connection = UpstreamTCPConnection(pool: self, fd: opened.fd, upstream: upstream, now: now)
        connection.connected = opened.connected
        do {
            connection.watchingWrite = !connection.connected
            try loop.register(fd: opened.fd, events: connection.connected ? .readable : [.readable, .writable], handler: connection)
        } catch {
            Syscall.close(fd: opened.fd)
            connection.pool = nil
            return nil
        }
        tcpPools[upstream].append(connection)
        return connection
    }

    /// Closes a connection without touching the queries on it (the caller has dealt with them).
    func closeTCP(_ connection: UpstreamTCPConnection) {
        guard !connection.closed else { return }
        connection.closed = true
        loop.unregister(fd: connection.fd)
        Syscall.close(fd: connection.fd)
        connection.pool = nil
        if let i = tcpPools[connection.upstream].firstIndex(where: { $0 === connection }) {
            tcpPools[connection.upstream].remove(at: i)
        }
    }

    /// Closes a broken connection and fails every exchange on it: `.pooledConnectionClosed` for
    /// a connection that had answered before (the plugin retries once), `.failed` otherwise.
    func failConnection(_ connection: UpstreamTCPConnection) {
        guard !connection.closed else { return }
        let failure: UpstreamExchangeFailure = connection.answered > 0 ? .pooledConnectionClosed : .failed
        let victims = connection.pending
        connection.pending.removeAll()
        closeTCP(connection)
        for victim in victims {
            let exchange = victim.exchange
            guard exchange.active, exchange.tcp === connection else { continue }
            exchange.tcp = nil
            fail(exchange, failure)
        }
    }

    /// Writes as much of the output as the socket takes; watches EPOLLOUT for the rest.
    /// - Returns: false when the connection failed (the caller fails it).
    func flush(_ connection: UpstreamTCPConnection) -> Bool {
        while !connection.output.isEmpty {
            let result: IOResult<Int>
            do {
                result = try Syscall.send(fd: connection.fd, buffer: connection.output.readableRegion, flags: Int32(MSG_NOSIGNAL))
            } catch {
                return false
            }
            switch result {
            case .processed(let n):
                connection.output.didRead(n)
            case .wouldBlock:
                return watchWrite(connection, true)
            }
        }
        return watchWrite(connection, false)
    }

    func watchWrite(_ connection: UpstreamTCPConnection, _ on: Bool) -> Bool {
        guard connection.watchingWrite != on else { return true }
        do {
            try loop.modify(fd: connection.fd, events: on ? [.readable, .writable] : .readable)
        } catch {
            return false
        }
        connection.watchingWrite = on
        return true
    }

    func tcpReady(_ connection: UpstreamTCPConnection, events: IOEvents) {
        guard !connection.closed else { return }
        if !connection.connected {
            guard !events.isDisjoint(with: [.writable, .error, .hangup]) else { return }
            guard ClientSocket.pendingError(fd: connection.fd) == 0 else {
                failConnection(connection)
                return
            }
            connection.connected = true
        }
        if !connection.output.isEmpty || events.contains(.writable) {
            guard flush(connection) else {
                failConnection(connection)
                return
            }
        }
        guard !events.isDisjoint(with: [.readable, .hangup, .error, .readHangup]) else { return }
        readAnswers(connection)
    }

    /// Reads what the upstream sent and completes the queries whose answers are whole.
    func readAnswers(_ connection: UpstreamTCPConnection) {
        while !connection.closed {
            let region = connection.input.writable(atLeast: 4096)
            let result: IOResult<Int>
            do {
                result = try Syscall.recv(fd: connection.fd, buffer: region, flags: 0)
            } catch {
                failConnection(connection)
                return
            }
            switch result {
            case .wouldBlock:
                return
            case .processed(0):
                // The upstream closed the connection (idle close, or mid-answer).
                failConnection(connection)
                return
            case .processed(let n):
                connection.input.didWrite(n)
                processFrames(connection)
            }
        }
    }

    func processFrames(_ connection: UpstreamTCPConnection) {
        while !connection.closed {
            let readable = connection.input.readableRegion
            guard readable.count >= 2 else { return }
            let length = Int(readable[0]) << 8 | Int(readable[1])
            guard readable.count >= 2 + length else { return }
            let frame = UnsafeRawBufferPointer(rebasing: readable[2..<(2 + length)])
            // Consumed first: the octets stay where they are until the next read into the buffer.
            connection.input.didRead(2 + length)
            guard length >= 2 else {
                client.upstreamMessageDropped(connection.upstream, reason: .malformed)
                continue
            }
            let id = UInt16(frame[0]) << 8 | UInt16(frame[1])
            guard let index = connection.pending.firstIndex(where: { $0.id == id }) else {
                client.upstreamMessageDropped(connection.upstream, reason: connection.pending.isEmpty ? .late : .wrongID)
                continue
            }
            let exchange = connection.pending[index].exchange
            guard exchange.active, exchange.tcp === connection else {
                connection.pending.remove(at: index)
                client.upstreamMessageDropped(connection.upstream, reason: .late)
                continue
            }
            guard client.exchange(context: exchange.context, accepts: frame, id: id) else { continue }
            connection.pending.remove(at: index)
            connection.answered += 1
            connection.lastUsed = monotonicNanoseconds()
            exchange.tcp = nil
            if connection.pending.isEmpty { connectionBecameIdle(connection) }
            answer(exchange, frame)
        }
    }

    /// A connection with nothing outstanding: kept for reuse, or closed when the pool is full
    /// (`max_idle_conns`), it is too old (`max_age`), or connections are not kept (`expire 0`).
    func connectionBecameIdle(_ connection: UpstreamTCPConnection) {
        let now = connection.lastUsed
        if expireNanoseconds == 0 || exceedsMaxAge(connection, now: now) || shutDown {
            closeTCP(connection)
            return
        }
        if maxIdleConnections > 0 {
            let idle = tcpPools[connection.upstream].reduce(0) { $0 + ($1.pending.isEmpty && !$1.closed ? 1 : 0) }
            if idle > maxIdleConnections {
                closeTCP(connection)
                return
            }
        }
        scheduleSweep()
    }
}
