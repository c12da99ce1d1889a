#if canImport(Glibc)
import Glibc
#endif
import ClusterDNSCSystem
import EventLoop
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
        let context = Unmanaged.passRetained(self).toOpaque()
        var handle = pthread_t()
        let result = pthread_create(&handle, nil, { argument in
            guard let argument else { return nil }
            let probe = Unmanaged<HealthProbe>.fromOpaque(argument).takeRetainedValue()
            probe.run()
            return nil
        }, context)
        guard result == 0 else {
            Unmanaged<HealthProbe>.fromOpaque(context).release()
            return false
        }
        pthread_detach(handle)
        return true
    }

    /// Stops probing within a tenth of a second (a probe under way may finish first).
    func stop() {
        stopped.store(true, ordering: .relaxed)
    }

    private func run() {
        Signals.blockProcessSignalsInCurrentThread()
        _ = "clusterdns-health".withCString { CSystem_name_current_thread($0) }
        while !stopped.load(ordering: .relaxed) {
            for _ in 0..<10 {
                usleep(100_000)
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
    static func get(path: String, from address: ControlAddress, timeout: Duration) -> String? {
        let target = target(address)
        var storage = sockaddr_storage()
        var length: socklen_t
        let family: Int32
        if let v4 = IPv4Text.parse(target.host) {
            var a = sockaddr_in()
            a.sin_family = sa_family_t(AF_INET)
            a.sin_port = target.port.bigEndian
            a.sin_addr = v4
            withUnsafeBytes(of: a) { src in withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: src) } }
            length = socklen_t(MemoryLayout<sockaddr_in>.size)
            family = AF_INET
        } else if let v6 = IPv4Text.parse6(target.host) {
            var a = sockaddr_in6()
            a.sin6_family = sa_family_t(AF_INET6)
            a.sin6_port = target.port.bigEndian
            a.sin6_addr = v6
            withUnsafeBytes(of: a) { src in withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: src) } }
            length = socklen_t(MemoryLayout<sockaddr_in6>.size)
            family = AF_INET6
        } else {
            return "cannot probe host '\(target.host)': not an IP address"
        }
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return "socket: \(String(cString: strerror(errno)))" }
        defer { close(fd) }
        var tv = timeval(tv_sec: Int(timeout.components.seconds), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let connected = withUnsafePointer(to: &storage) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, length) }
        }
        guard connected == 0 else { return "connect: \(String(cString: strerror(errno)))" }
        let request = Array("GET \(path) HTTP/1.1\r\nHost: \(target)\r\nConnection: close\r\n\r\n".utf8)
        let sent = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == request.count else { return "send: \(String(cString: strerror(errno)))" }
        var buffer = [UInt8](repeating: 0, count: 512)
        var received = 0
        while received < 12 {
            let n = buffer.withUnsafeMutableBytes { raw -> Int in
                guard let base = raw.baseAddress else { return -1 }
                return recv(fd, base + received, raw.count - received, 0)
            }
            if n > 0 {
                received += n
            } else if n < 0 && errno == EINTR {
                continue
            } else {
                return n == 0 ? "connection closed before an answer" : "recv: \(String(cString: strerror(errno)))"
            }
        }
        return buffer.starts(with: Array("HTTP/1.".utf8)) ? nil : "not an HTTP answer"
    }
}

/// Address literals through `inet_pton`.
enum IPv4Text {
    static func parse(_ text: String) -> in_addr? {
        var a = in_addr()
        return inet_pton(AF_INET, text, &a) == 1 ? a : nil
    }

    static func parse6(_ text: String) -> in6_addr? {
        var a = in6_addr()
        return inet_pton(AF_INET6, text, &a) == 1 ? a : nil
    }
}
