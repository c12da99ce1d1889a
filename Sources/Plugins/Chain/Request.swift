import DNSWire

/// One query in flight on a worker, from arrival until its answer leaves.
///
/// Requests are pooled by the worker's `QueryEngine` and reused, so serving a query allocates
/// nothing. While a plugin's `serve` runs synchronously, `packet` points into the receive buffer;
/// when a plugin suspends the request, the engine copies the query into the request's own
/// storage first, so it outlives the receive batch.
public final class Request {
    /// The query's octets (header onwards).
    public internal(set) var packet: UnsafeRawBufferPointer
    /// The parsed header, question and EDNS of `packet`.
    public internal(set) var query: ParsedQuery
    public internal(set) var route: Route
    /// Monotonic nanoseconds at arrival.
    public internal(set) var receivedAt: UInt64
    /// The server block answering this query.
    public internal(set) var block: ChainRuntime
    /// Index of the plugin now handling the request (also: the one that suspended it).
    public internal(set) var position: Int = 0

    /// Where the response is written, and the client's size limit for it.
    public internal(set) var output: UnsafeMutableRawBufferPointer
    public internal(set) var outputLimit: Int
    /// Length of the finished response, nil until one is written.
    public internal(set) var responseLength: Int? {
        get { progress.responseLength }
        set { progress.responseLength = newValue }
    }
    /// The finished response's octets (empty before one is written).
    public var responseBytes: UnsafeRawBufferPointer {
        guard let n = responseLength else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(output)[0..<n])
    }
    /// The response being built by `startResponse()`.
    public var response: ResponseBuilder
    /// Name of the plugin that wrote the response (for `coredns_dns_responses_total{plugin}`).
    public internal(set) var answeredBy: Int {
        get { progress.answeredBy }
        set { progress.answeredBy = newValue }
    }
    /// Why the request failed, when a plugin (or the engine) says so with `fail(_:detail:)`: what
    /// CoreDNS plugins return as an `error` up the chain, and what the `errors` plugin logs.
    public internal(set) var failure: RequestFailure? {
        get { progress.failure }
        set { progress.failure = newValue }
    }
    /// For a subrequest: the request it serves and the plugin to tell when done.
    public internal(set) var parent: Request? {
        get { progress.parent }
        set { progress.parent = newValue }
    }
    /// How many subrequests deep this is (CNAME chasing and autopath are bounded).
    public internal(set) var depth: Int {
        get { progress.depth }
        set { progress.depth = newValue }
    }
    /// The COOKIE option the response gets (RFC 7873), when the query had a well-formed one.
    public internal(set) var cookie: CookieReply? {
        get { progress.cookie }
        set { progress.cookie = newValue }
    }
    /// What the plugin that suspended the request keeps for it until it resumes, typed.
    var pluginState: PluginRequestState {
        get { progress.pluginState }
        set { progress.pluginState = newValue }
    }

    /// Everything a query sets on a pooled request, in one value: the engine's `release` puts
    /// back `Progress()`, so a field added here can never be left over for the next query.
    struct Progress {
        var responseLength: Int?
        var answeredBy = -1
        var failure: RequestFailure?
        /// Plugins (by chain index) that asked to see the response, as bits.
        var hooks: UInt64 = 0
        /// Of those, the ones that asked with `marked: true` (same bits).
        var hookMarks: UInt64 = 0
        /// See `uniformTTL`.
        var uniformTTL: UInt32?
        /// Not `weak`: requests live in their engine's pool for the engine's whole life (a
        /// parent is never freed under its child, only reused after it has settled), and a weak
        /// reference cost a side-table update on every reset of this struct, once per query.
        unowned(unsafe) var parent: Request?
        /// For a subrequest: the chain index of the plugin to tell when done.
        var requester = -1
        var depth = 0
        var cookie: CookieReply?
        var pluginState = PluginRequestState.none
        /// Suspended: a plugin returned `.suspended` and the answer comes through `resume`.
        var suspended = false
        /// A plugin's `serve` is on the stack: `resume` only records its result.
        var inSyncServe = false
        var pendingResult: PluginResult?
    }

    var progress = Progress()
    var hooks: UInt64 {
        get { progress.hooks }
        set { progress.hooks = newValue }
    }
    var requester: Int {
        get { progress.requester }
        set { progress.requester = newValue }
    }
    var suspended: Bool {
        get { progress.suspended }
        set { progress.suspended = newValue }
    }
    var inSyncServe: Bool {
        get { progress.inSyncServe }
        set { progress.inSyncServe = newValue }
    }
    var pendingResult: PluginResult? {
        get { progress.pendingResult }
        set { progress.pendingResult = newValue }
    }

    /// The engine that owns the request (it outlives every request it pools).
    unowned(unsafe) var engine: QueryEngine?
    /// `output` is a scratch buffer from the engine's pool, returned on release.
    var ownsScratch = false

    let storage: UnsafeMutableRawBufferPointer
    let compression: UnsafeMutableBufferPointer<UInt16>
    let poolIndex: Int

    init(poolIndex: Int, storageSize: Int) {
        self.poolIndex = poolIndex
        storage = UnsafeMutableRawBufferPointer.allocate(byteCount: storageSize, alignment: 8)
        compression = UnsafeMutableBufferPointer<UInt16>.allocate(capacity: 128)
        packet = UnsafeRawBufferPointer(start: nil, count: 0)
        query = ParsedQuery(header: Header(), nameLength: 0, type: .a, queryClass: .in, questionEnd: 0, edns: nil)
        route = .internal
        receivedAt = 0
        block = ChainRuntime.empty
        output = UnsafeMutableRawBufferPointer(start: nil, count: 0)
        outputLimit = 0
        response = ResponseBuilder(buffer: UnsafeMutableRawBufferPointer(start: nil, count: 0), limit: 0,
                                   compression: compression)
    }

    deinit {
        storage.deallocate()
        compression.deallocate()
    }

    // MARK: Reading the query

    /// The question name as it lies in the packet (uncompressed wire form, client's case).
    public var questionName: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: packet[Header.size..<(Header.size + query.nameLength)])
    }

    /// The question name as a `DomainName` (allocates; for paths that are not per-query hot).
    public var questionDomainName: DomainName {
        (try? DomainName(wire: Array(questionName))) ?? .root
    }

    public var questionType: RecordType { query.type }
    public var questionClass: RecordClass { query.queryClass }
    public var dnssecOK: Bool { query.edns?.dnssecOK ?? false }
    public var checkingDisabled: Bool { query.header.checkingDisabled }

    // MARK: Answering

    /// Starts writing the response into `output`; the plugin then appends records through
    /// `response` and calls `finishResponse()`. False when not even the question fits.
    public func startResponse() -> Bool {
        engine?.ensureOutput(self)
        response = ResponseBuilder(buffer: output, limit: outputLimit, compression: compression)
        return response.begin(query: query, packet: packet, payloadSize: block.advertisedUDPSize)
    }

    /// Completes the response started with `startResponse()`.
    public func finishResponse() {
        responseLength = response.finish()
        answeredBy = position
    }

    /// Writes a response with no records and `rcode` (SERVFAIL, REFUSED, …).
    public func respond(rcode: ResponseCode, authoritative: Bool = false) {
        guard startResponse() else { return }
        response.rcode = rcode
        response.authoritative = authoritative
        finishResponse()
    }

    /// For plugins that produce the whole message themselves (a cache hit, a relayed upstream
    /// answer): they wrote `length` octets into `output` (at most `outputLimit`).
    /// The buffer to write a whole response into, made available if the request is suspended.
    public func writableOutput() -> UnsafeMutableRawBufferPointer {
        engine?.ensureOutput(self)
        return output
    }

    public func setRawResponse(length: Int) {
        precondition(length <= output.count, "response longer than the output buffer")
        responseLength = length
        answeredBy = position
    }

    /// Records why this request failed (an upstream timed out, no upstream is healthy), for the
    /// `errors` plugin, attributed to the plugin now serving it. The plugin still writes the
    /// response (usually SERVFAIL) itself. A later call replaces an earlier one.
    /// Allocation-free unless `detail` is given; keep details for rare paths.
    public func fail(_ reason: StaticString, detail: String? = nil) {
        failure = RequestFailure(plugin: position, reason: reason, detail: detail)
    }

    /// True for a background refresh started with `QueryEngine.startRefresh` (no client waits).
    public var isRefresh: Bool { parent == nil && route.transport == .internal && hooks != 0 && depth > 0 }

    /// Asks to see the response in `responseWillBeSent` before it is sent.
    /// - Parameter marked: one bit the plugin's hook reads back with `responseHookIsMarked`:
    ///   what `serve` already decided about this query (the cache: "nothing can be stored for
    ///   this name"), so the hook need not decide it again.
    public func addResponseHook(marked: Bool = false) {
        let bit: UInt64 = 1 << UInt64(position)
        progress.hooks |= bit
        if marked { progress.hookMarks |= bit }
    }

    /// Set by the plugin that answered, with what it knows of its response: every record (OPT
    /// excluded) carries this TTL, every SOA's MINIMUM equals it, the authority section holds no
    /// NS record, and the question is the query's, echoed. The cache's hook then knows without
    /// reading the response that capping the TTLs would change nothing (CoreDNS rewrites every
    /// TTL to the cached duration, which for such a response within the cache's bounds is this
    /// TTL again). The engine clears it once any response hook has run, since a hook may change
    /// the response; so only the first hook can rely on it.
    public var uniformTTL: UInt32? {
        get { progress.uniformTTL }
        set { progress.uniformTTL = newValue }
    }

    /// In `responseWillBeSent`: whether this plugin's hook was added with `marked: true`.
    public var responseHookIsMarked: Bool { progress.hookMarks & (1 << UInt64(position)) != 0 }

    /// Copies the query into the request's own storage, so it survives the receive buffer.
    func detachPacket() {
        guard packet.baseAddress != UnsafeRawPointer(storage.baseAddress) else { return }
        let n = min(packet.count, storage.count)
        if let src = packet.baseAddress, let dst = storage.baseAddress { dst.copyMemory(from: src, byteCount: n) }
        packet = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(storage)[0..<n])
    }
}

/// Why a request failed: CoreDNS's `error` returned up the plugin chain, as the `errors` plugin
/// logs it (`plugin/forward: no healthy upstreams`).
public struct RequestFailure: Sendable {
    /// Chain index of the plugin that failed; -1 when the engine itself did.
    public var plugin: Int
    /// What went wrong, a fixed text (no allocation on the failure path).
    public var reason: StaticString
    /// Specifics (an upstream address, an errno text), when worth their allocation.
    public var detail: String?

    public init(plugin: Int, reason: StaticString, detail: String? = nil) {
        self.plugin = plugin
        self.reason = reason
        self.detail = detail
    }

    /// The error text CoreDNS would log: `plugin/<name>: <reason>[: <detail>]`, without the plugin
    /// prefix when the engine failed.
    public func message(pluginNames: [String]) -> String {
        var text = ""
        if plugin >= 0 && plugin < pluginNames.count { text = "plugin/\(pluginNames[plugin]): " }
        text += reason.description
        if let detail { text += ": " + detail }
        return text
    }
}

/// What a suspended request carries for the plugin that suspended it, one case per plugin that
/// suspends: typed, so a plugin reads back exactly what it stored (no `as?` casts), and the
/// engine clears it with the rest of the request.
enum PluginRequestState {
    case none
    /// `autopath`: the walk over the client's search path.
    case autopath(AutopathState)
    /// `rewrite`: the answer-rewriting rules for the rewritten query.
    case rewrite(RewriteState)
    /// `file`: a CNAME to chase out of the zone.
    case fileChase(PendingChase)
    /// `kubernetes`: an ExternalName service whose target is being resolved.
    case externalName(KubernetesIndex, service: Int32)
}
