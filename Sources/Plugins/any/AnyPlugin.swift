import Corefile
import DNSWire

/// `any`: answers every ANY query with one short HINFO record, as RFC 8482 §4.2 allows and
/// CoreDNS's *any* does: `NAME 8482 IN HINFO "ANY obsoleted" "See RFC 8482"`, NOERROR, not
/// authoritative. It stops ANY from being used to amplify attacks or to enumerate a name's data.
/// Other query types go to the next plugin.
public final class AnyPlugin: PluginFactory, PluginHandler, Sendable {
    public let name = "any"

    /// The TTL CoreDNS gives the HINFO record.
    public static let ttl: UInt32 = 8482
    /// HINFO RDATA: two character-strings, CPU "ANY obsoleted" and OS "See RFC 8482", as CoreDNS
    /// writes them, in wire form (written as is, without allocating).
    public static let rdata: RData = {
        let cpu = Array("ANY obsoleted".utf8)
        let os = Array("See RFC 8482".utf8)
        return .unknown([UInt8(cpu.count)] + cpu + [UInt8(os.count)] + os)
    }()

    public static let setup: PluginSetupFunction = { (directive, _) throws(CorefileError) in
        try directive.noArguments()
        try directive.noBlock()
        return AnyPlugin()
    }

    public func makeHandler(worker: WorkerContext) -> (any PluginHandler)? { self }

    /// - Complexity: O(1). Allocation-free.
    public func serve(_ request: Request, engine: QueryEngine) -> PluginResult {
        guard request.questionType == .any else { return .next }
        guard request.startResponse() else { return .answered }
        request.response.beginRRset()
        request.response.append(owner: .question, type: .hinfo, ttl: AnyPlugin.ttl, rdata: AnyPlugin.rdata)
        request.response.endRRset()
        request.finishResponse()
        return .answered
    }
}
