import DNSWire
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A blocking DNS client for tests: UDP and TCP to loopback only, with timeouts, speaking through
/// DNSWire. Failures are thrown as `TestClientError` so a test reports them instead of hanging.
struct DNSTestClient {
    enum TestClientError: Error, CustomStringConvertible {
        case socket(String)
        case timeout(String)
        case closed
        case notLoopback(String)
        var description: String {
            switch self {
            case .socket(let s): "socket error: \(s)"
            case .timeout(let s): "timed out: \(s)"
            case .closed: "connection closed by the server"
            case .notLoopback(let s): "refusing to send test traffic to \(s): loopback only"
            }
        }
    }

    let host: String
    let port: UInt16
    var timeout: Duration = .seconds(3)

    init(host: String = "127.0.0.1", port: UInt16) {
        self.host = host
        self.port = port
    }

    var isIPv6: Bool { host.contains(":") }

    /// A socket address for `host:port`; only loopback addresses are accepted.
    func socketAddress() throws -> (storage: sockaddr_storage, length: socklen_t) {
        var storage = sockaddr_storage()
        if isIPv6 {
            guard host == "::1" else { throw TestClientError.notLoopback(host) }
            var a = sockaddr_in6()
            a.sin6_family = sa_family_t(AF_INET6)
            a.sin6_port = port.bigEndian
            inet_pton(AF_INET6, host, &a.sin6_addr)
            withUnsafeBytes(of: a) { src in withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: src) } }
            return (storage, socklen_t(MemoryLayout<sockaddr_in6>.size))
        }
        guard host.hasPrefix("127.") else { throw TestClientError.notLoopback(host) }
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = port.bigEndian
        inet_pton(AF_INET, host, &a.sin_addr)
        withUnsafeBytes(of: a) { src in withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: src) } }
        return (storage, socklen_t(MemoryLayout<sockaddr_in>.size))
    }

    func setTimeout(_ fd: Int32) {
        let seconds = timeout.components.seconds
        var tv = timeval(tv_sec: Int(seconds), tv_usec: Int(timeout.components.attoseconds / 1_000_000_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Sends raw octets over UDP and returns the raw reply, or nil if none came in time.
    func exchangeRawUDP(_ bytes: [UInt8], expectReply: Bool = true) throws -> [UInt8]? {
        let (storage, length) = try socketAddress()
        let fd = socket(isIPv6 ? AF_INET6 : AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw TestClientError.socket(String(cString: strerror(errno))) }
        defer { close(fd) }
        setTimeout(fd)
        var address = storage
        let sent = bytes.withUnsafeBytes { raw in
            withUnsafePointer(to: &address) { p in
                p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, raw.baseAddress, raw.count, 0, $0, length) }
            }
        }
        guard sent == bytes.count else { throw TestClientError.socket("sendto: \(String(cString: strerror(errno)))") }
        var buffer = [UInt8](repeating: 0, count: 65_535)
        let n = recv(fd, &buffer, buffer.count, 0)
        if n < 0 {
            if errno == EAGAIN || errno == EWOULDBLOCK {
                if expectReply { throw TestClientError.timeout("UDP \(host):\(port)") }
                return nil
            }
            throw TestClientError.socket("recv: \(String(cString: strerror(errno)))")
        }
        return Array(buffer[0..<n])
    }

    /// One query over UDP.
    func query(_ name: String, _ type: RecordType, edns: EDNS? = EDNS(), id: UInt16 = UInt16.random(in: 1...UInt16.max),
               recursionDesired: Bool = true) throws -> Message {
        let message = Message.query(id: id, name: try DomainName(name), type: type, recursionDesired: recursionDesired, edns: edns)
        guard let wire = message.encoded(), let reply = try exchangeRawUDP(wire) else { throw TestClientError.closed }
        return try Message(parsing: reply)
    }

    /// A connected TCP socket to the server.
    func connectTCP() throws -> TCPTestConnection {
        let (storage, length) = try socketAddress()
        let fd = socket(isIPv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestClientError.socket(String(cString: strerror(errno))) }
        setTimeout(fd)
        var address = storage
        let result = withUnsafePointer(to: &address) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, length) }
        }
        guard result == 0 else {
            let why = String(cString: strerror(errno))
            close(fd)
            throw TestClientError.socket("connect: \(why)")
        }
        return TCPTestConnection(fd: fd)
    }

    /// One query over a new TCP connection.
    func queryTCP(_ name: String, _ type: RecordType, edns: EDNS? = EDNS()) throws -> Message {
        let connection = try connectTCP()
        defer { connection.close() }
        let message = Message.query(id: UInt16.random(in: 1...UInt16.max), name: try DomainName(name), type: type, edns: edns)
        guard let wire = message.encoded() else { throw TestClientError.closed }
        try connection.sendFrame(wire)
        return try Message(parsing: try connection.readFrame())
    }
}

/// A TCP connection speaking RFC 1035 §4.2.2 framing.
final class TCPTestConnection {
    let fd: Int32
    private var open = true

    init(fd: Int32) { self.fd = fd }
    deinit { close() }

    func close() {
        if open { Glibc.close(fd) }
        open = false
    }

    func sendRaw(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw DNSTestClient.TestClientError.socket("send: \(String(cString: strerror(errno)))") }
            offset += n
        }
    }

    func sendFrame(_ message: [UInt8]) throws {
        try sendRaw([UInt8(message.count >> 8), UInt8(message.count & 0xFF)] + message)
    }

    func readExactly(_ count: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        var got = 0
        while got < count {
            let n = out[got...].withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { throw DNSTestClient.TestClientError.closed }
            if n < 0 {
                if errno == EAGAIN || errno == EWOULDBLOCK { throw DNSTestClient.TestClientError.timeout("TCP read") }
                throw DNSTestClient.TestClientError.socket("recv: \(String(cString: strerror(errno)))")
            }
            got += n
        }
        return out
    }

    func readFrame() throws -> [UInt8] {
        let prefix = try readExactly(2)
        return try readExactly(Int(prefix[0]) << 8 | Int(prefix[1]))
    }

    /// True when the server has closed the connection (EOF) within the socket timeout.
    func waitForClose() -> Bool {
        var byte: UInt8 = 0
        while true {
            let n = recv(fd, &byte, 1, 0)
            if n == 0 { return true }
            if n < 0 { return errno == ECONNRESET }
        }
    }
}
