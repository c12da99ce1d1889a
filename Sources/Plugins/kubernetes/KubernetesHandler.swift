import ClusterRegistry
import DNSWire

/// The `kubernetes` plugin on one worker: borrows the current index (one relaxed atomic load,
/// no reference counting on the shared index), lets `KubernetesAnswer` write the answer, and
/// finishes it: authoritative answer, NODATA or NXDOMAIN with the zone's SOA, the next plugin
/// under `fallthrough`, or an ExternalName chase through the chain.
///
/// Allocation-free for everything but an ExternalName chase.
final class KubernetesHandler: PluginHandler {
    let plugin: KubernetesPlugin
    /// The worker's reader of the plugin's index cell. Kept behind a pointer the handler owns
    /// (allocated in `init`, freed in `deinit`, used only on the worker's thread) rather than in
    /// a `var`, so reading it costs no dynamic exclusivity check per query.
    let reader: UnsafeMutablePointer<SnapshotCell<KubernetesIndexSet>.Reader>

    init(plugin: KubernetesPlugin) {
        self.plugin = plugin
        reader = .allocate(capacity: 1)
        reader.initialize(to: plugin.indexes.makeReader())
    }

    deinit {
        reader.deinitialize(count: 1)
        reader.deallocate()
    }

    func refreshState() {
        reader.pointee.withCurrent { _ in }
    }

    func serve(_ request: Request, engine: QueryEngine) -> PluginResult {
        reader.pointee.withCurrent { set in
            guard let set else { return .next }
            return serve(request, set: set, engine: engine)
        }
    }

    func serve(_ request: Request, set: KubernetesIndexSet, engine: QueryEngine) -> PluginResult {
        let index = set.home
        let name = request.questionName
        guard let zoneOffset = KubernetesAnswer.zoneOffset(of: name, in: index) else { return .next }
        guard request.startResponse() else { return .answered }
        let asked = Asked(name: name, type: request.questionType, zoneOffset: zoneOffset)
        let outcome = KubernetesAnswer.answer(asked, set, &request.response)
        switch outcome {
        case .answered:
            request.response.authoritative = true
            request.finishResponse()
            noteUniformTTL(request, index: index)
            return .answered
        case .nodata:
            writeNegative(request, index: index, zoneOffset: zoneOffset, rcode: .noError)
            return .answered
        case .nxdomain:
            if let zones = index.config.fallthroughZones, KubernetesAnswer.isUnderAny(name, zones) { return .next }
            // Before the registry has loaded, a missing name may only be missing for now.
            writeNegative(request, index: index, zoneOffset: zoneOffset, rcode: index.loaded ? .nameError : .serverFailure)
            return .answered
        case .refused:
            request.respond(rcode: .refused)
            return .answered
        case .chase(let shard, let service):
            return chase(request, index: shard, service: service, engine: engine)
        }
    }

    /// NXDOMAIN or NODATA (or SERVFAIL before the registry loaded): AA set, the SOA in the
    /// authority section. The response started in `serve` is reused when nothing was written
    /// into it (every negative outcome decides before writing a record), so the most common
    /// answer in a cluster — NXDOMAIN for a search-path candidate — builds its header once.
    func writeNegative(_ request: Request, index: KubernetesIndex, zoneOffset: Int, rcode: ResponseCode) {
        let counts = request.response.counts
        if counts.answer != 0 || counts.authority != 0 || counts.additional != 0 {
            guard request.startResponse() else { return }
        }
        KubernetesHandler.negative(index, zoneOffset: zoneOffset, rcode: rcode, &request.response)
        request.finishResponse()
        noteUniformTTL(request, index: index)
    }

    /// Tells the cache (`Request.uniformTTL`) that every record of the answer just written has
    /// the configured TTL. The builder saw every record's TTL; what it cannot see is an SOA's
    /// MINIMUM, which `appendSOA` writes as the configured TTL, with the SOA's own TTL capped at
    /// 300 s: so when all TTLs equal the configured one, the MINIMUM does too.
    @inline(__always)
    func noteUniformTTL(_ request: Request, index: KubernetesIndex) {
        if let ttl = request.response.uniformTTL, ttl == index.config.ttl, !request.response.authorityHasNS {
            request.uniformTTL = ttl
        }
    }

    static func negative(_ index: KubernetesIndex, zoneOffset: Int, rcode: ResponseCode, _ response: inout ResponseBuilder) {
        response.authoritative = true
        response.rcode = rcode
        response.startSection(.authority)
        response.beginRRset()
        KubernetesAnswer.appendSOA(index, zoneOffset: zoneOffset, &response)
        response.endRRset()
    }
}
