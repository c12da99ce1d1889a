import Corefile
import DNSWire
import Synchronization

/// `transfer`: answers AXFR and IXFR for its zones from the block's `kubernetes` and `file`
/// plugins (`ZoneTransferSource`), as CoreDNS's *transfer* does.
///
/// - Over UDP a transfer is REFUSED (RFC 5936 §4.2: AXFR is TCP only; CoreDNS refuses IXFR over
///   UDP too). A peer not in `to` is REFUSED.
/// - IXFR carries the client's SOA in its authority section. A client whose serial is the zone's
///   (or, by RFC 1982 arithmetic, newer) gets the zone's SOA alone: "up to date" (RFC 1995 §4).
///   Anyone else gets the whole zone, which RFC 1995 allows in place of an incremental one;
///   ClusterDNS keeps no history of changes.
/// - The zone is sent in one message of at most 65 535 octets. A larger zone is answered with
///   SERVFAIL and a logged reason: multi-message transfers are not supported yet.
/// Other types, and names that are not one of its zones, go to the next plugin.
public final class TransferPlugin: PluginFactory, BlockPluginsConsumer, Sendable {
    public let name = "transfer"
    public let config: TransferConfig
    let sources = Mutex<[any ZoneTransferSource]>([])

    init(config: TransferConfig) { self.config = config }

    public func connect(to blockPlugins: [any PluginFactory]) throws(CorefileError) {
        let found = blockPlugins.compactMap { $0 as? any ZoneTransferSource }
        sources.withLock { $0 = found }
    }

    public func makeHandler(worker: WorkerContext) -> (any PluginHandler)? {
        TransferHandler(config: config, sources: sources.withLock { $0 })
    }
}

final class TransferHandler: PluginHandler {
    let config: TransferConfig
    let sources: [any ZoneTransferSource]

    init(config: TransferConfig, sources: [any ZoneTransferSource]) {
        self.config = config
        self.sources = sources
    }

    func serve(_ request: Request, engine: QueryEngine) -> PluginResult {
        let type = request.questionType
        guard type == .axfr || type == .ixfr else { return .next }
        let zone = request.questionDomainName
        // As CoreDNS's longest match: the question is a zone at or under one of `transfer`'s
        // (`.` by default in a `.` block); the sources say whether it is one of theirs.
        guard config.zones.contains(where: { zone.isSubdomain(of: $0) }) else { return .next }
        guard request.route.transport == .tcp else {
            request.respond(rcode: .refused)
            return .answered
        }
        guard config.allows(request.route.peerAddress) else {
            request.respond(rcode: .refused)
            return .answered
        }
        guard let records = sources.lazy.compactMap({ $0.transferRecords(zone: zone) }).first, let soa = records.first,
              case .soa(let current) = soa.rdata else {
            // No plugin of this block has the zone (or it is not loaded yet).
            request.fail("zone not available for transfer")
            request.respond(rcode: .serverFailure)
            return .answered
        }
        var sent = records
        if type == .ixfr, let clientSerial = TransferHandler.clientSerial(request), !TransferHandler.isNewer(current.serial, than: clientSerial) {
            sent = [soa]
        }
        guard request.startResponse() else { return .answered }
        request.response.authoritative = true
        for record in sent {
            request.response.beginRRset()
            request.response.append(owner: .name(record.name), type: record.type, ttl: record.ttl, rdata: record.rdata,
                                    recordClass: record.recordClass)
            request.response.endRRset()
        }
        if request.response.isFull {
            request.fail("zone too large for one message", detail: "\(sent.count) records; multi-message transfers are not supported yet")
            request.respond(rcode: .serverFailure)
            return .answered
        }
        request.finishResponse()
        return .answered
    }

    /// The serial of the SOA in an IXFR query's authority section; nil when there is none.
    static func clientSerial(_ request: Request) -> UInt32? {
        guard let message = try? Message(parsing: request.packet) else { return nil }
        for record in message.authorities {
            if case .soa(let soa) = record.rdata { return soa.serial }
        }
        return nil
    }

    /// RFC 1982 serial arithmetic: true when `a` is newer than `b`.
    static func isNewer(_ a: UInt32, than b: UInt32) -> Bool {
        a != b && (a &- b) < 0x8000_0000
    }
}
