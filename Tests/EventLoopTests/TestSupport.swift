import ClusterDNSCSystem
import Synchronization
import Testing

@testable import EventLoop

/// Waits (polling every millisecond) until `condition` holds or `seconds` pass; returns whether it held.
/// Generous timeouts only: the tests wait for something to happen, they never assert how fast.
func waitUntil(seconds: Double = 10, _ condition: () -> Bool) -> Bool {
    let deadline = MonotonicInstant.now() + .milliseconds(Int64(seconds * 1000))
    while MonotonicInstant.now() < deadline {
        if condition() { return true }
        usleep(1000)
    }
    return condition()
}

/// Thread-safe box for what handlers on worker threads record for the test thread to check.
final class Shared<Value: Sendable>: Sendable {
    private let storage: Mutex<Value>
    init(_ value: Value) { storage = Mutex(value) }
    var value: Value { storage.withLock { $0 } }
    func update<R>(_ body: (inout Value) -> R) -> R { storage.withLock { body(&$0) } }
}

enum ClientError: Error, CustomStringConvertible {
    case system(SystemError)
    case timedOut(String)
    case closed
    var description: String {
        switch self {
        case .system(let error): "\(error)"
        case .timedOut(let what): "timed out waiting for \(what)"
        case .closed: "connection closed by the server"
        }
    }
}

/// A blocking UDP client socket with a receive timeout.
final class UDPClient {
    let fd: Int32

    init(family: SocketAddress.Family, timeoutSeconds: Int = 10) throws {
        let domain = family == .ipv4 ? AF_INET : AF_INET6
        do {
            fd = try Syscall.socket(domain: domain, type: Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), protocol: 0)
            try Syscall.setsockopt(fd: fd, level: SOL_SOCKET, name: SO_RCVTIMEO, value: timeval(tv_sec: timeoutSeconds, tv_usec: 0))
            try Syscall.setsockopt(fd: fd, level: SOL_SOCKET, name: SO_RCVBUF, value: Int32(1 << 20))
        } catch {
            throw ClientError.system(error)
        }
    }

    deinit { Syscall.close(fd: fd) }

    func send(_ bytes: [UInt8], to address: SocketAddress) throws {
        let sent = bytes.withUnsafeBytes { buffer in
            address.withSockAddr { pointer, length in
                CSystem_sendto(fd, buffer.baseAddress, buffer.count, 0, pointer, length)
            }
        }
        if sent < 0 { throw ClientError.system(SystemError(errno: CSystem_errno(), call: "sendto")) }
    }

    /// The next datagram and its source, or a timeout error.
    func receive() throws -> (bytes: [UInt8], from: SocketAddress) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let received = buffer.withUnsafeMutableBytes { bytes in
            withUnsafeMutablePointer(to: &storage) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    CSystem_recvfrom(fd, bytes.baseAddress, bytes.count, 0, $0, &length)
                }
            }
        }
        if received < 0 {
            let error = CSystem_errno()
            if error == EAGAIN { throw ClientError.timedOut("a datagram") }
            throw ClientError.system(SystemError(errno: error, call: "recvfrom"))
        }
        let source = withUnsafePointer(to: &storage) { SocketAddress(sockaddr: UnsafeRawPointer($0), length: length) }
        return (Array(buffer[0..<received]), source ?? .ipv4Any(port: 0))
    }
}

/// A blocking TCP client socket with a receive timeout and DNS-over-TCP framing helpers.
final class TCPClient {
    let fd: Int32
    private(set) var isClosed = false

    init(connectingTo address: SocketAddress, timeoutSeconds: Int = 10, receiveBuffer: Int32? = nil) throws {
        let domain = address.family == .ipv4 ? AF_INET : AF_INET6
        do {
            fd = try Syscall.socket(domain: domain, type: Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), protocol: 0)
            try Syscall.setsockopt(fd: fd, level: SOL_SOCKET, name: SO_RCVTIMEO, value: timeval(tv_sec: timeoutSeconds, tv_usec: 0))
            try Syscall.setsockopt(fd: fd, level: Int32(IPPROTO_TCP), name: TCP_NODELAY, value: Int32(1))
            if let receiveBuffer {
                try Syscall.setsockopt(fd: fd, level: SOL_SOCKET, name: SO_RCVBUF, value: receiveBuffer)
            }
            _ = try Syscall.connect(fd: fd, address: address)
        } catch {
            throw ClientError.system(error)
        }
    }

    deinit { close() }

    func close() {
        if !isClosed {
            isClosed = true
            Syscall.close(fd: fd)
        }
    }

    /// Closes with SO_LINGER 0, so the server sees a reset.
    func reset() {
        var linger = linger()
        linger.l_onoff = 1
        linger.l_linger = 0
        do {
            try Syscall.setsockopt(fd: fd, level: SOL_SOCKET, name: SO_LINGER, value: linger)
        } catch {
            Issue.record("SO_LINGER: \(error)")
        }
        close()
    }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { buffer in
                ClusterDNSCSystem.send(fd, buffer.baseAddress! + offset, buffer.count - offset, Int32(MSG_NOSIGNAL))
            }
            if sent < 0 {
                let error = CSystem_errno()
                if error == EINTR { continue }
                throw ClientError.system(SystemError(errno: error, call: "send"))
            }
            offset += sent
        }
    }

    static func frame(_ payload: [UInt8]) -> [UInt8] {
        [UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)] + payload
    }

    func sendFrame(_ payload: [UInt8]) throws { try send(Self.frame(payload)) }

    /// Reads exactly `count` bytes; `ClientError.closed` on EOF.
    func read(exactly count: Int, chunk: Int = 65536, pauseMicroseconds: UInt32 = 0) throws -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(count)
        var buffer = [UInt8](repeating: 0, count: min(chunk, max(count, 1)))
        while result.count < count {
            let wanted = min(buffer.count, count - result.count)
            let received = buffer.withUnsafeMutableBytes { ClusterDNSCSystem.recv(fd, $0.baseAddress, wanted, 0) }
            if received < 0 {
                let error = CSystem_errno()
                if error == EINTR { continue }
                if error == EAGAIN { throw ClientError.timedOut("\(count - result.count) more bytes") }
                throw ClientError.system(SystemError(errno: error, call: "recv"))
            }
            if received == 0 { throw ClientError.closed }
            result += buffer[0..<received]
            if pauseMicroseconds > 0 { usleep(pauseMicroseconds) }
        }
        return result
    }

    func readFrame() throws -> [UInt8] {
        let prefix = try read(exactly: 2)
        return try read(exactly: Int(prefix[0]) << 8 | Int(prefix[1]))
    }

    /// True when the server closed the connection (EOF or reset) within the receive timeout.
    func waitForServerClose() -> Bool {
        var byte: UInt8 = 0
        while true {
            let received = ClusterDNSCSystem.recv(fd, &byte, 1, 0)
            if received == 0 { return true }
            if received < 0 {
                let error = CSystem_errno()
                if error == EINTR { continue }
                return error == ECONNRESET
            }
        }
    }
}

/// Replies to every datagram with its bytes reversed, and records what it saw.
final class ReversingDatagramHandler: DatagramHandler {
    struct Seen: Sendable {
        var count = 0
        var truncated = 0
        var lastLength = 0
        var locals: [SocketAddress] = []
    }
    let seen = Shared(Seen())

    func handleDatagram(_ packet: UnsafeRawBufferPointer, truncated: Bool, from target: UDPReplyTarget, response: UnsafeMutableRawBufferPointer) -> Int? {
        seen.update {
            $0.count += 1
            if truncated { $0.truncated += 1 }
            $0.lastLength = packet.count
            $0.locals.append(target.local)
        }
        for index in 0..<packet.count { response[index] = packet[packet.count - 1 - index] }
        return packet.count
    }
}

/// Replies to every frame with its bytes reversed.
final class ReversingStreamHandler: StreamHandler {
    let frames = Shared(0)
    let closed = Shared(0)

    func handleFrame(_ frame: UnsafeRawBufferPointer, from target: TCPReplyTarget, response: UnsafeMutableRawBufferPointer) -> FrameReply {
        frames.update { $0 += 1 }
        for index in 0..<frame.count { response[index] = frame[frame.count - 1 - index] }
        return frame.isEmpty ? .drop : .now(length: frame.count)
    }

    func connectionClosed(_ target: TCPReplyTarget) { closed.update { $0 += 1 } }
}

/// A started worker group, stopped and joined by `shutdown()`.
final class RunningGroup {
    let group: WorkerGroup
    private var stopped = false

    init(_ group: WorkerGroup) throws {
        self.group = group
        do { try group.start() } catch { throw ClientError.system(error) }
    }

    func shutdown(drainFor: Duration = .zero) {
        guard !stopped else { return }
        stopped = true
        group.stop(drainFor: drainFor)
        group.join()
    }

    deinit { shutdown() }
}

extension Array where Element == UInt8 {
    init(text: String) { self = Array(text.utf8) }
}
