import DNSWire

// Autopath: the client's search path, walked by the server.
//
// A pod's resolv.conf has `ndots:5` and a search list like
//   default.svc.cluster.local svc.cluster.local cluster.local <node's search domains>
// so a lookup of `google.com` is first sent as `google.com.default.svc.cluster.local.`, answered
// NXDOMAIN, then tried with the next domain, and so on: up to six round trips, for A and AAAA
// each, before the client asks for `google.com.` itself.
//
// When a query's name lies under the FIRST element of the client's search path, the client is
// at the start of that walk. Autopath strips the first element (giving the base name,
// `google.com`) and resolves `base.<element>` for each element in turn — starting again with the
// name asked — and finally `base.`, through the plugins after it in the chain (kubernetes,
// forward…: `QueryEngine.startSubrequest(… entry: .afterCurrent)`). The first reply that is not
// NXDOMAIN (nor one of the failures CoreDNS skips: SERVFAIL, REFUSED, FORMERR, NOTIMP) is the
// answer; because it is for another name than the one asked, it is returned with a CNAME from the
// asked name to that reply's owner (TTL copied), then the reply's records, under the client's own
// question. The client takes the CNAME and stops: one query instead of up to six.
//
// When every candidate fails, the reply to the first candidate (the name actually asked) is
// returned as it is and the client walks its list itself: the work was done twice. Autopath does
// nothing for names not under the first element (the client is further along its list, or the
// name is absolute), nor when the search path is unknown (`@kubernetes`: the source address is no
// known pod — behind SNAT or NodeLocal DNSCache the server sees the node's address, not the pod's).
//
// The server must walk the list exactly as the client would, so the path it uses must be the
// client's: from the `kubernetes` plugin (the pod's namespace, found by source IP, `pods
// verified`) or from a resolv.conf file shared by all clients.
//
// Subrequests may answer synchronously (from memory) or later (forward); the walk is driven from
// `subrequestCompleted`, with its state in a pooled `AutopathState` hung on the request.

/// One worker's autopath. Owned by one worker thread.
final class AutopathHandler: PluginHandler {
    /// Where a client's search path comes from.
    enum SearchPath {
        /// The same path for every client, ending with the root.
        case fixed([DomainName])
        /// The client's path from another plugin, through this worker's reader (nil: unknown
        /// client, no autopath).
        case provider(any SearchPathReader)
    }

    let zones: [DomainName]
    let coversEverything: Bool
    let searchPath: SearchPath
    let counters: AutopathCounters
    private var pool: [AutopathState] = []
    /// Five 256-octet name buffers for copying a reply (`AutopathHandler+Answer.swift`).
    let names = UnsafeMutableRawBufferPointer.allocate(byteCount: 5 * 256, alignment: 8)

    init(zones: [DomainName], searchPath: SearchPath, counters: AutopathCounters) {
        self.zones = zones.map { $0.lowercased() }
        coversEverything = zones.contains(.root)
        self.searchPath = searchPath
        self.counters = counters
    }

    deinit { names.deallocate() }

    func refreshState() {
        if case .provider(let reader) = searchPath { reader.refresh() }
    }

    /// The rcodes after which the walk goes on: NXDOMAIN, and those CoreDNS's handler treats as
    /// "nothing written" (`plugin.ClientWrite`).
    static func continuesWalk(_ rcode: UInt8) -> Bool {
        rcode == 3 || rcode == 2 || rcode == 5 || rcode == 1 || rcode == 4
    }

    func serve(_ request: Request, engine: QueryEngine) -> PluginResult {
        guard request.query.hasQuestion, inZones(request.questionName) else { return .next }
        let path: [DomainName]
        switch searchPath {
        case .fixed(let fixed): path = fixed
        case .provider(let provider):
            guard let found = provider.searchPath(forClient: request.route.peerAddress), !found.isEmpty else { return .next }
            path = found
        }
        guard let first = path.first, !first.isRoot,
              let prefixLength = AutopathHandler.prefixLength(of: request.questionName, under: first) else { return .next }
        let state = pool.popLast() ?? AutopathState()
        state.reset(prefix: UnsafeRawBufferPointer(rebasing: request.questionName[0..<prefixLength]), path: path)
        request.pluginState = .autopath(state)
        if startNext(state, parent: request, engine: engine) { return .suspended }
        recycle(state, of: request)
        return .next
    }

    /// True when `name` is in one of the zones autopath acts on.
    func inZones(_ name: UnsafeRawBufferPointer) -> Bool {
        if coversEverything { return true }
        for zone in zones where ZoneMatch.isWithin(name, zone: zone.wire) { return true }
        return false
    }

    /// The length of the labels of `name` in front of `domain` when `name` lies strictly under
    /// it, else nil. Allocation-free.
    static func prefixLength(of name: UnsafeRawBufferPointer, under domain: DomainName) -> Int? {
        guard let offset = ZoneMatch.offset(of: domain.wire, in: name), offset > 0 else { return nil }
        return offset
    }

    /// Starts the subrequest for the current step or the first later one that can start.
    /// Returns false when none could. Once it returns true, `state` may already be recycled
    /// (the walk can finish inside `startSubrequest`), so callers must not touch it again.
    ///
    /// The step's name is written into the subrequest's query from the base name and the search
    /// domain's wire bytes: no name is built. `startSubrequest` reads both only while it writes
    /// that query, before any plugin runs.
    func startNext(_ state: AutopathState, parent: Request, engine: QueryEngine) -> Bool {
        while state.step < state.stepCount {
            let suffix = state.suffix(state.step)
            let prefix = state.prefix
            let started = suffix.wire.withUnsafeBytes { wire in
                engine.startSubrequest(parent: parent, prefix: prefix, suffix: wire, type: parent.questionType,
                                       entry: .afterCurrent)
            }
            if started { return true }
            state.step += 1
        }
        return false
    }

    func subrequestCompleted(_ child: Request, parent: Request, engine: QueryEngine) {
        guard case .autopath(let state) = parent.pluginState else { return }
        let reply = child.responseBytes
        let rcode = reply.count >= Header.size ? reply[3] & 0x0F : 2
        if !state.hasFirstReply {
            state.keepFirstReply(reply)
        }
        if !AutopathHandler.continuesWalk(rcode) {
            counters.countSuccess()
            answer(parent, with: reply, addingCNAME: true, state: state, engine: engine)
            return
        }
        state.step += 1
        if startNext(state, parent: parent, engine: engine) { return }
        let first = state.firstReply
        first.withUnsafeBytes { answer(parent, with: $0, addingCNAME: false, state: state, engine: engine) }
    }

    func recycle(_ state: AutopathState, of request: Request) {
        if case .autopath(let current) = request.pluginState, current === state { request.pluginState = .none }
        state.clear()
        pool.append(state)
    }
}
