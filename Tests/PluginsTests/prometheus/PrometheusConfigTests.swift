import DNSWire
import Testing
@testable import Plugins

@Suite struct PrometheusConfigTests {
    @Test("default localhost:9153 as CoreDNS; kubeadm's ':9153' listens everywhere; the block's zones and port are kept")
    func addresses() throws {
        let bare = try #require(try OpsFixture.factory(".:53 {\n prometheus\n}\n", as: PrometheusPlugin.self))
        #expect(bare.config.address == ControlAddress(host: "localhost", port: 9153))
        let kubeadm = try #require(try OpsFixture.factory("cluster.local:5353 {\n prometheus :9153\n}\n", as: PrometheusPlugin.self))
        #expect(kubeadm.config.address == ControlAddress(host: "", port: 9153))
        let zones: [DomainName] = ["cluster.local."]
        #expect(kubeadm.config.zones == zones)
        #expect(kubeadm.config.port == 5353)
    }

    @Test("runtime_metrics (it would do nothing), tls, unknown properties, two addresses and a second prometheus are errors")
    func properties() throws {
        #expect(OpsFixture.error(".:53 {\n prometheus {\n  runtime_metrics\n }\n}\n")
                == "Corefile:3: plugin/prometheus: runtime_metrics: not supported yet by ClusterDNS: it adds the Go runtime's metrics, which a Swift process has no counterpart for; the process_* metrics are always exported")
        #expect(OpsFixture.error(".:53 {\n prometheus {\n  tls /etc/web.yml\n }\n}\n")?.contains("not supported") == true)
        #expect(OpsFixture.error(".:53 {\n prometheus {\n  fast\n }\n}\n")?.contains("unknown property 'fast'") == true)
        #expect(OpsFixture.error(".:53 {\n prometheus :1 :2\n}\n")?.contains("plugin/prometheus") == true)
        #expect(OpsFixture.error(".:53 {\n prometheus\n prometheus :9154\n}\n")?.contains("only be used once") == true)
    }

    @Test("control addresses parse Go's host:port forms and reject the rest", arguments: [
        (":8080", "", UInt16(8080)), ("localhost:9153", "localhost", 9153), ("127.0.0.1:8181", "127.0.0.1", 8181),
        ("[::1]:8080", "::1", 8080), ("[::]:80", "::", 80),
    ])
    func controlAddresses(text: String, host: String, port: UInt16) throws {
        #expect(try ControlAddress.parse(text).get() == ControlAddress(host: host, port: port))
    }

    @Test("malformed control addresses say why", arguments: [
        ("8080", "missing port in address"), ("localhost", "missing port in address"), ("::1:80", "too many colons"),
        ("[::1]80", "missing port in address"), ("[::1:80", "missing ']'"), (":http", "invalid port"), (":70000", "invalid port"),
    ])
    func badControlAddresses(text: String, reason: String) {
        guard case .failure(let error) = ControlAddress.parse(text) else {
            Issue.record("\(text) parsed")
            return
        }
        #expect(error.description.contains(reason))
    }
}
