import Logging
import Testing
@testable import Plugins

@Suite struct HealthPluginTests {
    @Test("200 OK while serving, 503 from lame duck on")
    func lameduck() {
        let plugin = HealthPlugin(config: HealthConfig(lameduck: .seconds(5)))
        #expect(plugin.respond() == .text(200, "OK"))
        #expect(plugin.lameduck == .seconds(5))
        plugin.enterLameduck()
        #expect(plugin.isLameducking)
        #expect(plugin.respond() == .text(503, "Lameduck"))
    }

    @Test("configuration: default :8080, addresses in Go's forms, lameduck; errors name the plugin")
    func configuration() throws {
        let bare = try #require(try OpsFixture.factory(".:53 {\n health\n}\n", as: HealthPlugin.self))
        #expect(bare.config == HealthConfig(address: ControlAddress(host: "", port: 8080), lameduck: .zero))
        let kubeadm = try #require(try OpsFixture.factory(".:53 {\n health {\n  lameduck 5s\n }\n}\n", as: HealthPlugin.self))
        #expect(kubeadm.config.lameduck == .seconds(5))
        let v6 = try #require(try OpsFixture.factory(".:53 {\n health [::1]:8091\n}\n", as: HealthPlugin.self))
        #expect(v6.config.address == ControlAddress(host: "::1", port: 8091))
        #expect(v6.config.address.description == "[::1]:8091")
        #expect(OpsFixture.error(".:53 {\n health localhost\n}\n")?.contains("missing port in address") == true)
        #expect(OpsFixture.error(".:53 {\n health :99999\n}\n")?.contains("invalid port") == true)
        #expect(OpsFixture.error(".:53 {\n health {\n  lameduck soon\n }\n}\n")?.contains("plugin/health") == true)
        #expect(OpsFixture.error(".:53 {\n health {\n  lameduck\n }\n}\n")?.contains("1 argument") == true)
        #expect(OpsFixture.error(".:53 {\n health {\n  slowly 5s\n }\n}\n")?.contains("unknown property 'slowly'") == true)
    }

    @Test("the self-probe's statistics keep CoreDNS's slim buckets, cumulative")
    func statistics() {
        let statistics = HealthStatistics()
        statistics.observe(seconds: 0.0001)
        statistics.observe(seconds: 0.01)
        statistics.observe(seconds: 3)
        statistics.failed()
        let snapshot = statistics.snapshot
        #expect(snapshot.cumulative == [1, 1, 2, 2, 2])
        #expect(snapshot.count == 3)
        #expect(snapshot.failures == 1)
        #expect(abs(snapshot.sum - 3.0101) < 1e-9)
    }

    @Test("the probe reports a refused connection as a failure, with the reason")
    func probeFailure() {
        // Port 1 on loopback: nothing listens there in a test environment.
        let failure = HealthProbe.get(path: "/health", from: ControlAddress(host: "127.0.0.1", port: 1), timeout: .seconds(1))
        #expect(failure?.contains("connect") == true)
        #expect(HealthProbe.target(ControlAddress(host: "", port: 8080)) == ControlAddress(host: "127.0.0.1", port: 8080))
        #expect(HealthProbe.target(ControlAddress(host: "::", port: 8080)) == ControlAddress(host: "::1", port: 8080))
    }
}
