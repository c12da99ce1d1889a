import Corefile
import DNSWire
import Testing
@testable import Plugins

@Suite struct TransferConfigTests {
    @Test("zones default to the block's; to takes *, addresses and address:port, repeated")
    func parses() throws {
        let plugin = try #require(try OpsFixture.factory("example.org:53 {\n transfer {\n  to 10.0.0.1 [fd00::1]:53\n  to 10.0.0.2:5300\n }\n}\n",
                                                         as: TransferPlugin.self))
        #expect(plugin.config.zones == [try DomainName("example.org.")])
        #expect(plugin.config.allowed == [IPAddress("10.0.0.1"), IPAddress("fd00::1"), IPAddress("10.0.0.2")].compactMap { $0 })
        #expect(!plugin.config.anyone)
        #expect(plugin.config.allows(.v4(IPv4Address(10, 0, 0, 2))))
        #expect(!plugin.config.allows(.v4(IPv4Address(10, 0, 0, 3))))
        let any = try #require(try OpsFixture.factory(".:53 {\n transfer cluster.local {\n  to *\n }\n}\n", as: TransferPlugin.self))
        #expect(any.config.zones == [try DomainName("cluster.local.")])
        #expect(any.config.allows(.v4(IPv4Address(192, 0, 2, 1))))
    }

    @Test("errors name their line: no to, a bad address, an unknown property")
    func errors() {
        #expect(OpsFixture.error(".:53 {\n transfer\n}\n") == "Corefile:2: plugin/transfer: no 'to' line: name who may transfer ('to *' for anyone)")
        #expect(OpsFixture.error(".:53 {\n transfer {\n  to nowhere\n }\n}\n")
                == "Corefile:3: plugin/transfer: to: 'nowhere' is not an IP address (or IP:port, or *)")
        #expect(OpsFixture.error(".:53 {\n transfer {\n  to *\n  notify\n }\n}\n") == "Corefile:4: plugin/transfer: unknown property 'notify'")
    }

    @Test("IXFR serials compare by RFC 1982 arithmetic")
    func serials() {
        #expect(TransferHandler.isNewer(2, than: 1))
        #expect(!TransferHandler.isNewer(1, than: 1))
        #expect(!TransferHandler.isNewer(1, than: 2))
        #expect(TransferHandler.isNewer(1, than: UInt32.max))
    }
}
