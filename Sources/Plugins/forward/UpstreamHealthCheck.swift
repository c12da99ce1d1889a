import DNSWire
import EventLoop

#if canImport(Glibc)
import Glibc
#endif

/// What a health check of one upstream needs, captured for the control-plane thread.
struct HealthCheckSettings: Sendable {
    let plugin: ForwardPlugin
    let upstream: Int

    var health: UpstreamHealth { plugin.health[upstream] }
    var address: SocketAddress { plugin.config.upstreams[upstream].address }
    var overTCP: Bool { plugin.config.forceTCP }
}

/// Health-checks one upstream, on the control-plane loop, until it answers: CoreDNS's probe.
///
/// Each check sends `<domain> IN NS` (`.` by default; RD unless `no_rec`) over UDP, or TCP with
/// `force_tcp`, and waits one second. Any reply with a header and our ID counts as healthy, even
/// SERVFAIL or REFUSED: the point is whether the server is there, not whether it can resolve.
/// A failed check adds one to the upstream's failure count and the next one follows after the
/// `health_check` interval; a successful one resets the count and ends checking. Non-blocking
/// throughout; the object keeps itself alive through its registration and timers.
final class UpstreamProbe: IOHandler, TimerHandler {
    let settings: HealthCheckSettings
    let loop: EventLoop
    var fd: Int32 = -1
    var id: UInt16 = 0
    var timer: TimerID?
    var connected = false
    var query: [UInt8] = []
    var received: [UInt8] = []

    /// Checks never run closer together than this, even with `health_check 0`.
    static let minimumInterval: Duration = .milliseconds(10)

    init(settings: HealthCheckSettings, loop: EventLoop) {
        self.settings = settings
        self.loop = loop
    }

    /// Runs one check (and, through its outcome, the ones after it).
    func start() {
        guard !settings.plugin.isStopped else {
            settings.health.checkAbandoned()
            return
        }
        var system = SystemRandomNumberGenerator()
        id = UInt16(truncatingIfNeeded: system.next())
        let config = settings.plugin.config
        let message = Message.query(id: id, name: config.healthCheckDomain, type: .ns,
                                    recursionDesired: config.healthCheckRecursionDesired, edns: nil)
        query = message.encoded() ?? []
        received.removeAll()
        connected = false
        timer = loop.schedule(after: ForwardConfig.healthCheckTimeout, handler: self, context: 0)
        guard open() else {
            finish(healthy: false)
            return
        }
        if !settings.overTCP || connected { sendQuery() }
    }

    private func open() -> Bool {
        let address = settings.address
        let type = settings.overTCP ? Int32(SOCK_STREAM.rawValue) : Int32(SOCK_DGRAM.rawValue)
        guard let fd = try? Syscall.socket(domain: address.addressFamily,
                                           type: type | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue),
                                           protocol: 0) else { return false }
        self.fd = fd
        do {
            switch try Syscall.connect(fd: fd, address: address) {
            case .processed: connected = true
            case .wouldBlock: connected = false
            }
            try loop.register(fd: fd, events: connected ? .readable : [.readable, .writable], handler: self)
        } catch {
            Syscall.close(fd: fd)
            self.fd = -1
            return false
        }
        return true
    }

    private func sendQuery() {
        var frame = query
        if settings.overTCP { frame = [UInt8(query.count >> 8), UInt8(query.count & 0xFF)] + query }
        let sent = frame.withUnsafeBytes { bytes -> Bool in
            guard let result = try? Syscall.send(fd: fd, buffer: bytes, flags: Int32(MSG_NOSIGNAL)),
                  case .processed(let n) = result else { return false }
            // A query of a few dozen octets into an empty socket buffer goes in one piece.
            return n == bytes.count
        }
        if !sent { finish(healthy: false) }
    }

    func ioReady(_ events: IOEvents) {
        guard fd >= 0 else { return }
        if !connected {
            let error = (try? Syscall.getsockopt(fd: fd, level: SOL_SOCKET, name: SO_ERROR, as: Int32.self, initial: 0)) ?? EIO
            guard error == 0 else {
                finish(healthy: false)
                return
            }
            connected = true
            do {
                try loop.modify(fd: fd, events: .readable)
            } catch {
                // Still watching EPOLLOUT would wake this probe on every iteration: give up the check.
                finish(healthy: false)
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
                finish(healthy: false)
                return
            case .success(.wouldBlock):
                return
            case .success(.processed(let n)):
                if settings.overTCP {
                    if n == 0 {
                        finish(healthy: false)
                        return
                    }
                    received += buffer[0..<n]
                    if received.count >= 2 + Header.size {
                        finish(healthy: matchesID(received[2...]))
                        return
                    }
                } else if n >= Header.size && matchesID(buffer[0..<n]) {
                    finish(healthy: true)
                    return
                }
            }
        }
    }

    private func matchesID(_ bytes: ArraySlice<UInt8>) -> Bool {
        let start = bytes.startIndex
        return UInt16(bytes[start]) << 8 | UInt16(bytes[start + 1]) == id
    }

    func timerFired(_ id: TimerID, context: UInt64) {
        guard timer == id else { return }
        timer = nil
        finish(healthy: false)
    }

    private func finish(healthy: Bool) {
        if let timer { loop.cancel(timer) }
        timer = nil
        if fd >= 0 {
            loop.unregister(fd: fd)
            Syscall.close(fd: fd)
            fd = -1
        }
        let health = settings.health
        if healthy {
            health.checkSucceeded()
            return
        }
        health.checkFailed()
        guard !settings.plugin.isStopped else {
            health.checkAbandoned()
            return
        }
        let interval = max(settings.plugin.config.healthCheckInterval, UpstreamProbe.minimumInterval)
        loop.schedule(after: interval) { [self] in start() }
    }
}
