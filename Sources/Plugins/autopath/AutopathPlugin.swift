import Corefile
import DNSWire
import Synchronization

/// `autopath`: the configured plugin of one server block. It makes one `AutopathHandler` per
/// worker and, for `@PLUGIN`, links to that plugin's `AutoPathProvider` when the block is built.
///
/// Why link at configuration time (`BlockPluginsConsumer`) rather than look the provider up at
/// `start` through `ServerContext.introspection`: the introspection lists the running
/// configuration, which during a reload is still the old one, so the new autopath would bind to
/// the old `kubernetes` plugin (stopped seconds later). Linking while the block is built ties each
/// configuration's plugins to each other, and a Corefile without the named plugin fails `check`
/// and reload with the line of the `autopath` directive.
public final class AutopathPlugin: PluginFactory, BlockPluginsConsumer, MetricsReporting {
    public let name = "autopath"
    public let config: AutopathConfig
    public let serverLabel: String
    let directive: Directive
    let provider = Mutex<(any AutoPathProvider)?>(nil)
    /// Per-worker counters; replaced at `start` by the set kept across reloads.
    let counterSet = Mutex<AutopathCounterSet>(AutopathCounterSet())

    init(config: AutopathConfig, serverLabel: String, location directive: Directive) {
        self.config = config
        self.serverLabel = serverLabel
        self.directive = directive
    }

    public func connect(to blockPlugins: [any PluginFactory]) throws(CorefileError) {
        guard case .plugin(let wanted) = config.source else { return }
        guard let partner = blockPlugins.first(where: { $0.name == wanted }) else {
            throw directive.error("@\(wanted): there is no '\(wanted)' plugin in this server block")
        }
        guard let source = partner as? any AutoPathProvider else {
            throw directive.error("@\(wanted): the \(wanted) plugin does not provide search paths (AutoPathProvider)")
        }
        provider.withLock { $0 = source }
    }

    public func start(_ server: ServerContext) throws {
        let shared = server.shared("plugin/autopath counters \(serverLabel)") { AutopathCounterSet() }
        counterSet.withLock { $0 = shared }
    }

    public func makeHandler(worker: WorkerContext) -> (any PluginHandler)? {
        let workerCounters = counterSet.withLock { $0 }.counters(forWorker: worker.index)
        switch config.source {
        case .resolvConf(_, let search):
            // Without search domains there is nothing to complete: see no queries at all.
            guard !search.isEmpty else { return nil }
            return AutopathHandler(zones: config.zones, searchPath: .fixed(search + [.root]), counters: workerCounters)
        case .plugin:
            guard let source = provider.withLock({ $0 }) else { return nil }
            return AutopathHandler(zones: config.zones, searchPath: .provider(source.makeSearchPathReader()), counters: workerCounters)
        }
    }

    public func reportMetrics(into report: inout MetricsReport) {
        let total = counterSet.withLock { $0 }.successes
        report.counter(AutopathCounters.successName, help: "Counter of requests that did autopath.",
                       labels: [("server", serverLabel)], value: Double(total))
    }
}
