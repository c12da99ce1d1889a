import DNSWire
import Synchronization
import Testing
@testable import Plugins

/// A plugin whose readiness the test sets.
final class SwitchablePlugin: PluginFactory, Sendable {
    let name: String
    let reason: Mutex<String?>
    let asked = Atomic<Int>(0)

    init(_ name: String, notReady reason: String?) {
        self.name = name
        self.reason = Mutex(reason)
    }

    func makeHandler(worker: WorkerContext) -> (any PluginHandler)? { nil }

    var notReadyReason: String? {
        asked.wrappingAdd(1, ordering: .relaxed)
        return reason.withLock { $0 }
    }

    func set(_ value: String?) { reason.withLock { $0 = value } }
}

@Suite struct ReadyPluginTests {
    func block(_ factories: [any PluginFactory], port: UInt16 = 53) throws -> ConfiguredBlock {
        let configured = try OpsFixture.configure(".:\(port) {\n whoami\n}\n").blocks[0]
        return ConfiguredBlock(block: configured.block, zones: configured.zones, port: port, factories: factories, bindAddresses: [])
    }

    @Test("200 OK when every plugin of the block is ready")
    func ready() throws {
        let plugin = ReadyPlugin(config: ReadyConfig())
        let response = plugin.respond(blocks: [try block([plugin, SwitchablePlugin("kubernetes", notReady: nil)])])
        #expect(response == .text(200, "OK"))
    }

    @Test("503 with the names (sorted, comma-separated as CoreDNS) and the reasons of those not ready")
    func notReady() throws {
        let plugin = ReadyPlugin(config: ReadyConfig())
        let blocks = [try block([plugin, SwitchablePlugin("kubernetes", notReady: "registry not loaded"),
                                 SwitchablePlugin("forward", notReady: "no upstream answered yet"),
                                 SwitchablePlugin("cache", notReady: nil)])]
        let response = plugin.respond(blocks: blocks)
        #expect(response.status == 503)
        #expect(String(decoding: response.body, as: UTF8.self) ==
                "forward,kubernetes\nforward: no upstream answered yet\nkubernetes: registry not loaded")
    }

    @Test("until-ready latches a plugin once it was ready; continuously asks again every time")
    func monitorModes() throws {
        let latching = ReadyPlugin(config: ReadyConfig(monitor: .untilReady))
        let flapping = SwitchablePlugin("kubernetes", notReady: nil)
        let latchingBlocks = [try block([latching, flapping])]
        #expect(latching.respond(blocks: latchingBlocks).status == 200)
        flapping.set("watch lost")
        #expect(latching.respond(blocks: latchingBlocks).status == 200)
        let asked = flapping.asked.load(ordering: .relaxed)
        _ = latching.respond(blocks: latchingBlocks)
        #expect(flapping.asked.load(ordering: .relaxed) == asked)

        let continuous = ReadyPlugin(config: ReadyConfig(monitor: .continuously))
        let other = SwitchablePlugin("kubernetes", notReady: nil)
        let continuousBlocks = [try block([continuous, other])]
        #expect(continuous.respond(blocks: continuousBlocks).status == 200)
        other.set("watch lost")
        #expect(continuous.respond(blocks: continuousBlocks).status == 503)
        other.set(nil)
        #expect(continuous.respond(blocks: continuousBlocks).status == 200)
    }

    @Test("a not-ready plugin latches only once it becomes ready")
    func latchesWhenReady() throws {
        let plugin = ReadyPlugin(config: ReadyConfig())
        let slow = SwitchablePlugin("kubernetes", notReady: "registry not loaded")
        let blocks = [try block([plugin, slow])]
        #expect(plugin.respond(blocks: blocks).status == 503)
        slow.set(nil)
        #expect(plugin.respond(blocks: blocks).status == 200)
        slow.set("later failure")
        #expect(plugin.respond(blocks: blocks).status == 200)
    }

    @Test("blocks without ready do not report into it")
    func otherBlocksIgnored() throws {
        let plugin = ReadyPlugin(config: ReadyConfig())
        let blocks = [try block([plugin, SwitchablePlugin("whoami", notReady: nil)], port: 53),
                      try block([SwitchablePlugin("kubernetes", notReady: "never")], port: 5353)]
        #expect(plugin.respond(blocks: blocks).status == 200)
    }

    @Test("from SIGTERM on, /ready answers 503 Shutting down")
    func shuttingDown() throws {
        let plugin = ReadyPlugin(config: ReadyConfig())
        let blocks = [try block([plugin])]
        plugin.enterLameduck()
        #expect(plugin.respond(blocks: blocks) == .text(503, "Shutting down"))
        #expect(plugin.lameduck == .zero)
    }

    @Test("configuration: default :8181, an address, monitor modes; errors name the plugin")
    func configuration() throws {
        let bare = try #require(try OpsFixture.factory(".:53 {\n ready\n}\n", as: ReadyPlugin.self))
        #expect(bare.config == ReadyConfig(address: ControlAddress(host: "", port: 8181), monitor: .untilReady))
        let custom = try #require(try OpsFixture.factory(".:53 {\n ready localhost:8091 {\n  monitor continuously\n }\n}\n", as: ReadyPlugin.self))
        #expect(custom.config == ReadyConfig(address: ControlAddress(host: "localhost", port: 8091), monitor: .continuously))
        #expect(OpsFixture.error(".:53 {\n ready 8181\n}\n")?.contains("missing port in address") == true)
        #expect(OpsFixture.error(".:53 {\n ready {\n  monitor sometimes\n }\n}\n")?.contains("monitor type 'sometimes' not supported") == true)
        #expect(OpsFixture.error(".:53 {\n ready :1 :2\n}\n")?.contains("plugin/ready") == true)
    }
}
