import DNSWire

/// Sends answers that complete after the query's receive batch (an upstream answered, a
/// subrequest finished). Implemented by the server on the worker's sockets.
public protocol ResponseSink: AnyObject {
    func deliver(_ response: UnsafeRawBufferPointer, route: Route)
    /// Sends a leading message of a multi-message TCP reply (a zone transfer) now; the reply's
    /// last message follows as the query's answer. False when it could not be queued.
    func deliverPart(_ response: UnsafeRawBufferPointer, route: Route) -> Bool
}

extension ResponseSink {
    public func deliverPart(_ response: UnsafeRawBufferPointer, route: Route) -> Bool { false }
}

/// A worker's query engine: checks each query as CoreDNS's server does, picks the server block,
/// runs its plugin chain, and finishes the answer (response hooks, metrics, delivery).
///
/// One per worker thread, never shared: requests, output buffers and counters are the worker's,
/// so nothing here takes a lock. A query answered from memory allocates nothing: requests and
/// large output buffers come from pools that grow only under load.
public final class QueryEngine {
    public let worker: WorkerContext
    /// The zone tables per listening port, swapped whole by a reload.
    public private(set) var ports: [(port: UInt16, zones: ZoneTable)]
    public weak var sink: (any ResponseSink)?
    public let counters = EngineCounters()
    /// Per listening port, the queries CoreDNS reports under `zone="dropped"`: answered before any
    /// block ran (REFUSED for a class other than IN or no zone, SERVFAIL when overloaded).
    /// Fixed at start: a reload cannot change the ports.
    public let droppedMetrics: [(port: UInt16, metrics: BlockMetrics)]

    var pool: [Request] = []
    var freeRequests: [Int] = []
    var freeScratch: [UnsafeMutableRawBufferPointer] = []
    /// Requests suspended now (for draining on shutdown and the overload cap).
    public private(set) var outstanding = 0
    /// Above this many suspended requests the worker answers SERVFAIL instead of taking more.
    public var maxOutstanding = 65_536
    /// The DNS cookie secrets (shared, immutable); nil when cookies are off. Set on the
    /// worker's thread, at start and by a reload.
    public var cookies: CookieSecrets? = CookieSecrets.processDefault {
        didSet { cookieKeyring = (cookies ?? .processDefault).keyring(now: wallClockSeconds()) }
    }
    /// This worker's secrets for the current epoch, derived from `cookies`; it rotates itself
    /// as the clock moves (`CookieKeyring.advance(to:)`), so no lock and no shared state.
    var cookieKeyring = CookieSecrets.processDefault.keyring(now: wallClockSeconds())

    /// Requests keep up to this much of the query; longer TCP queries are refused.
    static let requestStorage = 4096
    /// Scratch buffers hold any DNS message.
    static let scratchSize = 65_535
    /// Subrequests nest at most this deep (CNAME chains, autopath steps).
    public static let maxDepth = 8

    public init(worker: WorkerContext, ports: [(port: UInt16, zones: ZoneTable)]) {
        self.worker = worker
        self.ports = ports
        droppedMetrics = ports.map { ($0.port, BlockMetrics(pluginNames: [])) }
        pool.reserveCapacity(256)
        for _ in 0..<64 { freeRequests.append(newRequest()) }
    }

    deinit {
        for buffer in freeScratch { buffer.deallocate() }
    }

    /// Replaces the chains (a reload). Requests in flight keep the chains they started with.
    public func replaceChains(_ newPorts: [(port: UInt16, zones: ZoneTable)]) {
        ports = newPorts
    }

    /// Lets every handler of every chain drop replaced published state
    /// (`PluginHandler.refreshState()`). The server calls it once a second on each worker.
    public func refreshHandlers() {
        for (_, zones) in ports {
            for entry in zones.entries {
                for handler in entry.chain.handlers { handler.refreshState() }
            }
        }
    }

    func newRequest() -> Int {
        let request = Request(poolIndex: pool.count, storageSize: QueryEngine.requestStorage)
        request.engine = self
        pool.append(request)
        return pool.count - 1
    }

    func acquireRequest() -> Request? {
        if let i = freeRequests.popLast() { return pool[i] }
        guard pool.count < maxOutstanding + 64 else { return nil }
        return pool[newRequest()]
    }

    func release(_ request: Request) {
        if request.ownsScratch {
            freeScratch.append(request.output)
            request.ownsScratch = false
        }
        request.output = UnsafeMutableRawBufferPointer(start: nil, count: 0)
        request.progress = Request.Progress()
        freeRequests.append(request.poolIndex)
    }

    func acquireScratch() -> UnsafeMutableRawBufferPointer {
        if let buffer = freeScratch.popLast() { return buffer }
        return .allocate(byteCount: QueryEngine.scratchSize, alignment: 8)
    }

    func zones(forPort port: UInt16) -> ZoneTable? {
        for entry in ports where entry.port == port { return entry.zones }
        return ports.count == 1 && port == 0 ? ports[0].zones : nil
    }

    // MARK: Entry point

    /// What became of a query handed to `handle`.
    public enum Outcome: Equatable, Sendable {
        /// The answer is in the output buffer, this many octets.
        case reply(Int)
        /// A plugin suspended the query; the answer will reach the sink later.
        case later
        /// Nothing will ever be sent (too short, a response, or no room for even a header).
        case drop

        /// An answer written now (`length` octets), or nothing to send.
        init(_ length: Int?) { self = length.map(Outcome.reply) ?? .drop }
    }

    /// Handles a query that arrived on `route`, writing an immediate answer into `output`.
    /// - Complexity: allocation-free for answers from memory.
    public func handle(packet: UnsafeRawBufferPointer, route: Route, output: UnsafeMutableRawBufferPointer) -> Outcome {
        let now = monotonicNanoseconds()
        // Too short for a header, or a response (QR=1): never answered (no reflection, no loops).
        guard packet.count >= Header.size else {
            counters.bump(.droppedShort)
            return .drop
        }
        guard packet[2] & 0x80 == 0 else {
            counters.bump(.droppedResponse)
            return .drop
        }
        let query: ParsedQuery
        do {
            query = try QueryParser.parse(packet)
        } catch {
            counters.bump(.formatErrors)
            return Outcome(QueryEngine.headerOnlyResponse(packet: packet, rcode: .formatError, output: output))
        }
        guard query.header.opcode == .query else {
            counters.bump(.notImplemented)
            return Outcome(QueryEngine.headerOnlyResponse(packet: packet, rcode: .notImplemented, output: output))
        }
        let limit = QueryEngine.sizeLimit(query: query, route: route, output: output, maxUDP: nil)
        if let edns = query.edns, edns.version != 0 {
            counters.bump(.badVersion)
            return Outcome(QueryEngine.simpleResponse(query: query, packet: packet, rcode: .badVersion, output: output, limit: limit))
        }
        // DNS cookies (RFC 7873 §5.2), before the question is judged: a query with no question
        // and a COOKIE option is how a client asks for a server cookie (§5.4).
        var cookie: CookieReply? = nil
        if let edns = query.edns, cookies != nil, let found = QueryParser.option(.cookie, in: packet, edns: edns) {
            guard ServerCookie.isWellFormed(length: found.length) else {
                counters.bump(.cookieMalformed)
                return Outcome(QueryEngine.simpleResponse(query: query, packet: packet, rcode: .formatError, output: output, limit: limit))
            }
            let option = UnsafeRawBufferPointer(rebasing: packet[found.offset..<(found.offset + found.length)])
            let check = ServerCookie.check(option: option, address: route.peerAddress, now: wallClockSeconds(),
                                           keyring: &cookieKeyring)
            switch check.status {
            case .clientOnly: counters.bump(.cookieClientOnly)
            case .valid: counters.bump(.cookieValid)
            case .invalid: counters.bump(.cookieInvalid)
            }
            cookie = check.reply
            if query.header.questionCount == 0 {
                // §5.4: NOERROR with a valid server cookie, BADCOOKIE when the one sent was not
                // valid: the one place the RFC requires BADCOOKIE of a server.
                let rcode: ResponseCode = check.status == .invalid ? .badCookie : .noError
                return Outcome(QueryEngine.simpleResponse(query: query, packet: packet, rcode: rcode, output: output,
                                                          limit: limit - CookieReply.reserve)
                    .map { check.reply.attach(to: output, length: $0, limit: limit) })
            }
        }
        guard query.header.questionCount == 1 else {
            counters.bump(.formatErrors)
            return Outcome(QueryEngine.headerOnlyResponse(packet: packet, rcode: .formatError, output: output))
        }
        guard query.queryClass == .in else {
            counters.bump(.refusedClass)
            return Outcome(dropped(query: query, packet: packet, route: route, rcode: .refused, output: output, limit: limit,
                                   cookie: cookie, since: now))
        }
        let name = UnsafeRawBufferPointer(rebasing: packet[Header.size..<(Header.size + query.nameLength)])
        guard let table = zones(forPort: route.localPort), let (chain, _) = table.chain(for: name) else {
            counters.bump(.refusedNoZone)
            return Outcome(dropped(query: query, packet: packet, route: route, rcode: .refused, output: output, limit: limit,
                                   cookie: cookie, since: now))
        }
        guard let request = acquireRequest() else {
            counters.bump(.overloaded)
            return Outcome(dropped(query: query, packet: packet, route: route, rcode: .serverFailure, output: output, limit: limit,
                                   cookie: cookie, since: now))
        }
        request.packet = packet
        request.query = query
        request.route = route
        request.receivedAt = now
        request.block = chain
        request.output = output
        request.outputLimit = QueryEngine.sizeLimit(query: query, route: route, output: output, maxUDP: chain.maxUDPSize)
        if let cookie {
            // Plugins write within a limit that leaves room for the option `finalize` adds.
            request.cookie = cookie
            request.outputLimit -= CookieReply.reserve
        }
        request.inSyncServe = true
        let result = runChain(request, from: 0)
        request.inSyncServe = false
        if result == .suspended {
            suspend(request)
            return .later
        }
        let length = finalize(request)
        release(request)
        return Outcome(length)
    }

    /// Answers a query no block takes and counts it in `droppedMetrics`, as CoreDNS's
    /// `errorAndMetricsFunc` does. Allocation-free.
    func dropped(query: ParsedQuery, packet: UnsafeRawBufferPointer, route: Route, rcode: ResponseCode,
                 output: UnsafeMutableRawBufferPointer, limit: Int, cookie: CookieReply? = nil,
                 since start: UInt64) -> Int? {
        var length = QueryEngine.simpleResponse(query: query, packet: packet, rcode: rcode, output: output,
                                                limit: cookie == nil ? limit : limit - CookieReply.reserve)
        if let cookie, let written = length { length = cookie.attach(to: output, length: written, limit: limit) }
        guard let length, route.transport != .internal else { return length }
        var metrics = droppedMetrics.first?.metrics
        for entry in droppedMetrics where entry.port == route.localPort { metrics = entry.metrics }
        let ipv6: Bool
        if case .v6 = route.peerAddress { ipv6 = true } else { ipv6 = false }
        metrics?.record(tcp: route.transport == .tcp, ipv6: ipv6, type: query.type, dnssecOK: query.edns?.dnssecOK ?? false,
                        rcode: rcode, plugin: -1, durationNanoseconds: monotonicNanoseconds() &- start,
                        requestSize: packet.count, responseSize: length)
        return length
    }

    /// The most octets an answer to `query` may take: the client's EDNS size (512 without EDNS)
    /// capped by the server's maximum on UDP; the output buffer (≤ 65535) on TCP.
    static func sizeLimit(query: ParsedQuery, route: Route, output: UnsafeMutableRawBufferPointer, maxUDP: Int?) -> Int {
        guard route.transport == .udp else { return min(output.count, 65_535) }
        let client = query.edns?.effectivePayloadSize ?? 512
        return min(client, maxUDP ?? client, output.count)
    }

    /// Runs plugins from `index` until one answers or suspends; SERVFAIL when none answers.
    func runChain(_ request: Request, from index: Int) -> PluginResult {
        let handlers = request.block.handlers
        var i = index
        while i < handlers.count {
            request.position = i
            let result = handlers[i].serve(request, engine: self)
            switch result {
            case .answered:
                return .answered
            case .next:
                i += 1
            case .suspended:
                // A subrequest that completed synchronously may already have settled it.
                if let pending = request.pendingResult {
                    request.pendingResult = nil
                    if pending == .next { i += 1; continue }
                    return pending
                }
                return .suspended
            }
        }
        request.position = handlers.count
        request.answeredBy = -1
        // CoreDNS's `plugin.NextOrFailure` error, named after the last plugin that passed it on.
        request.failure = RequestFailure(plugin: handlers.count - 1, reason: "no next plugin found")
        request.respond(rcode: .serverFailure)
        request.answeredBy = -1
        return .answered
    }

    func suspend(_ request: Request) {
        request.detachPacket()
        request.suspended = true
        // The sync output (a socket's send slot) is not ours after this call returns.
        if !request.ownsScratch {
            request.output = UnsafeMutableRawBufferPointer(start: nil, count: 0)
        }
        outstanding += 1
    }

    /// Runs response hooks and counts the answer; returns its length.
    func finalize(_ request: Request) -> Int? {
        guard var length = request.responseLength else { return nil }
        var hooks = request.hooks
        let handlers = request.block.handlers
        while hooks != 0 {
            let i = 63 - hooks.leadingZeroBitCount
            hooks &= ~(1 << UInt64(i))
            guard i < handlers.count else { continue }
            // The hook runs as its plugin: `responseHookIsMarked` and `fail` read the position.
            request.position = i
            var view = ResponseView(buffer: request.output, length: length, limit: request.outputLimit)
            handlers[i].responseWillBeSent(request, response: &view, engine: self)
            length = view.length
            request.uniformTTL = nil
        }
        // After the hooks, so the cache never stores a cookie made for one client.
        if let cookie = request.cookie, request.route.transport != .internal {
            length = cookie.attach(to: request.output, length: length, limit: request.outputLimit + CookieReply.reserve)
        }
        request.responseLength = length
        if request.route.transport != .internal {
            let rcode = length >= Header.size ? ResponseCode(rawValue: UInt16(request.output[3] & 0x0F)) : .serverFailure
            let ipv6: Bool
            if case .v6 = request.route.peerAddress { ipv6 = true } else { ipv6 = false }
            request.block.metrics.record(tcp: request.route.transport == .tcp, ipv6: ipv6, type: request.query.type,
                                         dnssecOK: request.dnssecOK, rcode: rcode, plugin: request.answeredBy,
                                         durationNanoseconds: monotonicNanoseconds() &- request.receivedAt,
                                         requestSize: request.packet.count, responseSize: length)
        }
        return length
    }

    // MARK: Asynchronous completion

    /// Makes sure a suspended request has an output buffer to write its answer into.
    func ensureOutput(_ request: Request) {
        guard request.output.baseAddress == nil else { return }
        request.output = acquireScratch()
        request.ownsScratch = true
    }

    /// Settles a suspended request: `.answered` once its response is written, `.next` to go on
    /// with the plugin after the one that suspended it, `.suspended` if it stays suspended.
    /// Called by the plugin that suspended it (upstream answer, timeout, subrequest done).
    public func resume(_ request: Request, _ result: PluginResult) {
        if request.inSyncServe {
            request.pendingResult = result == .suspended ? nil : result
            return
        }
        guard request.suspended else { return }
        var outcome = result
        if result == .next {
            ensureOutput(request)
            request.inSyncServe = true
            outcome = runChain(request, from: request.position + 1)
            request.inSyncServe = false
        }
        guard outcome == .answered else { return }
        request.suspended = false
        outstanding -= 1
        deliver(request)
    }

    /// Finishes and sends (or hands to the parent) an answered request that left the sync path.
    func deliver(_ request: Request) {
        guard let length = finalize(request) else {
            release(request)
            return
        }
        if let parent = request.parent, request.requester >= 0 {
            let requester = parent.block.handlers[request.requester]
            ensureOutput(parent)
            requester.subrequestCompleted(request, parent: parent, engine: self)
        } else if request.route.transport != .internal, let sink {
            sink.deliver(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(request.output)[0..<length]),
                         route: request.route)
        }
        release(request)
    }

    // MARK: Subrequests

    /// Where a subrequest enters the plugin chain.
    public enum SubrequestEntry: Sendable {
        /// The whole chain of the block that serves the new name (CoreDNS's `upstream.Lookup`).
        case top
        /// The plugins after the one asking, in the same block (autopath's re-run).
        case afterCurrent
    }

    /// Resolves `name`/`type` through the server on behalf of `parent`; the answer arrives in the
    /// asking plugin's `subrequestCompleted` — before this returns, when the chain answers
    /// synchronously. The plugin that calls this returns `.suspended` from `serve`.
    /// - Returns: false when the subrequest cannot start (too deep, no zone, overloaded).
    @discardableResult
    public func startSubrequest(parent: Request, name: DomainName, type: RecordType, entry: SubrequestEntry) -> Bool {
        name.wire.withUnsafeBytes { wire in
            startSubrequest(parent: parent, prefix: UnsafeRawBufferPointer(start: nil, count: 0), suffix: wire,
                            type: type, entry: entry)
        }
    }

    /// As `startSubrequest(parent:name:type:entry:)` for the name `prefix` + `suffix`: `prefix`
    /// is zero or more wire labels (no root octet), `suffix` an uncompressed wire name ending with
    /// the root (autopath's base name and one search domain), joined as the query is written.
    ///
    /// The subrequest's query is written straight into the child request's storage, octet for
    /// octet what `Message.query(…).encoded()` gives (ID, RD and CD of the parent, one question,
    /// an OPT with a 65535-octet payload and the parent's DO bit), so nothing is allocated.
    /// - Returns: false when the subrequest cannot start (too deep, the name longer than 255
    ///   octets, no zone, overloaded).
    /// - Complexity: allocation-free.
    @discardableResult
    public func startSubrequest(parent: Request, prefix: UnsafeRawBufferPointer, suffix: UnsafeRawBufferPointer,
                                type: RecordType, entry: SubrequestEntry) -> Bool {
        let nameLength = prefix.count + suffix.count
        guard parent.depth < QueryEngine.maxDepth, nameLength <= DomainName.maxWireLength,
              Header.size + nameLength + 4 + ResponseBuilder.plainOPTSize <= QueryEngine.requestStorage,
              let child = acquireRequest() else { return false }
        let length = QueryEngine.writeSubrequestQuery(into: child.storage, id: parent.query.header.id,
                                                      flags: parent.query.header.flags & (Header.rdMask | Header.cdMask),
                                                      prefix: prefix, suffix: suffix, type: type, dnssecOK: parent.dnssecOK)
        child.packet = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(child.storage)[0..<length])
        guard let parsed = try? QueryParser.parse(child.packet) else {
            release(child)
            return false
        }
        let chain: ChainRuntime
        var from = 0
        switch entry {
        case .top:
            guard let table = zones(forPort: parent.route.localPort) ?? ports.first?.zones,
                  let found = table.chain(for: UnsafeRawBufferPointer(rebasing: child.packet[Header.size..<(Header.size + parsed.nameLength)]))
            else {
                release(child)
                return false
            }
            chain = found.chain
        case .afterCurrent:
            chain = parent.block
            from = parent.position + 1
        }
        child.query = parsed
        child.route = parent.route
        child.route.transport = .internal
        child.receivedAt = monotonicNanoseconds()
        child.block = chain
        child.parent = parent
        child.requester = parent.position
        child.depth = parent.depth + 1
        child.output = acquireScratch()
        child.ownsScratch = true
        child.outputLimit = QueryEngine.scratchSize
        child.inSyncServe = true
        let result = runChain(child, from: from)
        child.inSyncServe = false
        if result == .suspended {
            suspend(child)
        } else {
            deliver(child)
        }
        return true
    }

    /// Re-resolves `request`'s question through the plugins after the one now serving it, in
    /// the background: nobody waits for the answer, but the asking plugin's response hook sees it
    /// (how `cache` prefetches and refreshes stale entries). Returns false when it cannot start.
    @discardableResult
    public func startRefresh(like request: Request) -> Bool {
        guard let child = acquireRequest() else { return false }
        let n = min(request.packet.count, child.storage.count)
        if let src = request.packet.baseAddress, let dst = child.storage.baseAddress { dst.copyMemory(from: src, byteCount: n) }
        child.packet = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(child.storage)[0..<n])
        child.query = request.query
        child.route = request.route
        child.route.transport = .internal
        child.route.replyToken = nil
        child.receivedAt = monotonicNanoseconds()
        child.block = request.block
        child.parent = nil
        child.requester = -1
        child.depth = request.depth + 1
        child.hooks = 1 << UInt64(request.position)
        child.output = acquireScratch()
        child.ownsScratch = true
        child.outputLimit = QueryEngine.scratchSize
        child.inSyncServe = true
        let result = runChain(child, from: request.position + 1)
        child.inSyncServe = false
        if result == .suspended {
            suspend(child)
        } else {
            deliver(child)
        }
        return true
    }

    /// Writes a subrequest's query into `storage`: header (`id`, `flags`, one question, one
    /// additional), the question `prefix` + `suffix` IN `type`, and an OPT record (payload 65535,
    /// version 0, the DO bit when asked, no options). Returns its length.
    /// - warning: `storage` must hold 12 + name + 4 + 11 octets (the caller checks).
    static func writeSubrequestQuery(into storage: UnsafeMutableRawBufferPointer, id: UInt16, flags: UInt16,
                                     prefix: UnsafeRawBufferPointer, suffix: UnsafeRawBufferPointer,
                                     type: RecordType, dnssecOK: Bool) -> Int {
        guard let base = storage.baseAddress else { return 0 }
        base.storeBytes(of: id.bigEndian, toByteOffset: 0, as: UInt16.self)
        base.storeBytes(of: flags.bigEndian, toByteOffset: 2, as: UInt16.self)
        base.storeBytes(of: UInt16(1).bigEndian, toByteOffset: 4, as: UInt16.self)
        base.storeBytes(of: UInt16(0), toByteOffset: 6, as: UInt16.self)
        base.storeBytes(of: UInt16(0), toByteOffset: 8, as: UInt16.self)
        base.storeBytes(of: UInt16(1).bigEndian, toByteOffset: 10, as: UInt16.self)
        var at = Header.size
        if let p = prefix.baseAddress, prefix.count > 0 {
            (base + at).copyMemory(from: p, byteCount: prefix.count)
            at += prefix.count
        }
        if let s = suffix.baseAddress, suffix.count > 0 {
            (base + at).copyMemory(from: s, byteCount: suffix.count)
            at += suffix.count
        }
        base.storeBytes(of: type.rawValue.bigEndian, toByteOffset: at, as: UInt16.self)
        base.storeBytes(of: RecordClass.in.rawValue.bigEndian, toByteOffset: at + 2, as: UInt16.self)
        at += 4
        base.storeBytes(of: UInt8(0), toByteOffset: at, as: UInt8.self)                                // root owner
        base.storeBytes(of: RecordType.opt.rawValue.bigEndian, toByteOffset: at + 1, as: UInt16.self)
        base.storeBytes(of: UInt16(65_535).bigEndian, toByteOffset: at + 3, as: UInt16.self)          // payload
        base.storeBytes(of: UInt16(0), toByteOffset: at + 5, as: UInt16.self)                          // ext. rcode, version
        base.storeBytes(of: (dnssecOK ? EDNS.doMask : 0).bigEndian, toByteOffset: at + 7, as: UInt16.self)
        base.storeBytes(of: UInt16(0), toByteOffset: at + 9, as: UInt16.self)                          // no options
        return at + ResponseBuilder.plainOPTSize
    }

    // MARK: Answers written before any chain runs

    /// A header-only answer echoing ID, opcode and RD (FORMERR, NOTIMP for unparseable queries).
    static func headerOnlyResponse(packet: UnsafeRawBufferPointer, rcode: ResponseCode,
                                   output: UnsafeMutableRawBufferPointer) -> Int? {
        guard output.count >= Header.size else { return nil }
        output[0] = packet[0]
        output[1] = packet[1]
        output[2] = 0x80 | (packet[2] & 0x79)       // QR, opcode, RD kept; AA, TC cleared
        output[3] = rcode.headerBits
        for i in 4..<Header.size { output[i] = 0 }
        return Header.size
    }

    /// An answer with the question and no records (REFUSED, BADVERS, SERVFAIL when overloaded).
    static func simpleResponse(query: ParsedQuery, packet: UnsafeRawBufferPointer, rcode: ResponseCode,
                               output: UnsafeMutableRawBufferPointer, limit: Int) -> Int? {
        var table: (UInt16, UInt16, UInt16, UInt16) = (0, 0, 0, 0)
        return withUnsafeMutableBytes(of: &table) { raw in
            let compression = raw.bindMemory(to: UInt16.self)
            var builder = ResponseBuilder(buffer: output, limit: limit, compression: compression)
            guard builder.begin(query: query, packet: packet, payloadSize: 1232) else { return nil }
            builder.rcode = rcode
            return builder.finish()
        }
    }
}

extension Request {
    /// True while the request waits for an upstream or a subrequest.
    public var isSuspended: Bool { suspended }
}
