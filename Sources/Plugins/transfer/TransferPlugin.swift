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
/// - The zone goes in as few messages of at most 65 535 octets as it fits (RFC 5936 §2.2): the
///   leading ones through the worker's sink as soon as they are built, the last one as the
///   query's answer. Each message echoes the question and has AA set; none has TC.
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
        // Leading messages go out at once through the sink, in order; the last one is the
        // query's answer, so response hooks, metrics and the query's accounting see it.
        var start = 0
        if let counted = TransferHandler.fitsOneMessage(sent, request), counted < sent.count {
            guard let sink = engine.sink else { return TransferHandler.tooLarge(request, sent.count) }
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65_535, alignment: 8)
            let compression = UnsafeMutableBufferPointer<UInt16>.allocate(capacity: 128)
            defer {
                buffer.deallocate()
                compression.deallocate()
            }
            while start < sent.count {
                var builder = ResponseBuilder(buffer: buffer, limit: request.outputLimit, compression: compression)
                let fit = TransferHandler.append(sent[start...], to: &builder, request)
                guard fit > 0 else { return TransferHandler.tooLarge(request, sent.count) }
                if start + fit == sent.count { break }
                // Written again with exactly the records that fit, so the message carries no TC.
                builder = ResponseBuilder(buffer: buffer, limit: request.outputLimit, compression: compression)
                _ = TransferHandler.append(sent[start..<(start + fit)], to: &builder, request)
                let length = builder.finish()
                guard sink.deliverPart(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer)[0..<length]),
                                       route: request.route) else { return TransferHandler.tooLarge(request, sent.count) }
                start += fit
            }
        }
        guard request.startResponse() else { return .answered }
        request.response.authoritative = true
        _ = TransferHandler.appendRecords(sent[start...], to: &request.response)
        request.finishResponse()
        return .answered
    }

    /// How many of `records` fit one message (all of them: `records.count`); nil when the
    /// question alone does not fit.
    static func fitsOneMessage(_ records: [ResourceRecord], _ request: Request) -> Int? {
        guard request.startResponse() else { return nil }
        return appendRecords(records[...], to: &request.response)
    }

    /// Starts a response in `builder` and appends as many of `records` as fit; how many did.
    static func append(_ records: ArraySlice<ResourceRecord>, to builder: inout ResponseBuilder, _ request: Request) -> Int {
        guard builder.begin(query: request.query, packet: request.packet, payloadSize: request.block.advertisedUDPSize) else { return 0 }
        builder.authoritative = true
        return appendRecords(records, to: &builder)
    }

    /// Appends records one RRset each until one does not fit; how many were written.
    static func appendRecords(_ records: ArraySlice<ResourceRecord>, to builder: inout ResponseBuilder) -> Int {
        var written = 0
        for record in records {
            builder.beginRRset()
            builder.append(owner: .name(record.name), type: record.type, ttl: record.ttl, rdata: record.rdata,
                           recordClass: record.recordClass)
            builder.endRRset()
            if builder.isFull { break }
            written += 1
        }
        return written
    }

    /// SERVFAIL, with the reason for `errors`: a record that fits no message, or no connection to
    /// send several messages on.
    static func tooLarge(_ request: Request, _ count: Int) -> PluginResult {
        request.fail("zone cannot be sent", detail: "\(count) records do not fit the messages this connection can take")
        request.respond(rcode: .serverFailure)
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
