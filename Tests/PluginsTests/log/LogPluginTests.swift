import DNSWire
import Logging
import Testing
@testable import Plugins

@Suite struct LogPluginTests {
    /// A log plugin from `config` and an answering plugin, on a test engine, writing to a pipe.
    func setUp(_ config: LogConfig, answer: any PluginHandler = FixedAnswerPlugin()) -> (ChainHarness, CapturedStream) {
        let captured = CapturedStream()
        let plugin = LogPlugin(config: config, stream: captured.stream)
        let worker = WorkerContext(index: 0, workerCount: 1)
        let handler = plugin.makeHandler(worker: worker)
        let engine = ChainHarness(handlers: [handler ?? answer, answer], names: ["log", "fixed"])
        return (engine, captured)
    }

    func config(_ rules: [LogRule]) -> LogConfig { LogConfig(rules: rules, isPrimary: true) }

    /// The query size the engine sees for `name`/`type` with `edns`.
    func querySize(_ name: DomainName, _ type: RecordType, edns: EDNS?) -> Int {
        Message.query(id: 1, name: name, type: type, edns: edns).encoded()?.count ?? 0
    }

    /// Splits a Common Log Format line into everything before the duration, and the duration.
    func splitDuration(_ line: String) -> (String, String) {
        guard let space = line.lastIndex(of: " ") else { return (line, "") }
        return (String(line[..<space]), String(line[line.index(after: space)...]))
    }

    func isGoSeconds(_ text: String) -> Bool {
        text.wholeMatch(of: /[0-9]+(\.[0-9]+)?s/) != nil
    }

    @Test("a UDP query is logged in CoreDNS's Common Log Format")
    func udpLine() throws {
        let (engine, captured) = setUp(config([LogRule(scope: .root)]))
        let response = try #require(engine.exchange("WWW.Example.ORG.", .a, id: 4242))
        let size = querySize("www.example.org.", .a, edns: EDNS(udpPayloadSize: 1232))
        let lines = captured.lines()
        #expect(lines.count == 1)
        let (head, duration) = splitDuration(try #require(lines.first))
        #expect(head == "[INFO] 127.0.0.1:40000 - 4242 \"A IN www.example.org. udp \(size) false 1232\" NOERROR qr,aa,rd \(response.count)")
        #expect(isGoSeconds(duration))
    }

    @Test("TCP shows 65535 as buffer size; no EDNS shows 512; DO shows true; IPv6 clients in brackets")
    func transportsAndEDNS() throws {
        let (engine, captured) = setUp(config([LogRule(scope: .root)]))
        _ = engine.exchange("a.example.", .aaaa, id: 1, transport: .tcp)
        _ = engine.exchange("b.example.", .txt, id: 2, edns: nil)
        _ = engine.exchange("c.example.", .srv, id: 3, peer: .v6(IPv6Address("2001:db8::7")!), peerPort: 5353,
                         edns: EDNS(udpPayloadSize: 4096, dnssecOK: true))
        _ = engine.exchange("d.example.", .a, id: 4, edns: EDNS(udpPayloadSize: 100))
        let heads = captured.lines().map { splitDuration($0).0 }
        #expect(heads.count == 4)
        #expect(heads[0].hasPrefix("[INFO] 127.0.0.1:40000 - 1 \"AAAA IN a.example. tcp "))
        #expect(heads[0].contains(" false 65535\" NOERROR qr,aa,rd "))
        #expect(heads[1].contains("- 2 \"TXT IN b.example. udp \(querySize("b.example.", .txt, edns: nil)) false 512\""))
        #expect(heads[2].hasPrefix("[INFO] [2001:db8::7]:5353 - 3 \"SRV IN c.example. udp "))
        #expect(heads[2].contains(" true 4096\""))
        #expect(heads[3].contains(" false 512\""))
    }

    @Test("only names under the rule's names are logged")
    func nameScope() throws {
        let (engine, captured) = setUp(config([LogRule(scope: "example.org.")]))
        _ = engine.exchange("www.example.org.", .a)
        _ = engine.exchange("EXAMPLE.ORG.", .a)
        _ = engine.exchange("www.example.com.", .a)
        _ = engine.exchange("badexample.org.", .a)
        let names = captured.lines().map { $0.split(separator: " ")[6] }
        #expect(names == ["www.example.org.", "example.org."])
    }

    @Test("class denial logs NXDOMAIN and NODATA only")
    func denialOnly() throws {
        let rules = [LogRule(scope: .root, classes: [.denial])]
        let answers: [(any PluginHandler, Bool)] = [
            (FixedAnswerPlugin(rcode: .nameError, withAnswer: false, authority: .soa), true),
            (FixedAnswerPlugin(rcode: .noError, withAnswer: false, authority: .soa), true),
            (FixedAnswerPlugin(rcode: .noError, withAnswer: true), false),
            (FixedAnswerPlugin(rcode: .serverFailure, withAnswer: false), false),
            (FixedAnswerPlugin(rcode: .noError, withAnswer: false, authority: .ns), false),
        ]
        for (answer, logged) in answers {
            let (engine, captured) = setUp(config(rules), answer: answer)
            _ = engine.exchange("www.example.org.", .a)
            #expect(captured.lines().count == (logged ? 1 : 0))
        }
    }

    @Test("class error logs SERVFAIL and REFUSED, class success logs answers and delegations")
    func errorAndSuccess() throws {
        let (errorEngine, errorCaptured) = setUp(config([LogRule(scope: .root, classes: [.error])]),
                                                 answer: FixedAnswerPlugin(rcode: .serverFailure, withAnswer: false))
        _ = errorEngine.exchange("x.example.", .a)
        #expect(errorCaptured.lines().first?.contains("SERVFAIL") == true)
        let (successEngine, successCaptured) = setUp(config([LogRule(scope: .root, classes: [.success])]),
                                                     answer: FixedAnswerPlugin(rcode: .noError, withAnswer: false, authority: .ns))
        _ = successEngine.exchange("x.example.", .a)
        #expect(successCaptured.lines().count == 1)
    }

    @Test("a custom format with the response's class and type, local address, opcode and unknown metadata")
    func customFormat() throws {
        let format = LogFormat("{proto} Request: {name} {type} {/log/class} {/log/type} {local} {>opcode} {/x/y} {nope}")
        let (engine, captured) = setUp(config([LogRule(scope: .root, format: format)]),
                                       answer: FixedAnswerPlugin(rcode: .nameError, withAnswer: false, authority: .soa))
        _ = engine.exchange("gone.example.", .mx)
        #expect(captured.lines() == ["[INFO] udp Request: gone.example. MX denial NXDOMAIN 127.0.0.1 0 - {nope}"])
    }

    @Test("the first rule that covers a name is the one used")
    func firstRuleWins() throws {
        let rules = [LogRule(scope: "example.org.", format: LogFormat("org {name}")), LogRule(scope: .root, format: LogFormat("any {name}"))]
        let (engine, captured) = setUp(config(rules))
        _ = engine.exchange("a.example.org.", .a)
        _ = engine.exchange("a.example.net.", .a)
        #expect(captured.lines() == ["[INFO] org a.example.org.", "[INFO] any a.example.net."])
    }

    @Test("with --log-level warning or above the plugin logs nothing")
    func logLevel() throws {
        let plugin = LogPlugin(config: config([LogRule(scope: .root)]), stream: CapturedStream().stream)
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        try plugin.start(ServerContext(logger: logger, listeners: [], manifestsDirectory: nil, fatal: { _ in }))
        #expect(plugin.makeHandler(worker: WorkerContext(index: 0, workerCount: 1)) == nil)
        logger.logLevel = .info
        try plugin.start(ServerContext(logger: logger, listeners: [], manifestsDirectory: nil, fatal: { _ in }))
        #expect(plugin.makeHandler(worker: WorkerContext(index: 0, workerCount: 1)) != nil)
    }
}
