import DNSWire
import SystemCalls

/// What the probe needs, captured for the control-plane thread.
struct LoopProbeSettings: Sendable {
    let plugin: LoopPlugin
    let target: SocketAddress
}

/// Sends the loop plugin's HINFO probe to the server's own address from the control-plane thread,
/// CoreDNS's timing: an exchange waits up to 2 s; a failed one resets the count and is retried a
/// second later, for up to 30 s; after a completed one the check switches off 2 s later.
/// The exchange itself is the server's (`ControlPlaneNetwork`): this type only decides.
struct LoopProbe: Sendable {
    let settings: LoopProbeSettings
    let network: any ControlPlaneNetwork
    let giveUpAt: ContinuousClock.Instant

    static let exchangeTimeout: Duration = .seconds(2)
    static let retryInterval: Duration = .seconds(1)
    static let retryWindow: Duration = .seconds(30)
    static let disableAfter: Duration = .seconds(2)
    /// The first probe waits a moment, so the listeners bound after plugins start are there.
    static let firstDelay: Duration = .milliseconds(200)

    init(settings: LoopProbeSettings, network: any ControlPlaneNetwork) {
        self.settings = settings
        self.network = network
        giveUpAt = ContinuousClock.now + LoopProbe.retryWindow
    }

    func start() {
        network.schedule(after: LoopProbe.firstDelay) { attempt() }
    }

    private func attempt() {
        let plugin = settings.plugin
        guard !plugin.isDisabled else { return }
        if ContinuousClock.now >= giveUpAt {
            plugin.disable()
            return
        }
        var system = SystemRandomNumberGenerator()
        let id = UInt16(truncatingIfNeeded: system.next())
        guard let query = Message.query(id: id, name: plugin.probeName, type: .hinfo, edns: nil).encoded() else {
            failed()
            return
        }
        network.exchange(query, with: settings.target, overTCP: false, timeout: LoopProbe.exchangeTimeout) { reply in
            // Any answer with our ID (matched by the network) completes the exchange, whatever its rcode.
            if let reply, reply.count >= Header.size { succeeded() } else { failed() }
        }
    }

    private func succeeded() {
        let plugin = settings.plugin
        network.schedule(after: LoopProbe.disableAfter) { plugin.disable() }
    }

    private func failed() {
        settings.plugin.resetCount()
        network.schedule(after: LoopProbe.retryInterval) { attempt() }
    }
}
