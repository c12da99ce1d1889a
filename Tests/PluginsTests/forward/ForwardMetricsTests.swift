import Corefile
import DNSWire
import Testing
@testable import Plugins

@Suite("forward metrics")
struct ForwardMetricsTests {
    @Test("the report names CoreDNS's forward and proxy metrics, labelled by upstream")
    func families() throws {
        let config = try ForwardFixture.config("forward . 127.0.0.1:5300 [::1]:5300")
        let plugin = ForwardPlugin(config: config)
        let worker = WorkerContext(index: 0, workerCount: 1)
        let handler = try #require(plugin.makeHandler(worker: worker) as? ForwardHandler)
        handler.metrics.countRequest(upstream: 1)
        handler.metrics.countResponse(upstream: 1, rcode: .nameError, nanoseconds: 3_000_000)
        handler.metrics.countDropped(upstream: 0, .wrongID)
        handler.metrics.countReject()
        var report = MetricsReport()
        plugin.reportMetrics(into: &report)
        let names = Set(report.families.map(\.name))
        for expected in ["coredns_forward_requests_total", "coredns_forward_responses_total",
                         "coredns_forward_request_duration_seconds", "coredns_forward_healthcheck_failures_total",
                         "coredns_forward_healthcheck_broken_total", "coredns_forward_max_concurrent_rejects_total",
                         "coredns_proxy_request_duration_seconds", "coredns_proxy_healthcheck_failures_total",
                         "coredns_proxy_conn_cache_hits_total", "coredns_proxy_conn_cache_misses_total",
                         "clusterdns_forward_dropped_responses_total"] {
            #expect(names.contains(expected), "\(expected) missing")
        }
        let requests = try #require(report.families.first { $0.name == "coredns_forward_requests_total" })
        #expect(requests.samples.first { $0.labels.contains { $0 == ("to", "[::1]:5300") } }?.value == 1)
        let responses = try #require(report.families.first { $0.name == "coredns_forward_responses_total" })
        #expect(responses.samples.count == 1)
        #expect(responses.samples[0].labels.contains { $0 == ("rcode", "NXDOMAIN") })
        let duration = try #require(report.families.first { $0.name == "coredns_proxy_request_duration_seconds" })
        #expect(duration.samples[0].count == 1)
        #expect(duration.samples[0].labels.contains { $0 == ("proxy_name", "forward") })
        let dropped = try #require(report.families.first { $0.name == "clusterdns_forward_dropped_responses_total" })
        #expect(dropped.samples.first { $0.labels.contains { $0 == ("reason", "id") } && $0.labels.contains { $0 == ("to", "127.0.0.1:5300") } }?.value == 1)
        let rejects = try #require(report.families.first { $0.name == "coredns_forward_max_concurrent_rejects_total" })
        #expect(rejects.samples.first?.value == 1)
    }
}
