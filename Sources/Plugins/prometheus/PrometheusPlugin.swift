import Synchronization

/// `prometheus`: `GET /metrics` in the Prometheus text format, with CoreDNS's metric names and
/// labels so existing dashboards and alerts work unchanged.
///
/// Nothing runs per query here: workers count into their own `BlockMetrics` as they answer, and a
/// scrape sums the workers (`MetricsExposition`). Several blocks (or a reload) may name the same
/// address; one endpoint answers for all of them, and every endpoint exports the whole process,
/// as CoreDNS's shared registry does.
public final class PrometheusPlugin: PluginFactory, @unchecked Sendable {
    // @unchecked: `config` is immutable; the rest is behind `state`'s lock.
    public let name = "prometheus"
    public let config: PrometheusConfig
    private let state = Mutex<(host: (any ControlEndpointHost)?, token: ControlEndpointToken?)>((nil, nil))

    public init(config: PrometheusConfig) {
        self.config = config
    }

    public func makeHandler(worker: WorkerContext) -> (any PluginHandler)? { nil }

    /// - Throws: `ControlEndpointError` when the address cannot be bound.
    public func start(_ server: ServerContext) throws {
        guard let host = server.controlPlane.endpoints else { return }
        let controlPlane = server.controlPlane
        let token = try host.open("/metrics", on: config.address) { [weak server] in
            let body = MetricsExposition.render(introspection: server?.introspection, build: controlPlane)
            return ControlResponse(status: 200, contentType: MetricsExposition.contentType, body: body)
        }
        state.withLock { $0 = (host, token) }
    }

    public func stop() {
        let (host, token) = state.withLock { state in
            let current = state
            state = (nil, nil)
            return current
        }
        if let host, let token { host.close(token) }
    }
}
