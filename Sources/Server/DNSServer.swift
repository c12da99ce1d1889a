import Corefile
import DNSWire
import EventLoop
import Logging
import Plugins
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The running server: workers with their listeners and plugin chains, and the control loop on
/// the calling thread that handles signals, reloads and fatal conditions.
///
/// Start-up order matters: plugins start first (a registry loads, health checks begin), then
/// sockets are bound, then worker threads start; any failure before serving exits non-zero with
/// a message and serves nothing. A reload builds and starts the new chains off the workers,
/// then each worker swaps to them between batches: a query runs wholly on the old chain or
/// wholly on the new one.
package final class DNSServer {
    let options: ServerOptions
    var logger: Logger { options.logger }
    private(set) var configuration: ServerConfiguration
    let plan: ListenPlan
    let resources = SharedResources()
    /// The control-plane thread's DNS exchanges (health checks, `loop`'s probe), one per process
    /// and kept across reloads; its thread starts on first use.
    let network = ControlPlaneLoop()
    private(set) var context: ServerContext?
    private var group: WorkerGroup?
    private var engines: [QueryEngine] = []
    private let control: EventLoop
    private var signals: SignalChannel?
    private var reloadWatcher: CorefileWatcher?
    private let fatal = FatalCondition()
    /// The chains each worker runs now, for metrics and readiness.
    let chains = WorkerChains()
    private let introspection = Introspection()
    private var exitCode: Int32 = 0
    /// The addresses actually bound, for logs and tests.
    package private(set) var boundEndpoints: [String] = []

    /// Builds the server for an already validated configuration; binds nothing yet.
    package init(configuration: ServerConfiguration, options: ServerOptions) throws(SystemError) {
        self.configuration = configuration
        self.options = options
        self.plan = ListenPlan(configuration)
        self.control = try EventLoop()
    }

    /// Loads and validates a Corefile into a configuration (what `check` and reload use).
    package static func loadConfiguration(path: String, manifestsDirectory: String?) throws(CorefileError) -> ServerConfiguration {
        let corefile = try Corefile.parse(file: path)
        let base = ServerPaths.directory(of: path)
        return try ServerConfiguration.build(corefile, manifestsDirectory: manifestsDirectory, baseDirectory: base)
    }

    /// Runs until SIGTERM/SIGINT (exit code 0) or a fatal condition (non-zero).
    /// Call `Signals.blockProcessSignalsInCurrentThread()` first, before any thread exists.
    package func run() -> Int32 {
        do {
            try start()
        } catch {
            logger.critical("\(error)")
            stopPlugins(configuration)
            return 1
        }
        if let drop = options.privilegeDrop {
            do {
                try drop.apply()
            } catch {
                logger.critical("\(error)")
                shutdown()
                return 1
            }
            logger.info("dropped privileges", metadata: [
                "user": .string(drop.user), "uid": .stringConvertible(drop.uid), "gid": .stringConvertible(drop.gid),
                "groups": .string(drop.groups.map(String.init).joined(separator: ",")),
            ])
        }
        logger.info("ClusterDNS serving", metadata: [
            "listen": .string(boundEndpoints.joined(separator: " ")),
            "workers": .stringConvertible(options.workers),
            "corefile": .string(options.corefilePath),
        ])
        options.onServing?(boundEndpoints)
        do {
            try control.run()
        } catch {
            logger.critical("control loop failed: \(error)")
            exitCode = 1
        }
        shutdown()
        if let message = fatal.message {
            logger.critical("\(message)")
            return 1
        }
        return exitCode
    }

    // MARK: Start

    func start() throws {
        let listeners = plan.endpoints.map { ServerContext.Listener(address: $0.address, port: $0.port) }
        let control = self.control
        let fatal = self.fatal
        introspection.chains = chains
        introspection.setConfiguration(configuration)
        let context = ServerContext(logger: logger, listeners: listeners, manifestsDirectory: options.manifestsDirectory,
                                    resources: resources, introspection: introspection,
                                    controlPlane: options.controlPlane, network: network) { message in
            fatal.record(message)
            control.execute { control.stop() }
        }
        self.context = context
        for block in configuration.blocks {
            for factory in block.factories { try factory.start(context) }
        }

        var workerConfiguration = WorkerConfiguration()
        workerConfiguration.udp.maxResponseSize = 4096
        workerConfiguration.tcp.maxConnections = options.maxTCPConnections
        if let idle = configuration.tcpIdleTimeout { workerConfiguration.tcp.idleTimeout = idle }
        let group = try WorkerGroup(count: options.workers, configuration: workerConfiguration)
        // The budget is split at start by the caches the Corefile has then; a reload that adds
        // `cache` directives shares the same per-worker figure (documented in Docs/deploy.md).
        let cacheCount = configuration.blocks.reduce(0) { $0 + $1.factories.count { $0 is CachePlugin } }
        let cacheBudgetPerWorker = options.cacheMemoryBudget.map { $0 / max(options.workers, 1) / max(cacheCount, 1) }
        self.group = group
        introspection.group = group
        var sinks: [WorkerResponseSink] = []
        for worker in group.workers {
            let workerContext = WorkerContext(index: worker.index, workerCount: options.workers,
                                              services: WorkerServiceHost(loop: worker.loop),
                                              cacheMemoryBudget: cacheBudgetPerWorker)
            let engine = QueryEngine(worker: workerContext,
                                     ports: Self.zoneTables(configuration, worker: workerContext, chains: chains))
            engine.cookies = configuration.cookies
            let sink = WorkerResponseSink(worker: worker)
            engine.sink = sink
            sinks.append(sink)
            engines.append(engine)
        }
        self.sinks = sinks
        introspection.engines = engines
        for endpoint in plan.endpoints {
            let requested = SocketAddress(endpoint.address, port: endpoint.port)
            let engines = self.engines
            do {
                let udp = try group.listenUDP(on: requested) { worker in
                    ListenerQueryHandler(engine: engines[worker.index], localAddress: endpoint.address, localPort: endpoint.port)
                }
                let tcp = try group.listenTCP(on: requested) { worker in
                    ListenerQueryHandler(engine: engines[worker.index], localAddress: endpoint.address, localPort: endpoint.port)
                }
                boundEndpoints.append("\(udp)/udp")
                boundEndpoints.append("\(tcp)/tcp")
            } catch {
                // An implicit IPv6 wildcard on a host without IPv6 is not worth failing for.
                if case .v6 = endpoint.address, endpoint.address == .v6(IPv6Address(high: 0, low: 0)),
                   error.errno == EAFNOSUPPORT || error.errno == EADDRNOTAVAIL {
                    logger.warning("IPv6 is not available; serving IPv4 only", metadata: ["error": "\(error)"])
                    continue
                }
                throw error.with(subject: "\(endpoint)", hint: SystemError.bindHint(errno: error.errno, port: endpoint.port))
            }
        }
        // Once a second each worker lets its handlers take the latest published registry
        // state even when no query comes, so a replaced shard or a whole index after a relist
        // is freed on idle workers too (PluginHandler.refreshState()). Scheduled before the
        // workers' threads start, as their listeners are.
        for (worker, engine) in zip(group.workers, engines) {
            Self.scheduleRefresh(loop: worker.loop, engine: engine)
        }
        try group.start()

        let signals = try SignalChannel { [weak self] signal in self?.handleSignal(signal) }
        try signals.register(on: control)
        self.signals = signals
        if let interval = configuration.reloadInterval {
            reloadWatcher = CorefileWatcher(files: configuration.corefile.files, interval: interval,
                                            jitter: configuration.reloadJitter, loop: control) { [weak self] in
                self?.reload(reason: "Corefile changed")
            }
        }
    }

    private var sinks: [WorkerResponseSink] = []

    /// One zone table per port for a configuration, with this worker's handlers. Records the
    /// chains in `chains` for metrics; reuses the worker's counters of an unchanged block.
    static func zoneTables(_ configuration: ServerConfiguration, worker: WorkerContext,
                           chains: WorkerChains) -> [(port: UInt16, zones: ZoneTable)] {
        let built = configuration.zoneTables(worker: worker, previous: chains.chains(of: worker.index))
        chains.set(built.chains, for: worker.index)
        return built.tables
    }

    // MARK: Signals, reload, stop

    func handleSignal(_ signal: Int32) {
        switch signal {
        case SIGHUP:
            reload(reason: "SIGHUP")
        case SIGTERM, SIGINT:
            logger.info("shutting down", metadata: ["signal": .string(signal == SIGTERM ? "SIGTERM" : "SIGINT")])
            beginShutdown()
        default:
            break
        }
    }

    private var stopping = false

    func beginShutdown() {
        guard !stopping else { return }
        stopping = true
        // Lame duck (the `health` plugin): keep answering while probes report unhealthy, so
        // clients and kube-proxy move away before the sockets close.
        var lameduck: Duration = .zero
        for block in configuration.blocks {
            for case let provider as any LameduckProvider in block.factories {
                provider.enterLameduck()
                lameduck = max(lameduck, provider.lameduck)
            }
        }
        if lameduck > .zero {
            logger.info("going into lameduck mode", metadata: ["duration": "\(lameduck)"])
            _ = control.schedule(after: lameduck) { [weak self] in self?.control.stop() }
        } else {
            control.stop()
        }
    }

    func shutdown() {
        group?.stop(drainFor: options.drainTimeout)
        group?.join()
        stopPlugins(configuration)
        for old in retired { stopPlugins(old) }
        retired.removeAll()
        reloadWatcher?.stop()
    }

    func stopPlugins(_ configuration: ServerConfiguration) {
        for block in configuration.blocks {
            for factory in block.factories { factory.stop() }
        }
    }

    private var retired: [ServerConfiguration] = []

    /// Re-reads the Corefile and swaps every worker to the new chains; on any error the old
    /// configuration keeps serving and the error is logged.
    func reload(reason: String) {
        guard !stopping, let context, let group else { return }
        let next: ServerConfiguration
        do {
            next = try DNSServer.loadConfiguration(path: options.corefilePath, manifestsDirectory: options.manifestsDirectory)
        } catch {
            logger.error("reload failed, keeping the running configuration", metadata: ["reason": .string(reason), "error": "\(error)"])
            ReloadStatistics.shared.failed()
            return
        }
        guard ListenPlan(next) == plan, next.tcpIdleTimeout == configuration.tcpIdleTimeout else {
            logger.error("reload failed, keeping the running configuration: listen addresses, ports or TCP timeouts changed (restart to change them)",
                         metadata: ["reason": .string(reason)])
            ReloadStatistics.shared.failed()
            return
        }
        do {
            for block in next.blocks {
                for factory in block.factories { try factory.start(context) }
            }
        } catch {
            stopPlugins(next)
            logger.error("reload failed, keeping the running configuration", metadata: ["reason": .string(reason), "error": "\(error)"])
            ReloadStatistics.shared.failed()
            return
        }
        let previous = configuration
        configuration = next
        introspection.setConfiguration(next)
        for (index, worker) in group.workers.enumerated() {
            // The engine belongs to the worker's thread; this closure runs there and nowhere else.
            nonisolated(unsafe) let engine = engines[index]
            let chains = self.chains
            worker.loop.execute {
                engine.replaceChains(DNSServer.zoneTables(next, worker: engine.worker, chains: chains))
                engine.cookies = next.cookies
            }
        }
        // Old plugins stop once queries that started on them had time to finish.
        retired.append(previous)
        _ = control.schedule(after: .seconds(10)) { [weak self] in
            guard let self, let index = self.retired.firstIndex(where: { $0.corefile == previous.corefile }) else { return }
            self.stopPlugins(self.retired.remove(at: index))
        }
        // The old watcher goes whatever the new Corefile says: a Corefile without `reload` is
        // reloaded by SIGHUP only, as in CoreDNS.
        reloadWatcher?.stop()
        reloadWatcher = nil
        if let interval = next.reloadInterval {
            reloadWatcher = CorefileWatcher(files: next.corefile.files, interval: interval, jitter: next.reloadJitter,
                                            loop: control) { [weak self] in self?.reload(reason: "Corefile changed") }
        }
        logger.info(reloadWatcher == nil ? "Corefile watcher off: no reload directive" : "Corefile watcher on",
                    metadata: ["reason": .string(reason)])
        ReloadStatistics.shared.succeeded()
        logger.info("reloaded configuration", metadata: ["reason": .string(reason)])
    }

    /// Every worker's engine (for metrics).
    package var workerEngines: [QueryEngine] { engines }
}


/// The first fatal condition a plugin reported (the `loop` plugin's verdict), from any thread.
final class FatalCondition: Sendable {
    private let storage = Mutex<String?>(nil)
    func record(_ message: String) { storage.withLock { if $0 == nil { $0 = message } } }
    var message: String? { storage.withLock { $0 } }
}

/// The chains each worker runs, written by the worker when it (re)builds them, read by scrapes.
final class WorkerChains: Sendable {
    private let lock = Mutex<[Int: [ChainRuntime]]>([:])
    func set(_ chains: [ChainRuntime], for worker: Int) {
        lock.withLock { $0[worker] = chains }
    }
    func chains(of worker: Int) -> [ChainRuntime] {
        lock.withLock { $0[worker] } ?? []
    }
    var all: [[ChainRuntime]] {
        lock.withLock { table in table.keys.sorted().compactMap { table[$0] } }
    }
}

/// The server as plugins see it (`ServerIntrospection`).
final class Introspection: ServerIntrospection, @unchecked Sendable {
    // @unchecked: mutable state is behind `state`'s lock; `chains` is set once before start.
    nonisolated(unsafe) var chains = WorkerChains()
    private let state = Mutex<ServerConfiguration?>(nil)
    nonisolated(unsafe) var engines: [QueryEngine] = []
    /// Set once, before the workers start (and before any scrape can reach it).
    nonisolated(unsafe) var group: WorkerGroup?

    func setConfiguration(_ configuration: ServerConfiguration) { state.withLock { $0 = configuration } }

    var runningPlugins: [any PluginFactory] {
        state.withLock { $0?.blocks.flatMap(\.factories) ?? [] }
    }

    var blockMetrics: [(serverLabel: String, zones: [DomainName], workers: [BlockMetrics])] {
        var grouped: [(serverLabel: String, zones: [DomainName], workers: [BlockMetrics])] = []
        for workerChains in chains.all {
            for chain in workerChains {
                if let i = grouped.firstIndex(where: { $0.serverLabel == chain.serverLabel && $0.zones == chain.zones }) {
                    grouped[i].workers.append(chain.metrics)
                } else {
                    grouped.append((chain.serverLabel, chain.zones, [chain.metrics]))
                }
            }
        }
        return grouped
    }

    var engineCounters: [EngineCounters] { engines.map(\.counters) }

    var runningBlocks: [ConfiguredBlock] {
        state.withLock { $0?.blocks ?? [] }
    }

    var transportCounters: [CounterSample] { group?.counters.samples ?? [] }

    var droppedMetrics: [(serverLabel: String, workers: [BlockMetrics])] {
        var grouped: [(serverLabel: String, workers: [BlockMetrics])] = []
        for engine in engines {
            for (port, metrics) in engine.droppedMetrics {
                let label = "dns://:\(port)"
                if let i = grouped.firstIndex(where: { $0.serverLabel == label }) {
                    grouped[i].workers.append(metrics)
                } else {
                    grouped.append((label, [metrics]))
                }
            }
        }
        return grouped
    }
}

extension DNSServer {
    /// Runs `engine.refreshHandlers()` on the worker's loop every second, for the worker's life.
    fileprivate static func scheduleRefresh(loop: EventLoop, engine: QueryEngine) {
        _ = loop.schedule(after: .seconds(1)) {
            engine.refreshHandlers()
            scheduleRefresh(loop: loop, engine: engine)
        }
    }
}
