import Corefile
import DNSWire

/// `whoami`: answers every query with the client's address and port (CoreDNS's whoami): no answer
/// records, and in the additional section an A or AAAA record for the query name with the
/// client's address and an SRV record `_<transport>.<name>` with its source port. Useful to see
/// from a pod which address the server sees (SNAT, NodeLocal DNSCache).
public final class WhoamiPlugin: PluginFactory, PluginHandler, @unchecked Sendable {
    // @unchecked: no stored state at all.
    public let name = "whoami"

    public static let setup: PluginSetupFunction = { (directive, _) throws(CorefileError) in
        try directive.noArguments()
        try directive.noBlock()
        return WhoamiPlugin()
    }

    public func makeHandler(worker: WorkerContext) -> (any PluginHandler)? { self }

    public func serve(_ request: Request, engine: QueryEngine) -> PluginResult {
        guard request.startResponse() else { return .answered }
        request.response.authoritative = true
        request.response.startSection(.additional)
        request.response.beginRRset()
        request.response.append(owner: .question, type: request.route.peerAddress.recordType, ttl: 0,
                                rdata: request.route.peerAddress.rdata)
        request.response.endRRset()
        let transport: [UInt8] = request.route.transport == .tcp ? Array("_tcp".utf8) : Array("_udp".utf8)
        if let owner = try? request.questionDomainName.prepending(transport) {
            request.response.beginRRset()
            request.response.append(owner: .name(owner), type: .srv, ttl: 0,
                                    rdata: .srv(priority: 0, weight: 0, port: request.route.peerPort, target: .root))
            request.response.endRRset()
        }
        request.finishResponse()
        return .answered
    }
}
