import Corefile
import DNSWire
import Synchronization

/// `acl`: lets a query through, refuses it, answers it empty or drops it, by query type and
/// source address — so that, with `forward` in the block, the server is not an open resolver
/// for addresses outside the cluster's networks.
///
/// The first `acl` of a block takes the lines of every `acl` after it (in Corefile order) and
/// runs them as one handler, so a query meets them as CoreDNS's single `acl` instance does:
/// an `allow` in an earlier `acl` is final, and each query is counted once. Matching is a walk
/// over precompiled prefix and type lists: no allocation, no lock.
public final class ACLPlugin: PluginFactory, BlockPluginsConsumer, MetricsReporting, @unchecked Sendable {
    // @unchecked: `rules` and `leader` are set once by `connect`, before any handler is made
    // and before any thread other than the configuring one sees this object.
    public let name = "acl"
    public let config: ACLConfig
    public let serverLabel: String
    /// Every `acl` of the block in order; set on the first one only.
    var rules: [ACLConfig] = []
    var leader = true
    let counterSet = Mutex<ACLCounterSet>(ACLCounterSet(slots: 0))

    public init(config: ACLConfig, serverLabel: String) {
        self.config = config
        self.serverLabel = serverLabel
    }

    public static let setup: PluginSetupFunction = { (directive, setup) throws(CorefileError) in
        ACLPlugin(config: try ACLConfig.parse(directive, in: setup), serverLabel: "dns://:\(setup.port)")
    }

    public func connect(to blockPlugins: [any PluginFactory]) throws(CorefileError) {
        let acls = blockPlugins.compactMap { $0 as? ACLPlugin }
        leader = acls.first === self
        rules = leader ? acls.map(\.config) : []
    }

    /// Zone labels in slot order: every rule's zones, as CoreDNS's `zone` label names them.
    var zoneLabels: [String] { rules.flatMap { $0.zones.map(\.description) } }

    public func start(_ server: ServerContext) throws {
        guard leader else { return }
        let key = "plugin/acl counters \(serverLabel) \(zoneLabels.joined(separator: ","))"
        let slots = zoneLabels.count
        let shared = server.shared(key) { ACLCounterSet(slots: slots) }
        counterSet.withLock { $0 = shared }
    }

    public func makeHandler(worker: WorkerContext) -> (any PluginHandler)? {
        guard leader else { return nil }
        let counters = counterSet.withLock { set in
            if set.slots != zoneLabels.count { set = ACLCounterSet(slots: zoneLabels.count) }
            return set.counters(forWorker: worker.index)
        }
        return ACLHandler(rules: rules.map { (ZoneList($0.zones), $0.policies) }, counters: counters)
    }

    public func reportMetrics(into report: inout MetricsReport) {
        guard leader else { return }
        let set = counterSet.withLock { $0 }
        let labels = zoneLabels
        for (slot, zone) in labels.enumerated() {
            for (action, name, help) in [
                (ACLConfig.Action.block, ACLMetricNames.blocked, "Counter of DNS requests being blocked."),
                (.filter, ACLMetricNames.filtered, "Counter of DNS requests being filtered."),
                (.drop, ACLMetricNames.dropped, "Counter of DNS requests being dropped."),
            ] {
                report.counter(name, help: help, labels: [("server", serverLabel), ("zone", zone), ("view", "")],
                               value: Double(set.total(action: action, slot: slot)))
            }
        }
        report.counter(ACLMetricNames.allowed, help: "Counter of DNS requests being allowed.",
                       labels: [("server", serverLabel), ("view", "")], value: Double(set.totalAllowed))
    }
}

/// The per-worker `acl` handler: the rules of every `acl` of the block, in order.
final class ACLHandler: PluginHandler {
    let rules: [(zones: ZoneList, policies: [ACLConfig.Policy])]
    let counters: ACLWorkerCounters

    init(rules: [(zones: ZoneList, policies: [ACLConfig.Policy])], counters: ACLWorkerCounters) {
        self.rules = rules
        self.counters = counters
    }

    /// - Complexity: O(rules × (zones + lines × networks)). Allocation-free.
    func serve(_ request: Request, engine: QueryEngine) -> PluginResult {
        let name = request.questionName
        let type = request.questionType
        let source = request.route.peerAddress
        var slotBase = 0
        evaluation: for rule in rules {
            defer { slotBase += rule.zones.zones.count }
            guard let zone = rule.zones.longestMatch(name) else { continue }
            for policy in rule.policies where policy.matches(type: type, source: source) {
                switch policy.action {
                case .allow:
                    break evaluation
                case .block:
                    counters.bump(action: .block, slot: slotBase + zone)
                    request.respond(rcode: .refused)
                    return .answered
                case .filter:
                    counters.bump(action: .filter, slot: slotBase + zone)
                    request.respond(rcode: .noError)
                    return .answered
                case .drop:
                    // Answered with no response written: the engine sends nothing.
                    counters.bump(action: .drop, slot: slotBase + zone)
                    return .answered
                }
            }
        }
        counters.bumpAllowed()
        return .next
    }
}

/// Every worker's counters of one `acl` configuration, kept across reloads.
final class ACLCounterSet: Sendable {
    let slots: Int
    let workers: WorkerCounterSet<ACLWorkerCounters>

    init(slots: Int) {
        self.slots = slots
        workers = WorkerCounterSet { ACLWorkerCounters(slots: slots) }
    }

    func counters(forWorker index: Int) -> ACLWorkerCounters { workers.counters(forWorker: index) }

    func total(action: ACLConfig.Action, slot: Int) -> UInt64 { workers.total(ACLWorkerCounters.row(action) * slots + slot) }

    var totalAllowed: UInt64 { workers.total(3 * slots) }
}
