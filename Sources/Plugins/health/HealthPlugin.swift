import Logging
import Synchronization

/// `health`: `GET /health` answers `200 OK` while the process serves, so a liveness probe can
/// tell a hung server from a working one.
///
/// With `lameduck DURATION`, SIGTERM does not stop the server at once: the server calls
/// `enterLameduck()`, keeps answering DNS for the duration while `/health` answers
/// `503 Lameduck`, then exits. CoreDNS keeps answering 200 during lame duck (only `ready` turns
/// 503 there); ClusterDNS reports the failure on `/health` too, as its issue asks, so a probe on
/// either endpoint sees the server leaving.
///
/// The endpoint is served by the control plane's HTTP host (its own threads); this factory only
/// describes it. A self-probe thread measures `/health` once a second, as CoreDNS does.
public final class HealthPlugin: PluginFactory, LameduckProvider, @unchecked Sendable {
    // @unchecked: `config` is immutable; the rest is behind `state`'s lock or atomic.
    public let name = "health"
    public let config: HealthConfig
    private let lameducking = Atomic<Bool>(false)
    private let state = Mutex<(host: (any ControlEndpointHost)?, token: ControlEndpointToken?, probe: HealthProbe?)>((nil, nil, nil))

    public init(config: HealthConfig) {
        self.config = config
    }

    public var lameduck: Duration { config.lameduck }

    public func enterLameduck() {
        lameducking.store(true, ordering: .relaxed)
    }

    /// True once shutdown started.
    public var isLameducking: Bool { lameducking.load(ordering: .relaxed) }

    /// The answer `/health` gives now.
    public func respond() -> ControlResponse {
        isLameducking ? .text(503, "Lameduck") : .text(200, "OK")
    }

    public func makeHandler(worker: WorkerContext) -> (any PluginHandler)? { nil }

    /// Opens `/health` on the configured address and starts the self-probe.
    /// - Throws: `ControlEndpointError` when the address cannot be bound.
    public func start(_ server: ServerContext) throws {
        guard let host = server.controlPlane.endpoints else { return }
        let token = try host.open("/health", on: config.address) { [weak self] in
            self?.respond() ?? .text(503, "Shutting down")
        }
        let probe = HealthProbe(address: config.address, statistics: .shared, logger: server.logger)
        probe.start()
        state.withLock { $0 = (host, token, probe) }
    }

    public func stop() {
        let (host, token, probe) = state.withLock { state in
            let current = state
            state = (nil, nil, nil)
            return current
        }
        probe?.stop()
        if let host, let token { host.close(token) }
    }
}
