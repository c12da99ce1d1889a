import DNSWire

/// What a plugin did with a query.
public enum PluginResult: Sendable {
    /// The plugin wrote a complete response with `request.response`.
    case answered
    /// Not this plugin's query (or it falls through): the next plugin in the chain gets it.
    case next
    /// The plugin took the query over and will settle it later through
    /// `QueryEngine.resume(_:_:)` (an upstream exchange, a subrequest still running).
    case suspended
}

/// A configured plugin of one server block, shared by every worker.
///
/// Built once per Corefile load by the plugin's `setup`; immutable afterwards (hence `Sendable`),
/// except for state it synchronises itself off the hot path (health checks, watchers).
/// Per-query work happens in the per-worker `PluginHandler` it makes.
public protocol PluginFactory: AnyObject, Sendable {
    /// The directive name, used in logs, metrics and `clusterdns check`.
    var name: String { get }
    /// One handler per worker thread; the worker owns it, so it needs no locks. Nil for plugins
    /// that configure the server but see no queries (`bind`, `reload`, `health`).
    func makeHandler(worker: WorkerContext) -> (any PluginHandler)?
    /// Called once the whole server is configured, before queries flow (start health checks,
    /// watchers). An error stops the server with the message.
    func start(_ server: ServerContext) throws
    /// Called on shutdown and when a reload replaced this factory.
    func stop()
    /// `ready` plugin: nil when ready, else why not (e.g. "registry not loaded").
    var notReadyReason: String? { get }
}

extension PluginFactory {
    public func start(_ server: ServerContext) throws {}
    public func stop() {}
    public var notReadyReason: String? { nil }
}

/// A plugin's per-worker query handler. Called on the worker thread only.
public protocol PluginHandler: AnyObject {
    /// Handles one query: answer it, pass it on, or suspend it. Called once per query.
    func serve(_ request: Request, engine: QueryEngine) -> PluginResult
    /// Called, in reverse chain order, for every plugin that asked with
    /// `request.addResponseHook(_:)`, once the response is written and before it is sent:
    /// the place to cache, log, count, shuffle or rewrite it.
    func responseWillBeSent(_ request: Request, response: inout ResponseView, engine: QueryEngine)
    /// A subrequest this plugin started with `QueryEngine.startSubrequest` has its answer.
    /// The plugin completes `parent` (or starts another subrequest) from here.
    func subrequestCompleted(_ child: Request, parent: Request, engine: QueryEngine)
    /// Called on the worker about once a second, whether or not queries arrive: the place to
    /// let go of published state that has been replaced. A handler that reads a `SnapshotCell`
    /// takes the new value only at its next query, so on an idle worker the replaced registry
    /// shards and indexes would stay alive, and a full relist would leave a second index behind.
    func refreshState()
}

extension PluginHandler {
    public func responseWillBeSent(_ request: Request, response: inout ResponseView, engine: QueryEngine) {}
    public func subrequestCompleted(_ child: Request, parent: Request, engine: QueryEngine) {}
    public func refreshState() {}
}
