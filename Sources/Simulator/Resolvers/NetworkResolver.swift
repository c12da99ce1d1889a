import DNSWire

#if canImport(Glibc)
import Glibc
#endif

/// Sends each query for real to one server, over UDP (or TCP when the stub would), and times
/// it. Every nameserver of the simulated resolv.conf is this one server.
///
/// The socket is connected, as glibc's is, so an ICMP port-unreachable shows up as
/// `ECONNREFUSED` (`ResolverResult.connectionRefused`) instead of a timeout. A simulation of a
/// timeout waits for real: glibc's defaults cost 5 s per try.
public final class NetworkResolver: Resolver {
    public let server: ServerAddress
    public var label: String { "server \(server)" }

    public init(server: ServerAddress) {
        self.server = server
    }

    public func exchange(_ queries: [ResolverQuery], server _: Int, transport: QueryTransport,
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

    /// A socket connected to the server, or nil with the connect error.
    func connectedSocket(type: Int32, timeout: Duration) -> (fd: Int32, refused: Bool)? {
        let family = server.address.recordType == .a ? AF_INET : AF_INET6
        let fd = socket(family, type | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        var storage = sockaddr_storage()
        var length: socklen_t
        switch server.address {
        case .v4(let v4):
            var a = sockaddr_in()
            a.sin_family = sa_family_t(AF_INET)
            a.sin_port = server.port.bigEndian
            a.sin_addr.s_addr = v4.rawValue.bigEndian
            withUnsafeBytes(of: a) { src in withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: src) } }
            length = socklen_t(MemoryLayout<sockaddr_in>.size)
        case .v6(let v6):
            var a = sockaddr_in6()
            a.sin6_family = sa_family_t(AF_INET6)
            a.sin6_port = server.port.bigEndian
            withUnsafeMutableBytes(of: &a.sin6_addr) { raw in
                for i in 0..<16 { raw[i] = v6.octet(i) }
            }
            withUnsafeBytes(of: a) { src in withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: src) } }
            length = socklen_t(MemoryLayout<sockaddr_in6>.size)
        }
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        let result = withUnsafePointer(to: &storage) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, length) }
        }
        if result != 0 && errno != EINPROGRESS {
            let refused = errno == ECONNREFUSED
            close(fd)
            return refused ? (-1, true) : nil
        }
        if result != 0 {
            // TCP connect in progress: wait for it within the timeout.
            var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            let ready = poll(&pfd, 1, Int32(clamping: NetworkResolver.milliseconds(timeout)))
            var error: Int32 = 0
            var size = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size)
            if ready <= 0 || error != 0 {
                close(fd)
                return error == ECONNREFUSED ? (-1, true) : nil
            }
        }
        return (fd, false)
    }

    static func milliseconds(_ duration: Duration) -> Int {
        Int(duration.components.seconds) * 1000 + Int(duration.components.attoseconds / 1_000_000_000_000_000)
    }

    static func now() -> Duration {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return .seconds(ts.tv_sec) + .nanoseconds(ts.tv_nsec)
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
        guard let (fd, refused) = connectedSocket(type: Int32(SOCK_DGRAM.rawValue), timeout: timeout), !refused else {
            return Array(repeating: .connectionRefused, count: messages.count)
        }
        defer { close(fd) }
        let start = NetworkResolver.now()
        for message in messages {
            guard let bytes = message.encoded() else { continue }
            let sent = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            // An ICMP port unreachable for an earlier datagram surfaces on the next call on the
            // socket, which may be this send.
            if sent < 0 && errno == ECONNREFUSED {
                return Array(repeating: .connectionRefused, count: messages.count)
            }
        }
        var buffer = [UInt8](repeating: 0, count: 65_535)
        while results.contains(where: { $0 == nil }) {
            let left = timeout - (NetworkResolver.now() - start)
            guard left > .zero else { break }
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pfd, 1, Int32(clamping: max(1, NetworkResolver.milliseconds(left))))
            if ready < 0 && errno == EINTR { continue }
            guard ready > 0 else { break }
            let n = recv(fd, &buffer, buffer.count, 0)
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                if errno == ECONNREFUSED {
                    for i in results.indices where results[i] == nil { results[i] = .connectionRefused }
                }
                break
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
        guard let (fd, refused) = connectedSocket(type: Int32(SOCK_STREAM.rawValue), timeout: timeout) else {
            return Array(repeating: .timeout, count: messages.count)
        }
        if refused { return Array(repeating: .connectionRefused, count: messages.count) }
        defer { close(fd) }
        var out: [UInt8] = []
        for message in messages {
            guard let bytes = message.encoded() else { continue }
            out += [UInt8(bytes.count >> 8), UInt8(bytes.count & 0xFF)] + bytes
        }
        var written = 0
        while written < out.count {
            let n = out[written...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n > 0 {
                written += n
                continue
            }
            if n < 0 && (errno == EAGAIN || errno == EINTR) {
                var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                let left = timeout - (NetworkResolver.now() - start)
                guard left > .zero, poll(&pfd, 1, Int32(clamping: max(1, NetworkResolver.milliseconds(left)))) > 0 else {
                    return results.map { $0 ?? .timeout }
                }
                continue
            }
            return results.map { $0 ?? .timeout }
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
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pfd, 1, Int32(clamping: max(1, NetworkResolver.milliseconds(left))))
            if ready < 0 && errno == EINTR { continue }
            guard ready > 0 else { break }
            let n = recv(fd, &chunk, chunk.count, 0)
            if n < 0 && (errno == EAGAIN || errno == EINTR) { continue }
            guard n > 0 else { break }
            received += chunk[0..<n]
        }
        return results.map { $0 ?? .timeout }
    }
}
