import Corefile
import DNSWire
import Testing
@testable import Plugins

/// Plugin chains run in-process by a real `QueryEngine` of one worker, without sockets: the one
/// harness of the plugin tests (the engine's own tests, and every plugin's chain tests).
///
/// Two ways to build it: from handlers (one server block whose chain is exactly those handlers:
/// the handlers under test, then a stand-in such as `ScriptedUpstream`), or from a
/// `ServerConfiguration` (a Corefile's blocks, each plugin's own setup and handler; see
/// `InProcessChain`). Queries go in as wire bytes with a UDP or TCP route; answers come back as
/// octets or parsed messages; answers completed later (a suspended upstream) arrive through `sink`.
final class ChainHarness {
    let worker: WorkerContext
    let engine: QueryEngine
    /// The chains built, one per server block, in block order.
    let chains: [ChainRuntime]
    /// The port queries arrive on (the first block's).
    let port: UInt16
    let sink = CollectingSink()
    let output = UnsafeMutableRawBufferPointer.allocate(byteCount: 65_535, alignment: 8)

    /// The one server block's chain (for the handlers form).
    var chain: ChainRuntime { chains[0] }

    init(handlers: [any PluginHandler], names: [String], zones: [DomainName] = [.root], udpSize: UInt16 = 1232,
         port: UInt16 = 53, worker: WorkerContext = WorkerContext(index: 0, workerCount: 1)) {
        let chain = ChainRuntime(zones: zones, serverLabel: "dns://:\(port)", names: names, handlers: handlers,
                                 advertisedUDPSize: udpSize, maxUDPSize: Int(udpSize))
        var table = ZoneTable()
        for zone in zones { table.add(zone: zone, chain: chain) }
        self.worker = worker
        self.chains = [chain]
        self.port = port
        engine = QueryEngine(worker: worker, ports: [(port: port, zones: table)])
        engine.sink = sink
    }

    /// The chains of a configuration, as one worker of the server builds them.
    init(configuration: ServerConfiguration, worker: WorkerContext = WorkerContext(index: 0, workerCount: 1)) {
        let built = configuration.zoneTables(worker: worker)
        self.worker = worker
        self.chains = built.chains
        self.port = built.tables.first?.port ?? 53
        engine = QueryEngine(worker: worker, ports: built.tables)
        engine.sink = sink
    }

    deinit { output.deallocate() }

    static let defaultClient = IPAddress.v4(IPv4Address(10, 0, 0, 7))

    static func route(_ transport: Route.Transport, client: IPAddress = defaultClient, clientPort: UInt16 = 40_000,
                      local: IPAddress = .v4(IPv4Address(10, 0, 0, 10)), port: UInt16 = 53) -> Route {
        Route(transport: transport, peerAddress: client, peerPort: clientPort, localAddress: local, localPort: port)
    }

    enum Failure: Error { case noReply(QueryEngine.Outcome), encode }

    /// Answers `packet` into `output`: the length of the immediate reply, 0 when none.
    /// Allocation-free for answers from memory (the measurements call it in loops).
    @inline(__always)
    func answer(_ packet: UnsafeRawBufferPointer, route: Route) -> Int {
        if case .reply(let n) = engine.handle(packet: packet, route: route, output: output) { return n }
        return 0
    }

    /// Sends `query` and returns the immediate reply's octets, or nil when the query was suspended.
    func exchangeRaw(_ query: [UInt8], transport: Route.Transport = .udp, client: IPAddress = defaultClient,
                     clientPort: UInt16 = 40_000, local: IPAddress = .v4(IPv4Address(10, 0, 0, 10)),
                     outputSize: Int = 4096) -> [UInt8]? {
        let out = UnsafeMutableRawBufferPointer(rebasing: output[0..<outputSize])
        let route = ChainHarness.route(transport, client: client, clientPort: clientPort, local: local, port: port)
        let outcome = query.withUnsafeBytes { engine.handle(packet: $0, route: route, output: out) }
        guard case .reply(let n) = outcome else { return nil }
        return Array(UnsafeRawBufferPointer(rebasing: output[0..<n]))
    }

    /// One query; throws when no immediate answer came.
    func query(_ name: String, _ type: RecordType, id: UInt16 = 0x1234, edns: EDNS? = EDNS(udpPayloadSize: 1232),
               checkingDisabled: Bool = false, authenticData: Bool = false, transport: Route.Transport = .udp,
               client: IPAddress = defaultClient) throws -> Message {
        let bytes = try ChainHarness.queryBytes(name, type, id: id, edns: edns, checkingDisabled: checkingDisabled,
                                                authenticData: authenticData)
        guard let reply = exchangeRaw(bytes, transport: transport, client: client) else { throw Failure.noReply(.later) }
        return try Message(parsing: reply)
    }

    /// One query from `peer` to 127.0.0.1 (RD set); the reply's octets, nil when none came at once.
    func exchange(_ name: DomainName, _ type: RecordType, id: UInt16 = 4242, transport: Route.Transport = .udp,
                  peer: IPAddress = .v4(IPv4Address(127, 0, 0, 1)), peerPort: UInt16 = 40_000,
                  edns: EDNS? = EDNS(udpPayloadSize: 1232), recordClass: RecordClass = .in) -> [UInt8]? {
        let message = Message.query(id: id, name: name, type: type, recordClass: recordClass, edns: edns)
        guard let wire = message.encoded() else { return nil }
        return exchangeRaw(wire, transport: transport, client: peer, clientPort: peerPort,
                           local: .v4(IPv4Address(127, 0, 0, 1)), outputSize: output.count)
    }

    static func queryBytes(_ name: String, _ type: RecordType, id: UInt16 = 0x1234, edns: EDNS? = EDNS(udpPayloadSize: 1232),
                           checkingDisabled: Bool = false, authenticData: Bool = false) throws -> [UInt8] {
        var message = Message.query(id: id, name: try DomainName(name), type: type, edns: edns)
        message.header.checkingDisabled = checkingDisabled
        message.header.authenticData = authenticData
        guard let bytes = message.encoded() else { throw Failure.encode }
        return bytes
    }
}

/// Collects answers the engine delivers after their query's batch (suspended requests).
final class CollectingSink: ResponseSink {
    var delivered: [[UInt8]] = []
    func deliver(_ response: UnsafeRawBufferPointer, route: Route) { delivered.append(Array(response)) }
}

/// The plugin after the cache in tests: answers from a script, counts what it was asked, and can
/// hold queries (as `forward` does while an upstream thinks) until the test completes them.
final class ScriptedUpstream: PluginHandler {
    /// What to answer for a question; nil makes the chain run out (the engine's SERVFAIL).
    var answer: (_ name: DomainName, _ type: RecordType, _ dnssecOK: Bool) -> Message?
    /// Hold every query instead of answering at once.
    var holds = false
    private(set) var held: [Request] = []
    private(set) var asked: [(name: String, type: RecordType, refresh: Bool, dnssecOK: Bool, checkingDisabled: Bool)] = []

    init(answer: @escaping (_ name: DomainName, _ type: RecordType, _ dnssecOK: Bool) -> Message?) {
        self.answer = answer
    }

    var calls: Int { asked.count }

    func serve(_ request: Request, engine: QueryEngine) -> PluginResult {
        asked.append((request.questionDomainName.description, request.questionType, request.isRefresh, request.dnssecOK,
                      request.checkingDisabled))
        if holds {
            held.append(request)
            return .suspended
        }
        return respond(request)
    }

    func respond(_ request: Request) -> PluginResult {
        guard var message = answer(request.questionDomainName, request.questionType, request.dnssecOK) else { return .next }
        message.header.id = request.query.header.id
        message.header.isResponse = true
        message.header.recursionDesired = request.query.header.recursionDesired
        message.questions = [Question(name: request.questionDomainName, type: request.questionType)]
        if let edns = request.query.edns {
            message.edns = EDNS(udpPayloadSize: 1232, dnssecOK: edns.dnssecOK)
        } else {
            message.edns = nil
        }
        let output = request.writableOutput()
        guard let bytes = message.encoded(maxSize: min(request.outputLimit, output.count)) else {
            request.respond(rcode: .serverFailure)
            return .answered
        }
        bytes.withUnsafeBytes { raw in
            if let source = raw.baseAddress, let destination = output.baseAddress {
                destination.copyMemory(from: source, byteCount: raw.count)
            }
        }
        request.setRawResponse(length: bytes.count)
        return .answered
    }

    /// Answers every held query now (with the current script), as a late upstream would.
    func releaseHeld(engine: QueryEngine) {
        let pending = held
        held = []
        for request in pending {
            let result = respond(request)
            engine.resume(request, result)
        }
    }
}

/// Messages in presentation form for scripts: `records("a.example. 300 IN A 10.0.0.1")`.
enum Records {
    /// Parses presentation lines; a line that does not parse fails the running test.
    static func parse(_ lines: [String]) -> [ResourceRecord] {
        lines.compactMap { line in
            do {
                return try ResourceRecord(presentation: line)
            } catch {
                Issue.record("bad test record '\(line)': \(error)")
                return nil
            }
        }
    }

    static func answer(_ lines: String..., rcode: ResponseCode = .noError, authority: [String] = [],
                       additional: [String] = [], authenticData: Bool = false, recursionAvailable: Bool = true) -> Message {
        var header = Header()
        header.recursionAvailable = recursionAvailable
        header.authenticData = authenticData
        var message = Message(header: header, answers: parse(lines), authorities: parse(authority), additionals: parse(additional))
        message.rcode = rcode
        return message
    }

    static let soa = "example.org. 3600 IN SOA sns.dns.icann.org. noc.dns.icann.org. 2016082540 7200 3600 1209600 3600"
}
