import Logging
import Synchronization

/// `ready`: `GET /ready` answers `200 OK` once every plugin of the blocks that enable `ready` is
/// ready (the registry loaded, upstreams known), `503` with the names of those that are not, and
/// `503 Shutting down` from SIGTERM on, through the lame-duck period, so load balancers and
/// kube-proxy stop sending queries before the server goes.
///
/// The factory describes the endpoint; the control plane's HTTP host serves it on its own threads.
public final class ReadyPlugin: PluginFactory, LameduckProvider, @unchecked Sendable {
    // @unchecked: `config` is immutable; the rest is behind locks or atomic.
    public let name = "ready"
    public let config: ReadyConfig
    private let shuttingDown = Atomic<Bool>(false)
    private let check: Mutex<ReadinessCheck>
    private let state = Mutex<(host: (any ControlEndpointHost)?, token: ControlEndpointToken?, server: ServerContext?)>((nil, nil, nil))

    public init(config: ReadyConfig) {
        self.config = config
        check = Mutex(ReadinessCheck(monitor: config.monitor))
    }

    /// `ready` takes no time of its own; it only starts failing when shutdown begins.
    public var lameduck: Duration { .zero }

    public func enterLameduck() {
        shuttingDown.store(true, ordering: .relaxed)
    }

    public func makeHandler(worker: WorkerContext) -> (any PluginHandler)? { nil }

    /// The answer `/ready` gives now for `blocks`.
    public func respond(blocks: [ConfiguredBlock], logger: Logger? = nil) -> ControlResponse {
        if shuttingDown.load(ordering: .relaxed) { return .text(503, "Shutting down") }
        let notReady = check.withLock { $0.evaluate(blocks) }
        if !notReady.isEmpty {
            logger?.info("Plugins not ready", metadata: ["plugins": .string(notReady.map(\.name).joined(separator: ","))])
        }
        return ReadinessCheck.response(notReady)
    }

    /// - Throws: `ControlEndpointError` when the address cannot be bound.
    public func start(_ server: ServerContext) throws {
        guard let host = server.controlPlane.endpoints else { return }
        let token = try host.open("/ready", on: config.address) { [weak self, weak server] in
            guard let self else { return .text(503, "Shutting down") }
            return self.respond(blocks: server?.introspection?.runningBlocks ?? [], logger: server?.logger)
        }
        state.withLock { $0 = (host, token, server) }
    }

    public func stop() {
        shuttingDown.store(true, ordering: .relaxed)
        let (host, token, _) = state.withLock { state in
            let current = state
            state = (nil, nil, nil)
            return current
        }
        if let host, let token { host.close(token) }
    }
}
