import Corefile
import DNSWire
import Logging
import Synchronization

/// `forward`: sends queries for its zone to upstream DNS servers and relays their answers, as
/// CoreDNS's forward plugin does (same syntax, defaults and metrics; see Docs/plugins/forward.md).
///
/// One factory per `forward` directive. It owns what all workers share: the configuration and
/// each upstream's health (atomics, written by the health checker on the control-plane thread).
/// Each worker gets its own `ForwardHandler` with its own sockets, connections and counters.
///
/// `max_concurrent N` is enforced per worker: each of W workers admits ⌈N / W⌉ outstanding
/// upstream queries. A process-wide atomic counter would be exact, but every forwarded query
/// would then write one cache line shared by all workers (twice); a share keeps the query path
/// free of shared writes. The total stays within N + W − 1, and since SO_REUSEPORT spreads
/// clients over workers by address hash, one worker can refuse while another still has room
/// when the load is very uneven — at N = 1000 (kubeadm) that takes hundreds of stuck queries.
public final class ForwardPlugin: PluginFactory, MetricsReporting, Sendable {
    public let name = "forward"
    public let config: ForwardConfig
    /// Per upstream, in configuration order; shared by every worker.
    let health: [UpstreamHealth]
    private let state = Mutex<State>(State())
    private let stopped = Atomic<Bool>(false)

    private struct State: Sendable {
        var network: (any ControlPlaneNetwork)?
        var workerMetrics: [ForwardWorkerMetrics] = []
        var handlers: [HandlerOnWorker] = []
    }

    public init(config: ForwardConfig) {
        self.config = config
        health = config.upstreams.map { UpstreamHealth(upstream: $0) }
    }

    public static let setup: PluginSetupFunction = { (directive, block) throws(CorefileError) in
        ForwardPlugin(config: try ForwardConfig.parse(directive, baseDirectory: block.baseDirectory))
    }

    public func makeHandler(worker: WorkerContext) -> (any PluginHandler)? {
        let handler = ForwardHandler(plugin: self, context: worker)
        state.withLock { state in
            state.workerMetrics.append(handler.metrics)
            if let services = worker.services { state.handlers.append(HandlerOnWorker(handler: handler, services: services)) }
        }
        return handler
    }

    public func start(_ server: ServerContext) throws {
        let network = server.network
        state.withLock { $0.network = network }
        if network == nil {
            server.logger.warning("forward: no control-plane thread; upstream health checks are off")
        }
    }

    /// Stops health checks and closes every worker's upstream sockets (after a reload replaced
    /// this plugin, or at shutdown).
    public func stop() {
        guard !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let handlers = state.withLock { state in
            let handlers = state.handlers
            state.handlers.removeAll()
            return handlers
        }
        for entry in handlers {
            entry.services.execute { entry.shutdownOnItsWorker() }
        }
    }

    var isStopped: Bool { stopped.load(ordering: .acquiring) }

    /// Upstreams are known once the Corefile is loaded (resolv.conf is read at setup), so
    /// `forward` never holds readiness back.
    public var notReadyReason: String? { nil }

    /// Starts health-checking `upstream` on the control-plane thread unless a check already runs.
    /// Called by workers after a failed attempt; allocates only when a check starts.
    func requestHealthCheck(_ upstream: Int) {
        guard !isStopped, health[upstream].beginCheck() else { return }
        guard let network = state.withLock({ $0.network }) else {
            health[upstream].checkAbandoned()
            return
        }
        UpstreamProbe(settings: HealthCheckSettings(plugin: self, upstream: upstream), network: network).start()
    }

    public func reportMetrics(into report: inout MetricsReport) {
        let workers = state.withLock { $0.workerMetrics }
        ForwardMetricsRenderer.render(upstreams: health, workers: workers, into: &report)
    }
}

/// A worker's handler with the services of its worker, so the control thread can ask the worker
/// to shut it down.
struct HandlerOnWorker: @unchecked Sendable {
    // @unchecked: `handler` is touched only inside `shutdownOnItsWorker`, which is only ever
    // called from `services.execute`, so on the handler's own worker thread; `execute` itself
    // may be called from any thread.
    let handler: ForwardHandler
    let services: any WorkerServices

    func shutdownOnItsWorker() { handler.shutdown() }
}
