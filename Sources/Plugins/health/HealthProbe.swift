#if canImport(Glibc)
import Glibc
#endif
import SystemCalls
import Logging
import Synchronization

/// CoreDNS's health self-probe: once a second, `GET /health` on the plugin's own address from a
/// thread of its own, timing it into `HealthStatistics`. A slow answer means the process is
/// struggling; no answer (refused, timed out) counts as a failure. The status code does not
/// matter: during lame duck `/health` says 503 on purpose.
final class HealthProbe: Sendable {
    let address: ControlAddress
    let statistics: HealthStatistics
    let logger: Logger
    private let stopped = Atomic<Bool>(false)
    /// How long one probe may take (CoreDNS: 3 s).
    static let timeout: Duration = .seconds(3)

    init(address: ControlAddress, statistics: HealthStatistics, logger: Logger) {
        self.address = address
        self.statistics = statistics
        self.logger = logger
    }

    /// Starts the probing thread. Returns false when no thread could be made (the probe is then
    /// simply not running; the endpoint still answers).
    @discardableResult
    func start() -> Bool {
        do {
            try ServiceThread.start(name: "clusterdns-health") { [self] in run() }
            return true
        } catch {
            return false
        }
    }

    /// Stops probing within a tenth of a second (a probe under way may finish first).
    func stop() {
        stopped.store(true, ordering: .relaxed)
    }

    private func run() {
        while !stopped.load(ordering: .relaxed) {
            for _ in 0..<10 {
                Syscall.nanosleep(nanoseconds: 100_000_000)
                if stopped.load(ordering: .relaxed) { return }
            }
            let start = ContinuousClock.now
            let answered = HealthProbe.get(path: "/health", from: address, timeout: HealthProbe.timeout)
            let elapsed = ContinuousClock.now - start
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            statistics.observe(seconds: seconds)
            if stopped.load(ordering: .relaxed) { return }
            if let failure = answered {
                statistics.failed()
                logger.warning("Local health request to \"http://\(HealthProbe.target(address))/health\" failed: \(failure)")
            } else if elapsed > .seconds(1) {
                logger.warning("Local health request to \"http://\(HealthProbe.target(address))/health\" took more than 1s: \(elapsed)")
            }
        }
    }

    /// Where to probe an endpoint that listens on `address`: a wildcard or `localhost` is reached
    /// on loopback.
    static func target(_ address: ControlAddress) -> ControlAddress {
        switch address.host {
        case "", "0.0.0.0", "localhost": ControlAddress(host: "127.0.0.1", port: address.port)
        case "::": ControlAddress(host: "::1", port: address.port)
        default: address
        }
    }

    /// One blocking HTTP/1.1 GET; nil when an HTTP status line came back, else what failed.
    /// The socket is the server's one kind of client socket (`ClientSocket`), blocking, with
    /// `timeout` as its send and receive timeout.
    static func get(path: String, from address: ControlAddress, timeout: Duration) -> String? {
        let target = target(address)
        let socketAddress: SocketAddress
        do throws(SocketAddressParseError) {
            socketAddress = try SocketAddress(parsing: target.host.contains(":") ? "[\(target.host)]" : target.host,
                                              defaultPort: target.port)
        } catch {
            return "cannot probe host '\(target.host)': not an IP address"
        }
        let fd: Int32
        do {
            fd = try ClientSocket.open(.stream, to: socketAddress, nonBlocking: false, timeout: timeout).fd
        } catch {
            return "\(error)"
        }
        defer { Syscall.close(fd: fd) }
        let request = Array("GET \(path) HTTP/1.1\r\nHost: \(target)\r\nConnection: close\r\n\r\n".utf8)
        do {
            let sent = try request.withUnsafeBytes { bytes throws(SystemError) in
                try Syscall.send(fd: fd, buffer: bytes, flags: Int32(MSG_NOSIGNAL))
            }
            guard case .processed(request.count) = sent else { return "send: timed out or short" }
        } catch {
            return "\(error)"
        }
        var buffer = [UInt8](repeating: 0, count: 512)
        var received = 0
        while received < 12 {
            let result = buffer.withUnsafeMutableBytes { raw in
                Result { () throws(SystemError) in
                    try Syscall.recv(fd: fd, buffer: UnsafeMutableRawBufferPointer(rebasing: raw[received...]), flags: 0)
                }
            }
            switch result {
            case .success(.processed(0)):
                return "connection closed before an answer"
            case .success(.processed(let n)):
                received += n
            case .success(.wouldBlock):
                // SO_RCVTIMEO passed on a blocking socket: EAGAIN.
                return "recv: timed out"
            case .failure(let error):
                return "\(error)"
            }
        }
        return buffer.starts(with: Array("HTTP/1.".utf8)) ? nil : "not an HTTP answer"
    }
}
