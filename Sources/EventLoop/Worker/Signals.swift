import ClusterDNSCSystem

/// A signalfd for SIGTERM, SIGINT and SIGHUP that calls `onSignal` with each signal number, on the loop it is
/// registered on. The signals must be blocked in every thread (see `Signals`), or the default action (exit)
/// may run instead.
package final class SignalChannel: IOHandler {
    /// The signalfd.
    package let fd: Int32
    private let onSignal: (Int32) -> Void
    private weak var loop: EventLoop?

    /// Creates the signalfd for `signals` (default: SIGTERM, SIGINT, SIGHUP).
    package init(signals: [Int32] = Signals.handled, onSignal: @escaping (Int32) -> Void) throws(SystemError) {
        var set = sigset_t()
        sigemptyset(&set)
        for signal in signals { sigaddset(&set, signal) }
        fd = try Syscall.signalfd(fd: -1, mask: set, flags: Int32(SFD_NONBLOCK | SFD_CLOEXEC))
        self.onSignal = onSignal
    }

    deinit {
        loop?.unregister(fd: fd)
        Syscall.close(fd: fd)
    }

    /// Watches the signalfd on `loop` (the control plane's loop).
    package func register(on loop: EventLoop) throws(SystemError) {
        try loop.register(fd: fd, events: .readable, handler: self)
        self.loop = loop
    }

    /// Reads one pending signal; `nil` when none is pending.
    package func readSignal() throws(SystemError) -> Int32? {
        var info = signalfd_siginfo()
        let result = try withUnsafeMutableBytes(of: &info) { bytes throws(SystemError) in
            try Syscall.read(fd: fd, buffer: bytes)
        }
        guard case .processed(let count) = result, count == MemoryLayout<signalfd_siginfo>.size else { return nil }
        return Int32(bitPattern: info.ssi_signo)
    }

    package func ioReady(_ events: IOEvents) {
        while true {
            let signal: Int32?
            do {
                signal = try readSignal()
            } catch {
                return  // a signalfd read fails only with EAGAIN (a value) or EINVAL (bad size, impossible).
            }
            guard let signal else { return }
            onSignal(signal)
        }
    }
}
