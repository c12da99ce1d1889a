import DNSWire
import SystemCalls

#if canImport(Glibc)
import Glibc
#endif

/// Sends each query for real to one server, over UDP (or TCP when the stub would), and times
/// it. Every nameserver of the simulated resolv.conf is this one server.
///
/// The socket is connected, as glibc's is, so an ICMP port-unreachable shows up as
/// `ECONNREFUSED` (`ResolverResult.connectionRefused`) instead of a timeout. A simulation of a
/// timeout waits for real: glibc's defaults cost 5 s per try.
package final class NetworkResolver: Resolver {
    package let server: ServerAddress
    package var label: String { "server \(server)" }

    package init(server: ServerAddress) {
        self.server = server
    }

    package func exchange(_ queries: [ResolverQuery], server _: Int, transport: QueryTransport,
                         timeout: Duration) -> [ResolverResult] {
        let messages = queries.map { query in
            Message.query(id: UInt16.random(in: 1...UInt16.max), name: query.name, type: query.type, recursionDesired: true,
                          edns: query.edns ? EDNS(udpPayloadSize: 1232) : nil)
        }
        switch transport {
        case .udp: return exchangeUDP(messages, timeout: timeout)
        case .tcp: return exchangeTCP(messages, timeout: timeout)
        }
    }

    // MARK: Sockets

    /// The server as a socket address.
    var socketAddress: SocketAddress {
        switch server.address {
        case .v4(let v4):
            return SocketAddress(ipv4: v4.octets, port: server.port)
        case .v6(let v6):
            var bytes = [UInt8](repeating: 0, count: 16)
            for i in 0..<16 { bytes[i] = v6.octet(i) }
            return bytes.withUnsafeBytes { SocketAddress(ipv6: $0, port: server.port) }
        }
    }

    /// A non-blocking socket connected to the server (a stream's connect waited for within
    /// `timeout`), `refused` when the server answered the connect with a reset, or nil when the
    /// socket cannot be opened or connected in time.
    func connectedSocket(_ kind: ClientSocket.Kind, timeout: Duration) -> (fd: Int32, refused: Bool)? {
        let fd: Int32
        do {
            let (socket, connected) = try ClientSocket.open(kind, to: socketAddress, nonBlocking: true)
            fd = socket
            if connected { return (fd, false) }
        } catch {
            return error.errno == ECONNREFUSED ? (-1, true) : nil
        }
        // A stream's connect in progress: wait for it within the timeout. poll fails only with
        // ENOMEM here (one valid descriptor); that counts as the connect not finishing in time.
        let ready = (try? Syscall.poll(fd: fd, events: Int16(POLLOUT), timeout: NetworkResolver.pollTimeout(timeout))) ?? 0
        let error = ready == 0 ? ETIMEDOUT : ClientSocket.pendingError(fd: fd)
        if error != 0 {
            Syscall.close(fd: fd)
            return error == ECONNREFUSED ? (-1, true) : nil
        }
        return (fd, false)
    }

    /// `duration` in whole milliseconds for `poll`, at least 1.
    static func pollTimeout(_ duration: Duration) -> Int32 {
        let milliseconds = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        return Int32(clamping: max(1, milliseconds))
    }

    static func now() -> ContinuousClock.Instant { ContinuousClock.now }

    /// Sends `bytes` on the connected socket (`MSG_NOSIGNAL`: a reset is an error, not SIGPIPE).
    static func send(fd: Int32, _ bytes: ArraySlice<UInt8>) throws(SystemError) -> IOResult<Int> {
        try bytes.withUnsafeBytes { raw in
            Result { () throws(SystemError) in try Syscall.send(fd: fd, buffer: raw, flags: Int32(MSG_NOSIGNAL)) }
        }.get()
    }

    /// Receives into the whole of `buffer`.
    static func receive(fd: Int32, into buffer: inout [UInt8]) throws(SystemError) -> IOResult<Int> {
        try buffer.withUnsafeMutableBytes { raw in
            Result { () throws(SystemError) in try Syscall.recv(fd: fd, buffer: raw, flags: 0) }
        }.get()
    }

    /// Index of the query `reply` answers: same ID, same question.
    static func match(_ reply: Message, _ messages: [Message], _ results: [ResolverResult?]) -> Int? {
        for (i, message) in messages.enumerated() where results[i] == nil && message.header.id == reply.header.id {
            guard let asked = message.question, let got = reply.question else { continue }
            if asked.type == got.type && asked.name == got.name { return i }
        }
        return nil
    }

    // MARK: UDP

    func exchangeUDP(_ messages: [Message], timeout: Duration) -> [ResolverResult] {
        var results = [ResolverResult?](repeating: nil, count: messages.count)
        guard let (fd, refused) = connectedSocket(.datagram, timeout: timeout), !refused else {
            return Array(repeating: .connectionRefused, count: messages.count)
        }
        defer { Syscall.close(fd: fd) }
        let start = NetworkResolver.now()
        for message in messages {
            guard let bytes = message.encoded() else { continue }
            do {
                _ = try NetworkResolver.send(fd: fd, bytes[...])
            } catch {
                // An ICMP port unreachable for an earlier datagram surfaces on the next call on
                // the socket, which may be this send. Other errors (ENOBUFS) lose this query: it
                // times out, as glibc's would.
                if error.errno == ECONNREFUSED {
                    return Array(repeating: .connectionRefused, count: messages.count)
                }
            }
        }
        var buffer = [UInt8](repeating: 0, count: 65_535)
        receiving: while results.contains(where: { $0 == nil }) {
            let left = timeout - (NetworkResolver.now() - start)
            guard left > .zero else { break }
            let n: Int
            do {
                guard try Syscall.poll(fd: fd, events: Int16(POLLIN), timeout: NetworkResolver.pollTimeout(left)) != 0 else { break }
                let result = try NetworkResolver.receive(fd: fd, into: &buffer)
                guard case .processed(let count) = result else { continue }
                n = count
            } catch {
                if error.errno == ECONNREFUSED {
                    for i in results.indices where results[i] == nil { results[i] = .connectionRefused }
                }
                break receiving
            }
            let elapsed = NetworkResolver.now() - start
            guard let reply = try? Message(parsing: Array(buffer[0..<n])), reply.header.isResponse,
                  let i = NetworkResolver.match(reply, messages, results) else { continue }
            results[i] = .reply(ResolverReply(message: reply), elapsed: elapsed)
        }
        return results.map { $0 ?? .timeout }
    }

    // MARK: TCP

    func exchangeTCP(_ messages: [Message], timeout: Duration) -> [ResolverResult] {
        var results = [ResolverResult?](repeating: nil, count: messages.count)
        let start = NetworkResolver.now()
        guard let (fd, refused) = connectedSocket(.stream, timeout: timeout) else {
            return Array(repeating: .timeout, count: messages.count)
        }
        if refused { return Array(repeating: .connectionRefused, count: messages.count) }
        defer { Syscall.close(fd: fd) }
        var out: [UInt8] = []
        for message in messages {
            guard let bytes = message.encoded() else { continue }
            out += [UInt8(bytes.count >> 8), UInt8(bytes.count & 0xFF)] + bytes
        }
        // Any failure to write or read (a reset, a closed connection) leaves the unanswered
        // queries timed out, as a stub sees them.
        var written = 0
        while written < out.count {
            do {
                let result = try NetworkResolver.send(fd: fd, out[written...])
                if case .processed(let n) = result, n > 0 {
                    written += n
                    continue
                }
                let left = timeout - (NetworkResolver.now() - start)
                guard left > .zero,
                      try Syscall.poll(fd: fd, events: Int16(POLLOUT), timeout: NetworkResolver.pollTimeout(left)) != 0 else {
                    return results.map { $0 ?? .timeout }
                }
            } catch {
                return results.map { $0 ?? .timeout }
            }
        }
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_535)
        while results.contains(where: { $0 == nil }) {
            // Whole frames first.
            while received.count >= 2 {
                let length = Int(received[0]) << 8 | Int(received[1])
                guard received.count >= 2 + length else { break }
                let frame = Array(received[2..<(2 + length)])
                received.removeFirst(2 + length)
                if let reply = try? Message(parsing: frame), let i = NetworkResolver.match(reply, messages, results) {
                    results[i] = .reply(ResolverReply(message: reply), elapsed: NetworkResolver.now() - start)
                }
            }
            guard results.contains(where: { $0 == nil }) else { break }
            let left = timeout - (NetworkResolver.now() - start)
            guard left > .zero else { break }
            do {
                guard try Syscall.poll(fd: fd, events: Int16(POLLIN), timeout: NetworkResolver.pollTimeout(left)) != 0 else { break }
                let result = try NetworkResolver.receive(fd: fd, into: &chunk)
                guard case .processed(let n) = result else { continue }
                guard n > 0 else { break }
                received += chunk[0..<n]
            } catch {
                break
            }
        }
        return results.map { $0 ?? .timeout }
    }
}
