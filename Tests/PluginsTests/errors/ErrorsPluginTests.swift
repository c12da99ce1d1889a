import DNSWire
import Logging
import Testing
@testable import Plugins

@Suite struct ErrorsPluginTests {
    func setUp(_ text: String, chain: [any PluginHandler], names: [String]) throws -> (ChainHarness, CapturedStream, ErrorsPlugin) {
        let captured = CapturedStream()
        let parsed = try #require(try OpsFixture.factory(text, as: ErrorsPlugin.self))
        let plugin = ErrorsPlugin(config: parsed.config, stream: captured.stream)
        let handler = try #require(plugin.makeHandler(worker: WorkerContext(index: 0, workerCount: 1)))
        let engine = ChainHarness(handlers: [handler] + chain, names: ["errors"] + names)
        return (engine, captured, plugin)
    }

    @Test("the engine's own SERVFAIL (no plugin answered) is logged with CoreDNS's text")
    func noPluginAnswered() throws {
        let captured = CapturedStream()
        let parsed = try #require(try OpsFixture.factory(".:53 {\n errors\n}\n", as: ErrorsPlugin.self))
        let errors = ErrorsPlugin(config: parsed.config, stream: captured.stream)
        let log = LogPlugin(config: LogConfig(rules: [LogRule(scope: .root)], isPrimary: true), stream: CapturedStream().stream)
        let worker = WorkerContext(index: 0, workerCount: 1)
        let engine = ChainHarness(handlers: [try #require(errors.makeHandler(worker: worker)),
                                             try #require(log.makeHandler(worker: worker))], names: ["errors", "log"])
        let response = try #require(engine.exchange("Www.Example.ORG.", .a))
        #expect(response[3] & 0x0F == 2)
        #expect(captured.lines() == ["[ERROR] plugin/errors: 2 www.example.org. A: plugin/log: no next plugin found"])
    }

    @Test("a plugin's failure is logged with its name, reason and detail; answers are not")
    func pluginFailure() throws {
        let (engine, captured, _) = try setUp(".:53 {\n errors\n}\n",
                                              chain: [FailingPlugin(reason: "no healthy upstreams", detail: "10.0.0.1:53")],
                                              names: ["forward"])
        _ = engine.exchange("svc.example.", .aaaa)
        #expect(captured.lines() == ["[ERROR] plugin/errors: 2 svc.example. AAAA: plugin/forward: no healthy upstreams: 10.0.0.1:53"])
        let (quiet, quietCaptured, _) = try setUp(".:53 {\n errors\n}\n", chain: [FixedAnswerPlugin(rcode: .serverFailure)], names: ["fixed"])
        _ = quiet.exchange("svc.example.", .a)
        #expect(quietCaptured.lines().isEmpty)
    }

    @Test("consolidate counts matching errors and prints one summary per period")
    func consolidate() throws {
        let text = ".:53 {\n errors {\n  consolidate 30s \".* timed out$\" warning\n }\n}\n"
        let (engine, captured, plugin) = try setUp(text, chain: [FailingPlugin(reason: "upstream timed out")], names: ["forward"])
        for i in 0..<5 { _ = engine.exchange(try DomainName("q\(i).example."), .a) }
        #expect(captured.lines().isEmpty)
        // No worker loop in-process: the period ends when the plugin stops, as on shutdown.
        plugin.stop()
        #expect(captured.lines() == ["[WARNING] plugin/errors: 5 errors like '.* timed out$' occurred in last 30s"])
    }

    @Test("show_first prints the first error at the pattern's level, and a summary only when more came")
    func showFirst() throws {
        let text = ".:53 {\n errors {\n  consolidate 5m \"timed out\" info show_first\n }\n}\n"
        let (engine, captured, plugin) = try setUp(text, chain: [FailingPlugin(reason: "upstream timed out")], names: ["forward"])
        _ = engine.exchange("one.example.", .a)
        plugin.stop()
        #expect(captured.lines() == ["[INFO] plugin/errors: 2 one.example. A: plugin/forward: upstream timed out"])
        let (engine2, captured2, plugin2) = try setUp(text, chain: [FailingPlugin(reason: "upstream timed out")], names: ["forward"])
        for name in ["a.example.", "b.example.", "c.example."] { _ = engine2.exchange(try DomainName(name), .a) }
        plugin2.stop()
        #expect(captured2.lines() == [
            "[INFO] plugin/errors: 2 a.example. A: plugin/forward: upstream timed out",
            "[INFO] plugin/errors: 3 errors like 'timed out' occurred in last 5m0s",
        ])
    }

    @Test("an error that matches no pattern is printed at once; the first matching pattern wins")
    func patternOrder() throws {
        let text = ".:53 {\n errors {\n  consolidate 1m \"^plugin/forward\"\n  consolidate 1m \"timed out\" warning\n }\n}\n"
        let (engine, captured, plugin) = try setUp(text, chain: [FailingPlugin(reason: "upstream timed out")], names: ["forward"])
        _ = engine.exchange("x.example.", .a)
        _ = engine.exchange("y.example.", .a)
        plugin.stop()
        #expect(captured.lines() == ["[ERROR] plugin/errors: 2 errors like '^plugin/forward' occurred in last 1m0s"])
        let (other, otherCaptured, _) = try setUp(".:53 {\n errors {\n  consolidate 1m \"^nothing\"\n }\n}\n",
                                                  chain: [FailingPlugin(reason: "refused")], names: ["forward"])
        _ = other.exchange("z.example.", .a)
        #expect(otherCaptured.lines() == ["[ERROR] plugin/errors: 2 z.example. A: plugin/forward: refused"])
    }

    @Test("errors are printed unless the log level is critical; debug-level summaries need debug")
    func levels() throws {
        let captured = CapturedStream()
        let plugin = ErrorsPlugin(config: ErrorsConfig(consolidations: []), stream: captured.stream)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        try plugin.start(ServerContext(logger: logger, listeners: [], manifestsDirectory: nil, fatal: { _ in }))
        #expect(!plugin.shouldPrint(.error))
        logger.logLevel = .info
        try plugin.start(ServerContext(logger: logger, listeners: [], manifestsDirectory: nil, fatal: { _ in }))
        #expect(plugin.shouldPrint(.error))
        #expect(!plugin.shouldPrint(.debug))
    }

    @Test("configuration errors name the line and the plugin", arguments: [
        (".:53 {\n errors stderr\n}\n", "invalid log file: stderr"),
        (".:53 {\n errors {\n  consolidate 5m\n }\n}\n", "2 to 4 arguments"),
        (".:53 {\n errors {\n  consolidate five \"x\"\n }\n}\n", "five"),
        (".:53 {\n errors {\n  consolidate 5m \"(unclosed\"\n }\n}\n", "invalid regular expression"),
        (".:53 {\n errors {\n  consolidate 5m \"x\" warning error\n }\n}\n", "multiple log levels"),
        (".:53 {\n errors {\n  consolidate 5m \"x\" show_first warning\n }\n}\n", "log level must come before show_first"),
        (".:53 {\n errors {\n  consolidate 5m \"x\" loudly\n }\n}\n", "unknown option in consolidate: loudly"),
        (".:53 {\n errors {\n  verbose\n }\n}\n", "unknown property 'verbose'"),
        (".:53 {\n errors\n errors\n}\n", "only be used once"),
    ])
    func configurationErrors(text: String, message: String) throws {
        let error = try #require(OpsFixture.error(text))
        #expect(error.contains("plugin/errors"))
        #expect(error.contains(message))
    }

    @Test("stdout is accepted as CoreDNS writes it; stacktrace, which would do nothing, is refused at its line")
    func accepted() throws {
        #expect(OpsFixture.error(".:53 {\n errors stdout {\n  stacktrace\n }\n}\n")
                == "Corefile:3: plugin/errors: stacktrace: not supported yet by ClusterDNS: Swift has no recoverable panics to print a stack trace of")
        let plugin = try #require(try OpsFixture.factory(".:53 {\n errors stdout {\n  consolidate 30s \"x\" debug show_first\n }\n}\n", as: ErrorsPlugin.self))
        #expect(plugin.config.consolidations.count == 1)
        #expect(plugin.config.consolidations[0].level == .debug)
        #expect(plugin.config.consolidations[0].showFirst)
    }
}
