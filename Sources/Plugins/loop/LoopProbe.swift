import DNSWire
import EventLoop

#if canImport(Glibc)
import Glibc
#endif

/// What the probe needs, captured for the control-plane thread.
struct LoopProbeSettings: Sendable {
    let plugin: LoopPlugin
    let target: SocketAddress
}

/// Sends the loop plugin's HINFO probe to the server's own address from the control-plane loop,
/// CoreDNS's timing: an exchange waits up to 2 s; a failed one resets the count and is retried a
/// second later, for up to 30 s; after a completed one the check switches off 2 s later.
/// Non-blocking; the object keeps itself alive through its registration and timers.
final class LoopProbe: IOHandler, TimerHandler {
    let settings: LoopProbeSettings
    let loop: EventLoop
    var fd: Int32 = -1
    var id: UInt16 = 0
    var timer: TimerID?
    var giveUpAt: MonotonicInstant?

    static let exchangeTimeout: Duration = .seconds(2)
    static let retryInterval: Duration = .seconds(1)
    static let retryWindow: Duration = .seconds(30)
    static let disableAfter: Duration = .seconds(2)
    /// The first probe waits a moment, so the listeners bound after plugins start are there.
    static let firstDelay: Duration = .milliseconds(200)

    init(settings: LoopProbeSettings, loop: EventLoop) {
        self.settings = settings
        self.loop = loop
    }

    func start() {
        giveUpAt = loop.now + LoopProbe.retryWindow
        loop.schedule(after: LoopProbe.firstDelay) { [self] in attempt() }
    }

    private func attempt() {
        let plugin = settings.plugin
        guard !plugin.isDisabled else { return }
        if let giveUpAt, loop.now >= giveUpAt {
            plugin.disable()
            return
        }
        var system = SystemRandomNumberGenerator()
        id = UInt16(truncatingIfNeeded: system.next())
        let query = Message.query(id: id, name: plugin.probeName, type: .hinfo, edns: nil).encoded() ?? []
        timer = loop.schedule(after: LoopProbe.exchangeTimeout, handler: self, context: 0)
        guard open(), send(query) else {
            failed()
            return
        }
    }

    private func open() -> Bool {
        let target = settings.target
        guard let fd = try? Syscall.socket(domain: target.addressFamily,
                                           type: Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue),
                                           protocol: 0) else { return false }
        self.fd = fd
        do {
            _ = try Syscall.connect(fd: fd, address: target)
            try loop.register(fd: fd, events: .readable, handler: self)
        } catch {
            Syscall.close(fd: fd)
            self.fd = -1
            return false
        }
        return true
    }

    private func send(_ query: [UInt8]) -> Bool {
        query.withUnsafeBytes { bytes in
            guard let result = try? Syscall.send(fd: fd, buffer: bytes, flags: 0), case .processed(let n) = result else { return false }
            return n == bytes.count
        }
    }

    func ioReady(_ events: IOEvents) {
        var buffer = [UInt8](repeating: 0, count: 512)
        while fd >= 0 {
            let result = buffer.withUnsafeMutableBytes { raw in Result { () throws(SystemError) in try Syscall.recv(fd: fd, buffer: raw, flags: 0) } }
            switch result {
            case .failure:
                failed()
                return
            case .success(.wouldBlock):
                return
            case .success(.processed(let n)):
                // Any answer with our ID completes the exchange, whatever its rcode.
                if n >= Header.size && UInt16(buffer[0]) << 8 | UInt16(buffer[1]) == id {
                    succeeded()
                    return
                }
            }
        }
    }

    func timerFired(_ id: TimerID, context: UInt64) {
        guard timer == id else { return }
        timer = nil
        failed()
    }

    private func close() {
        if let timer { loop.cancel(timer) }
        timer = nil
        if fd >= 0 {
            loop.unregister(fd: fd)
            Syscall.close(fd: fd)
            fd = -1
        }
    }

    private func succeeded() {
        close()
        let plugin = settings.plugin
        loop.schedule(after: LoopProbe.disableAfter) { plugin.disable() }
    }

    private func failed() {
        close()
        settings.plugin.resetCount()
        loop.schedule(after: LoopProbe.retryInterval) { [self] in attempt() }
    }
}
