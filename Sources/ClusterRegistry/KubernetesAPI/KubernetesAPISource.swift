import Foundation
import Logging
import Synchronization

/// Lists and watches the Kubernetes API (Services, EndpointSlices, Namespaces, and Pods when
/// asked) and publishes a `ClusterState` after every burst of changes (rebuilding only the shards they touched).
///
/// Runs on the control plane only: one task per resource (`ResourceWatcher`, client-go's
/// reflector algorithm), one task that coalesces changes into publications, and the HTTP
/// client's own threads. Workers only ever see the published snapshots.
///
/// - Publication: nothing is published until every resource has been listed once (a partial
///   cluster is never served); after that, changes are published at most `coalesceWindow`
///   after the first of a burst, and at most `coalesceLimit` after it under a continuous
///   stream, so an EndpointSlice replaced by another (delete, then add) lands in one snapshot.
///   While a resource relists after a 410, publication waits for its sweep.
/// - Loss: when the API goes away the last snapshot keeps serving and the source stays synced
///   (CoreDNS's behaviour: all replicas lose the API together, and flipping readiness would take
///   DNS down cluster-wide); the state change is logged once, not per retry.
public final class KubernetesAPISource: Sendable {
    public struct Options: Sendable {
        /// The resources to watch; pods only for `pods verified`.
        public var resources: [APIResource] = [.namespaces, .services, .endpointSlices]
        /// Range of `timeoutSeconds` for watches, drawn at random per watch so replicas'
        /// re-watches spread out (client-go: 300–600 s).
        public var watchTimeoutSeconds: ClosedRange<Int> = 300...600
        /// A watch that delivers no byte for its `timeoutSeconds` plus this is dead.
        public var stallGrace: Duration = .seconds(30)
        /// Try a streaming list (`sendInitialEvents=true`) first; fall back to LIST when the
        /// server refuses it or sends no end-of-initial-events bookmark within `watchListDeadline`.
        public var useWatchList = true
        public var watchListDeadline: Duration = .seconds(30)
        /// `limit` on LIST pages.
        public var listPageSize = 500
        public var coalesceWindow: Duration = .milliseconds(10)
        public var coalesceLimit: Duration = .milliseconds(50)
        /// Retry backoff: exponential from `backoffInitial` to `backoffMax`, with jitter.
        public var backoffInitial: Duration = .milliseconds(800)
        public var backoffMax: Duration = .seconds(30)
        /// Longest wait for a response head.
        public var requestTimeout: Duration = .seconds(30)
        public var userAgent = "clusterdns"

        public init() {}

        /// Test and tuning overrides from the environment (documented in Docs/kubernetes-api.md):
        /// `CLUSTERDNS_API_WATCH_TIMEOUT=MIN-MAX` (seconds), `CLUSTERDNS_API_STALL_GRACE=S`,
        /// `CLUSTERDNS_API_WATCHLIST=0|1`, `CLUSTERDNS_API_WATCHLIST_DEADLINE=S`,
        /// `CLUSTERDNS_API_BACKOFF_MAX=S`, `CLUSTERDNS_API_PAGE_SIZE=N`.
        public mutating func applyEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) {
            if let text = environment["CLUSTERDNS_API_WATCH_TIMEOUT"] {
                let parts = text.split(separator: "-").compactMap { Int($0) }
                if parts.count == 2, parts[0] >= 1, parts[0] <= parts[1] { watchTimeoutSeconds = parts[0]...parts[1] }
                if parts.count == 1, parts[0] >= 1 { watchTimeoutSeconds = parts[0]...parts[0] }
            }
            if let s = environment["CLUSTERDNS_API_STALL_GRACE"].flatMap(Double.init), s >= 0 { stallGrace = .milliseconds(Int(s * 1000)) }
            if let v = environment["CLUSTERDNS_API_WATCHLIST"] { useWatchList = v != "0" && v != "false" }
            if let s = environment["CLUSTERDNS_API_WATCHLIST_DEADLINE"].flatMap(Double.init), s > 0 { watchListDeadline = .milliseconds(Int(s * 1000)) }
            if let s = environment["CLUSTERDNS_API_BACKOFF_MAX"].flatMap(Double.init), s > 0 {
                backoffMax = .milliseconds(Int(s * 1000))
                if backoffInitial > backoffMax { backoffInitial = backoffMax }
            }
            if let n = environment["CLUSTERDNS_API_PAGE_SIZE"].flatMap(Int.init), n > 0 { listPageSize = n }
        }
    }

    public let settings: APIServerSettings
    public let options: Options
    /// Where snapshots are published. Workers read them through the `kubernetes` plugin's index.
    public let snapshots: SnapshotCell<ClusterState>
    let transport: any APITransport
    let tokens: BearerTokenSource
    let logger: Logger

    struct State {
        var store: APIObjectStore
        var statistics = APISourceStatistics()
        /// Resources whose first list completed.
        var listed: Set<APIResource> = []
        /// Resources in the middle of a relist (publication waits for their sweep).
        var relisting: Set<APIResource> = []
        /// Resources whose last request failed, with why (for the once-per-change log).
        var failing: [APIResource: String] = [:]
        var reportedDown = false
        /// When the first unpublished change arrived (nil: nothing pending).
        var pendingSince: ContinuousClock.Instant?
        /// The last publication not yet followed by a heap trim.
        var untrimmedSince: ContinuousClock.Instant?
        var lastChange: ContinuousClock.Instant?
        /// EndpointSlice changes with a trigger time, waiting for their publication.
        var pendingProgramming: [(serviceKind: String, trigger: Date)] = []
        var tasks: [Task<Void, Never>] = []
        var stopped = false
    }
    let state: LockedState<State>
    private let wake: AsyncStream<Void>.Continuation
    private let wakeups: Mutex<AsyncStream<Void>?>

    public init(settings: APIServerSettings, transport: any APITransport, options: Options = Options(),
                snapshots: SnapshotCell<ClusterState> = SnapshotCell(), logger: Logger = Logger(label: "clusterdns.kubernetes-api")) {
        self.settings = settings
        self.options = options
        self.transport = transport
        self.snapshots = snapshots
        self.logger = logger
        self.tokens = BearerTokenSource(inline: settings.token, file: settings.tokenFile)
        self.state = LockedState(State(store: APIObjectStore(origin: "kubernetes-api")))
        let (stream, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        self.wake = continuation
        self.wakeups = Mutex(stream)
    }

    /// Starts the watchers and the publisher. Returns at once; `waitUntilSynced` blocks until the
    /// first snapshot is out.
    public func start() {
        guard let stream = wakeups.withLock({ value -> AsyncStream<Void>? in defer { value = nil }; return value }) else { return }
        var tasks: [Task<Void, Never>] = []
        tasks.append(Task.detached { [self] in await publishLoop(stream) })
        tasks.append(Task.detached { [self] in await trimLoop() })
        for resource in options.resources {
            let watcher = ResourceWatcher(source: self, resource: resource)
            tasks.append(Task.detached { await watcher.run() })
        }
        state.withLock { $0.tasks = tasks }
        logger.info("watching the Kubernetes API", metadata: [
            "server": .string(settings.server), "config": .string(settings.origin),
            "resources": .string(options.resources.map(\.rawValue).joined(separator: ",")),
        ])
    }

    /// Stops every task and closes the client. The last snapshot stays published.
    public func stop() async {
        let tasks = state.withLock { state -> [Task<Void, Never>] in
            state.stopped = true
            defer { state.tasks = [] }
            return state.tasks
        }
        wake.finish()
        for task in tasks { task.cancel() }
        for task in tasks { await task.value }
        await transport.shutdown()
    }

    /// Blocks the calling (non-async) thread until every resource is listed and the first
    /// snapshot is published, or `timeout` passed. CoreDNS's `startup_timeout`.
    /// - Returns: true when synced.
    public func waitUntilSynced(timeout: Duration) -> Bool {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        var lastLog = ContinuousClock.now
        while !isSynced {
            let now = ContinuousClock.now
            if now >= deadline { return false }
            if lastLog.duration(to: now) >= .milliseconds(500) {
                logger.info("waiting for the Kubernetes API before serving cluster names")
                lastLog = now
            }
            usleep(20_000)
        }
        return true
    }

    /// True once every resource was listed and the snapshot holding them is published.
    public var isSynced: Bool { state.withLock { $0.statistics.synced } }

    public var statistics: APISourceStatistics { state.withLock { $0.statistics } }

    // MARK: Called by the watchers

    /// Records a change (already applied to the store) and wakes the publisher.
    func noteChange() {
        state.withLock { state in
            let now = ContinuousClock.now
            if state.pendingSince == nil { state.pendingSince = now }
            state.lastChange = now
        }
        wake.yield()
    }

    /// Records that `resource`'s (re)list finished.
    func noteListed(_ resource: APIResource) {
        state.withLock { state in
            state.listed.insert(resource)
            state.relisting.remove(resource)
            if state.pendingSince == nil { state.pendingSince = .now }
            state.lastChange = .now
        }
        wake.yield()
    }

    /// Records a successful exchange with the server; logs when the API came back.
    func noteHealthy(_ resource: APIResource) {
        let cameBack = state.withLock { state -> Bool in
            state.statistics.lastContact = Date()
            state.failing[resource] = nil
            state.statistics.up = state.failing.isEmpty && state.listed.count == options.resources.count
            if state.failing.isEmpty && state.reportedDown {
                state.reportedDown = false
                return true
            }
            return false
        }
        if cameBack { logger.notice("Kubernetes API reachable again", metadata: ["server": .string(settings.server)]) }
    }

    /// Records a failure of `resource`'s requests; logs only when the source goes from up to down.
    func noteFailure(_ resource: APIResource, _ reason: String) {
        let report = state.withLock { state -> Bool in
            state.failing[resource] = reason
            state.statistics.up = false
            if !state.reportedDown {
                state.reportedDown = true
                return true
            }
            return false
        }
        if report {
            logger.warning("Kubernetes API unreachable; serving the last state", metadata: [
                "server": .string(settings.server), "resource": .string(resource.rawValue), "reason": .string(reason),
            ])
        }
    }

    // MARK: Publication

    private func publishLoop(_ stream: AsyncStream<Void>) async {
        for await _ in stream {
            // Coalesce: wait `coalesceWindow` after the latest change, but never more than
            // `coalesceLimit` after the first one of the burst.
            while !Task.isCancelled {
                let wait = state.withLock { state -> Duration? in
                    guard let first = state.pendingSince else { return nil }
                    let now = ContinuousClock.now
                    let quietAt = (state.lastChange ?? first).advanced(by: options.coalesceWindow)
                    let limitAt = first.advanced(by: options.coalesceLimit)
                    let at = min(quietAt, limitAt)
                    return at > now ? now.duration(to: at) : .zero
                }
                guard let wait else { break }
                if wait > .zero {
                    try? await Task.sleep(for: wait)
                    continue
                }
                if !publishIfReady() { break }
            }
        }
    }

    /// Returns the heap the replaced shards freed to the system once publications pause for a
    /// second, or every 5 s while they keep coming (glibc keeps freed small blocks otherwise,
    /// and RSS would follow every change).
    private func trimLoop() async {
        var lastTrim = ContinuousClock.now
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(1))
            let due = state.withLock { state -> Bool in
                guard let since = state.untrimmedSince,
                      since.duration(to: .now) >= .seconds(1) || lastTrim.duration(to: .now) >= .seconds(5) else { return false }
                state.untrimmedSince = nil
                return true
            }
            if due {
                HeapTrim.trim()
                lastTrim = .now
            }
        }
    }

    /// Builds and publishes a snapshot when every resource is listed and none is relisting.
    /// Returns false when it is not time yet (the next list completion wakes us again).
    @discardableResult
    func publishIfReady() -> Bool {
        let prepared = state.withLock { state -> (shards: [[ObjectSource]], namespaces: [ObjectSource], changed: Set<Int>?, issues: [ManifestIssue], programming: [(String, Date)])? in
            guard state.listed.count == options.resources.count, state.relisting.isEmpty else { return nil }
            state.pendingSince = nil
            state.lastChange = nil
            let programming = state.pendingProgramming
            state.pendingProgramming = []
            return (state.store.shardSources(), state.store.namespaceSources(), state.store.takeChangedShards(),
                    state.store.issues, programming.map { ($0.serviceKind, $0.trigger) })
        }
        guard let prepared else { return false }
        let snapshot = ClusterState.build(
            shardSources: prepared.shards, namespaceSources: prepared.namespaces, changed: prepared.changed,
            issues: prepared.issues, previous: snapshots.load())
        snapshots.publish(snapshot)
        let now = Date()
        let firstSync = state.withLock { state -> Bool in
            state.statistics.publications += 1
            state.untrimmedSince = .now
            for (kind, trigger) in prepared.programming {
                state.statistics.programming[kind, default: DurationHistogram()].observe(max(0, now.timeIntervalSince(trigger)))
            }
            let first = !state.statistics.synced
            state.statistics.synced = true
            state.statistics.up = state.failing.isEmpty
            return first
        }
        if firstSync {
            logger.info("Kubernetes API synced", metadata: [
                "objects": .string(snapshot.counts.description), "issues": .stringConvertible(snapshot.issues.count),
            ])
        }
        return true
    }
}
