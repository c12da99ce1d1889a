import DNSWire
import Testing
@testable import Plugins

/// The engine's own contract, on the shared `ChainHarness`: suspension is an outcome, a
/// suspended request is settled through `resume` (answered, or passed on), response hooks run in
/// reverse chain order, and a released request carries nothing into the next query.
@Suite struct QueryEngineTests {
    /// A plugin that records the order its response hook ran in and passes every query on.
    final class HookRecorder: PluginHandler {
        let label: String
        let log: HookLog
        init(_ label: String, log: HookLog) {
            self.label = label
            self.log = log
        }
        func serve(_ request: Request, engine: QueryEngine) -> PluginResult {
            request.addResponseHook()
            return .next
        }
        func responseWillBeSent(_ request: Request, response: inout ResponseView, engine: QueryEngine) {
            log.order.append(label)
        }
    }

    final class HookLog { var order: [String] = [] }

    static func upstream() -> ScriptedUpstream {
        ScriptedUpstream { name, _, _ in
            var message = Message.query(id: 0, name: name, type: .a, edns: nil)
            message.answers = Records.parse(["\(name) 30 IN A 10.0.0.1"])
            return message
        }
    }

    @Test("a suspended query is reported as later, and its answer reaches the sink on resume")
    func suspendThenResume() throws {
        let upstream = Self.upstream()
        upstream.holds = true
        let harness = ChainHarness(handlers: [upstream], names: ["forward"])
        let bytes = try ChainHarness.queryBytes("a.example.", .a)
        let outcome = bytes.withUnsafeBytes {
            harness.engine.handle(packet: $0, route: ChainHarness.route(.udp),
                                  output: UnsafeMutableRawBufferPointer(rebasing: harness.output[0..<4096]))
        }
        #expect(outcome == .later)
        #expect(harness.engine.outstanding == 1)
        #expect(harness.sink.delivered.isEmpty)
        upstream.releaseHeld(engine: harness.engine)
        #expect(harness.engine.outstanding == 0)
        #expect(harness.sink.delivered.count == 1)
        let reply = try Message(parsing: harness.sink.delivered[0])
        #expect(reply.header.id == 0x1234)
        #expect(reply.answers.count == 1)
    }

    @Test("resuming with next runs the rest of the chain; running out answers SERVFAIL")
    func resumeWithNext() throws {
        let upstream = ScriptedUpstream { _, _, _ in nil }
        upstream.holds = true
        let harness = ChainHarness(handlers: [upstream], names: ["forward"])
        #expect(harness.exchangeRaw(try ChainHarness.queryBytes("a.example.", .a)) == nil)
        upstream.releaseHeld(engine: harness.engine)
        #expect(harness.sink.delivered.count == 1)
        #expect(try Message(parsing: harness.sink.delivered[0]).rcode == .serverFailure)
    }

    @Test("an answer from memory is a reply outcome, and nothing is left outstanding")
    func immediateAnswer() throws {
        let harness = ChainHarness(handlers: [Self.upstream()], names: ["hosts"])
        let reply = try harness.query("b.example.", .a)
        #expect(reply.answers.count == 1)
        #expect(harness.engine.outstanding == 0)
        #expect(harness.sink.delivered.isEmpty)
    }

    @Test("response hooks run in reverse chain order, for immediate and for resumed answers")
    func hooksInReverseOrder() throws {
        let log = HookLog()
        let upstream = Self.upstream()
        let harness = ChainHarness(handlers: [HookRecorder("first", log: log), HookRecorder("second", log: log), upstream],
                                   names: ["log", "cache", "forward"])
        _ = try harness.query("c.example.", .a)
        #expect(log.order == ["second", "first"])
        log.order = []
        upstream.holds = true
        #expect(harness.exchangeRaw(try ChainHarness.queryBytes("d.example.", .a)) == nil)
        upstream.releaseHeld(engine: harness.engine)
        #expect(log.order == ["second", "first"])
    }

    @Test("a released request starts the next query with nothing of the last one")
    func releaseClearsRequestState() throws {
        let upstream = Self.upstream()
        upstream.holds = true
        let harness = ChainHarness(handlers: [upstream], names: ["forward"])
        #expect(harness.exchangeRaw(try ChainHarness.queryBytes("e.example.", .a)) == nil)
        let request = try #require(upstream.held.first)
        request.fail("scripted failure")
        request.addResponseHook()
        upstream.releaseHeld(engine: harness.engine)
        #expect(request.failure == nil)
        #expect(request.hooks == 0)
        #expect(request.responseLength == nil)
        #expect(request.answeredBy == -1)
        #expect(!request.suspended)
        if case .none = request.pluginState {} else { Issue.record("plugin state left over: \(request.pluginState)") }
    }
}
