import DNSWire
import EventLoop
import Plugins

// UDP exchanges. Each upstream socket is connected, so the kernel picks a random ephemeral
// source port for it and delivers only datagrams from the upstream's address and port: a forger
// off the path must guess the port on top of the 16-bit ID, and cannot reach us from elsewhere.
// A socket carries one exchange at a time and at most `udpExchangesPerSocket` (16) in its life,
// then it is closed and a new one (a new port) takes its place; an idle one is closed after 2 s.
// A fresh socket per exchange would cost four more system calls per query (socket, connect,
// epoll_ctl ADD/DEL, close) — about as much CPU as the rest of the forwarded query (measured
// figures at `udpExchangesPerSocket`). A socket whose exchange timed out is never reused.
// Errno policy (STYLE.md §C):
// - send EAGAIN/ENOBUFS, or any send error: the exchange is not started (the plugin moves on);
// - recv ECONNREFUSED/EHOSTUNREACH/ENETUNREACH (an ICMP error for our query): the exchange fails
//   at once, which is why a stopped upstream on a reachable host fails over without a timeout;
// - recv of a datagram that is not the answer: counted by reason and dropped; keep waiting.

extension UpstreamPool {
    /// Opens (or takes an idle) socket to `upstream` and sends the query with the exchange's ID.
    func startUDP(_ exchange: PoolExchange, upstream: Int, query: UnsafeRawBufferPointer) -> Bool {
        guard query.count >= 2, query.count <= sendBuffer.count,
              let socket = takeUDPSocket(upstream: upstream) else { return false }
        let message = copyForUpstream(query, id: exchange.queryID)
        do {
            guard case .processed(let sent) = try Syscall.send(fd: socket.fd, buffer: message, flags: 0), sent == message.count else {
                closeUDP(socket)
                return false
            }
        } catch {
            closeUDP(socket)
            return false
        }
        socket.uses += 1
        socket.exchange = exchange
        exchange.udp = socket
        return true
    }

    /// Copies `query` into `sendBuffer` with the exchange's `id` and without the client's COOKIE
    /// option: a client cookie belongs to the client and this server (RFC 7873 §4.1; the engine
    /// has answered it), and passed on it would let the upstream link the client's queries and
    /// hand it a server cookie for a server it never asked. The upstream sees a query without
    /// cookies, as from a client that has none (Unbound and BIND, as resolvers, never pass a
    /// client's options on either). Allocation-free.
    /// - Precondition: `2 <= query.count <= sendBuffer.count`.
    func copyForUpstream(_ query: UnsafeRawBufferPointer, id: UInt16) -> UnsafeRawBufferPointer {
        if let source = query.baseAddress, let destination = sendBuffer.baseAddress {
            destination.copyMemory(from: source, byteCount: query.count)
        }
        sendBuffer[0] = UInt8(id >> 8)
        sendBuffer[1] = UInt8(id & 0xFF)
        // A query is short (header, one question, OPT): the walk costs little beside the send.
        let length = CookieReply.removeCookies(from: sendBuffer, length: query.count)
        return UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(sendBuffer)[0..<length])
    }

    /// An idle pooled socket to `upstream`, or a new connected one registered on the loop.
    func takeUDPSocket(upstream: Int) -> UDPUpstreamSocket? {
        if let socket = udpIdle[upstream].popLast() {
            client.upstreamConnectionUsed(upstream, tcp: false, reused: true)
            return socket
        }
        client.upstreamConnectionUsed(upstream, tcp: false, reused: false)
        let fd: Int32
        do {
            // EMFILE/ENFILE/ENOBUFS, ENETUNREACH, EADDRNOTAVAIL: no socket or no route now; the
            // exchange is not started and the next upstream may fare better.
            fd = try ClientSocket.open(.datagram, to: addresses[upstream], nonBlocking: true).fd
        } catch {
            return nil
        }
        let socket = spareUDPObjects.popLast() ?? UDPUpstreamSocket()
        socket.pool = self
        socket.fd = fd
        socket.upstream = upstream
        socket.uses = 0
        socket.exchange = nil
        do {
            try loop.register(fd: fd, events: .readable, handler: socket)
        } catch {
            Syscall.close(fd: fd)
            socket.pool = nil
            socket.fd = -1
            spareUDPObjects.append(socket)
            return nil
        }
        return socket
    }

    /// Closes a socket (idle or not) and keeps its object for the next one.
    func closeUDP(_ socket: UDPUpstreamSocket) {
        guard socket.fd >= 0 else { return }
        loop.unregister(fd: socket.fd)
        Syscall.close(fd: socket.fd)
        socket.fd = -1
        socket.exchange = nil
        socket.pool = nil
        spareUDPObjects.append(socket)
    }

    /// After an answer: back to the idle pool while it has uses left, else closed.
    func recycleUDP(_ socket: UDPUpstreamSocket) {
        guard socket.uses < UpstreamPool.udpExchangesPerSocket, expireNanoseconds > 0, !shutDown else {
            closeUDP(socket)
            return
        }
        if maxIdleConnections > 0 && udpIdle[socket.upstream].count >= maxIdleConnections {
            closeUDP(socket)
            return
        }
        socket.lastUsed = monotonicNanoseconds()
        udpIdle[socket.upstream].append(socket)
        scheduleSweep()
    }

    /// Reads every datagram waiting on the socket; the first that answers the outstanding query
    /// completes it, anything else is counted and dropped.
    func udpReadable(_ socket: UDPUpstreamSocket) {
        while socket.fd >= 0 {
            let result: IOResult<Int>
            do {
                result = try Syscall.recv(fd: socket.fd, buffer: receiveBuffer, flags: 0)
            } catch {
                // An ICMP error (ECONNREFUSED: nothing listens there) or another socket error.
                if let exchange = socket.exchange {
                    fail(exchange, .failed)
                } else {
                    if let index = udpIdle[socket.upstream].firstIndex(where: { $0 === socket }) {
                        udpIdle[socket.upstream].remove(at: index)
                    }
                    closeUDP(socket)
                }
                return
            }
            guard case .processed(let length) = result else { return }
            let reply = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(receiveBuffer)[0..<length])
            guard let exchange = socket.exchange, exchange.udp === socket else {
                client.upstreamMessageDropped(socket.upstream, reason: .late)
                continue
            }
            guard reply.count >= 2 else {
                client.upstreamMessageDropped(socket.upstream, reason: .malformed)
                continue
            }
            let id = UInt16(reply[0]) << 8 | UInt16(reply[1])
            guard id == exchange.queryID else {
                client.upstreamMessageDropped(socket.upstream, reason: .wrongID)
                continue
            }
            guard client.exchange(context: exchange.context, accepts: reply, id: id) else { continue }
            socket.exchange = nil
            exchange.udp = nil
            recycleUDP(socket)
            answer(exchange, reply)
            return
        }
    }
}
