import DNSWire
import EventLoop

#if canImport(Glibc)
import Glibc
#endif

/// One DNS exchange on the control-plane loop: a health check of an upstream, `loop`'s probe.
///
/// Opens its own socket (`ClientSocket`), sends the query (over TCP as one framed message) and
/// completes with the first message whose ID is the query's, or nil on an error, EOF or the
/// timeout. Non-blocking; the object keeps itself alive through its registration and timer, and
/// completes exactly once.
final class OneShotExchange: IOHandler, TimerHandler {
    let loop: EventLoop
    let query: [UInt8]
    let address: SocketAddress
    let overTCP: Bool
    private var completion: (@Sendable ([UInt8]?) -> Void)?
    private var fd: Int32 = -1
    private var timer: TimerID?
    private var connected = false
    private var received: [UInt8] = []

    init(loop: EventLoop, query: [UInt8], address: SocketAddress, overTCP: Bool,
         completion: @escaping @Sendable ([UInt8]?) -> Void) {
        self.loop = loop
        self.query = query
        self.address = address
        self.overTCP = overTCP
        self.completion = completion
    }

    private var id: UInt16 { query.count >= 2 ? UInt16(query[0]) << 8 | UInt16(query[1]) : 0 }

    func start(timeout: Duration) {
        timer = loop.schedule(after: timeout, handler: self, context: 0)
        do {
            let opened = try ClientSocket.open(overTCP ? .stream : .datagram, to: address, nonBlocking: true)
            fd = opened.fd
            connected = opened.connected
            try loop.register(fd: fd, events: connected ? .readable : [.readable, .writable], handler: self)
        } catch {
            finish(nil)
            return
        }
        if connected { sendQuery() }
    }

    private func sendQuery() {
        var frame = query
        if overTCP { frame = [UInt8(query.count >> 8), UInt8(query.count & 0xFF)] + query }
        let sent = frame.withUnsafeBytes { bytes -> Bool in
            guard let result = try? Syscall.send(fd: fd, buffer: bytes, flags: Int32(MSG_NOSIGNAL)),
                  case .processed(let n) = result else { return false }
            // A query of a few dozen octets into an empty socket buffer goes in one piece.
            return n == bytes.count
        }
        if !sent { finish(nil) }
    }

    func ioReady(_ events: IOEvents) {
        guard fd >= 0 else { return }
        if !connected {
            guard ClientSocket.pendingError(fd: fd) == 0 else {
                finish(nil)
                return
            }
            connected = true
            do {
                try loop.modify(fd: fd, events: .readable)
            } catch {
                // Still watching EPOLLOUT would wake this exchange on every iteration: give up.
                finish(nil)
                return
            }
            sendQuery()
            return
        }
        var buffer = [UInt8](repeating: 0, count: 4096)
        while fd >= 0 {
            let result = buffer.withUnsafeMutableBytes { raw in Result { () throws(SystemError) in try Syscall.recv(fd: fd, buffer: raw, flags: 0) } }
            switch result {
            case .failure:
                // ECONNREFUSED and friends: nothing answers there.
                finish(nil)
                return
            case .success(.wouldBlock):
                return
            case .success(.processed(let n)):
                if overTCP {
                    if n == 0 {
                        finish(nil)
                        return
                    }
                    received += buffer[0..<n]
                    guard received.count >= 2 + Header.size else { continue }
                    let length = Int(received[0]) << 8 | Int(received[1])
                    let message = Array(received[2..<min(received.count, 2 + length)])
                    finish(matchesID(message) ? message : nil)
                    return
                } else if n >= 2 && matchesID(buffer[0..<n]) {
                    finish(Array(buffer[0..<n]))
                    return
                }
            }
        }
    }

    private func matchesID<C: Collection<UInt8>>(_ bytes: C) -> Bool {
        guard bytes.count >= 2 else { return false }
        let start = bytes.startIndex
        return UInt16(bytes[start]) << 8 | UInt16(bytes[bytes.index(after: start)]) == id
    }

    func timerFired(_ id: TimerID, context: UInt64) {
        guard timer == id else { return }
        timer = nil
        finish(nil)
    }

    private func finish(_ reply: [UInt8]?) {
        if let timer { loop.cancel(timer) }
        timer = nil
        if fd >= 0 {
            loop.unregister(fd: fd)
            Syscall.close(fd: fd)
            fd = -1
        }
        guard let completion else { return }
        self.completion = nil
        completion(reply)
    }
}
