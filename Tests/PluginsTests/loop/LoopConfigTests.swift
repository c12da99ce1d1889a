import Corefile
import DNSWire
import SystemCalls
import Testing
@testable import Plugins

@Suite("loop configuration")
struct LoopConfigTests {
    static func build(_ text: String) throws(CorefileError) -> ServerConfiguration {
        let corefile = try Corefile.parse(text: text, fileName: "Corefile", baseDirectory: "/")
        return try ServerConfiguration.build(corefile, manifestsDirectory: nil, baseDirectory: "/")
    }

    @Test("loop takes no arguments and no block")
    func errors() {
        #expect(throws: CorefileError.self) { try Self.build(".:1053 {\n    loop now\n}\n") }
        do {
            _ = try Self.build(".:1053 {\n    loop {\n    }\n}\n")
            Issue.record("a block was accepted")
        } catch {
            #expect(error.description.hasPrefix("Corefile:2: plugin/loop:"))
        }
    }

    @Test("the probe name is two random labels under the block's first zone, and it knows the block's upstreams")
    func probeName() throws {
        let configuration = try Self.build("Example.org:1053 other.test:1053 {\n    loop\n    forward . 10.0.0.1 10.0.0.2:5353\n}\n")
        let plugin = try #require(configuration.blocks[0].factories.compactMap { $0 as? LoopPlugin }.first)
        #expect(plugin.zone == (try DomainName("example.org.")))
        #expect(plugin.probeName.isSubdomain(of: plugin.zone))
        #expect(plugin.probeName.labelCount == plugin.zone.labelCount + 2)
        #expect(plugin.upstreams == ["10.0.0.1:53", "10.0.0.2:5353"])
        let other = try #require(try Self.build(".:1053 {\n    loop\n}\n").blocks[0].factories.compactMap { $0 as? LoopPlugin }.first)
        #expect(other.probeName != plugin.probeName)
    }

    @Test("the probe goes to the block's listener, a wildcard replaced by loopback")
    func probeTarget() throws {
        typealias Listener = ServerContext.Listener
        let any4 = Listener(address: .v4(IPv4Address(rawValue: 0)), port: 53)
        let any6 = Listener(address: .v6(IPv6Address(high: 0, low: 0)), port: 53)
        let specific = Listener(address: .v4(IPv4Address(10, 1, 2, 3)), port: 1053)
        #expect(LoopPlugin.probeTarget(listeners: [any6, any4], port: 53).description == "127.0.0.1:53")
        #expect(LoopPlugin.probeTarget(listeners: [any6], port: 53).description == "[::1]:53")
        #expect(LoopPlugin.probeTarget(listeners: [any4, specific], port: 1053).description == "10.1.2.3:1053")
        #expect(LoopPlugin.probeTarget(listeners: [], port: 5300).description == "127.0.0.1:5300")
    }
}
