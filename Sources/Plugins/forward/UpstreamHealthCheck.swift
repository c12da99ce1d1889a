import DNSWire
import SystemCalls

/// What a health check of one upstream needs, captured for the control-plane thread.
struct HealthCheckSettings: Sendable {
    let plugin: ForwardPlugin
    let upstream: Int

    var health: UpstreamHealth { plugin.health[upstream] }
    var address: SocketAddress { plugin.config.upstreams[upstream].address }
    var overTCP: Bool { plugin.config.forceTCP }
}

/// Health-checks one upstream, on the control-plane thread, until it answers: CoreDNS's probe.
///
/// Each check sends `<domain> IN NS` (`.` by default; RD unless `no_rec`) over UDP, or TCP with
/// `force_tcp`, and waits one second. Any reply with a header and our ID counts as healthy, even
/// SERVFAIL or REFUSED: the point is whether the server is there, not whether it can resolve.
/// A failed check adds one to the upstream's failure count and the next one follows after the
/// `health_check` interval; a successful one resets the count and ends checking. The exchange
/// itself is the server's (`ControlPlaneNetwork`): this type only decides.
struct UpstreamProbe: Sendable {
    let settings: HealthCheckSettings
    let network: any ControlPlaneNetwork

    /// Checks never run closer together than this, even with `health_check 0`.
    static let minimumInterval: Duration = .milliseconds(10)

    /// Runs one check (and, through its outcome, the ones after it).
    func start() {
        guard !settings.plugin.isStopped else {
            settings.health.checkAbandoned()
            return
        }
        var system = SystemRandomNumberGenerator()
        let id = UInt16(truncatingIfNeeded: system.next())
        let config = settings.plugin.config
        let message = Message.query(id: id, name: config.healthCheckDomain, type: .ns,
                                    recursionDesired: config.healthCheckRecursionDesired, edns: nil)
        guard let query = message.encoded() else {
            finish(healthy: false)
            return
        }
        network.exchange(query, with: settings.address, overTCP: settings.overTCP, timeout: ForwardConfig.healthCheckTimeout) { reply in
            // The network matched the ID; a whole header is all a healthy upstream must send.
            finish(healthy: (reply?.count ?? 0) >= Header.size)
        }
    }

    private func finish(healthy: Bool) {
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
        network.schedule(after: interval) { start() }
    }
}
