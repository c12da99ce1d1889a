import DNSWire
import Logging
import Testing
@testable import Plugins

/// The plugin's `/metrics` samples: CoreDNS's names and labels, summed over workers, and kept
/// across a reload through the server's shared resources.
@Suite struct CacheMetricsTests {
    static func value(_ report: MetricsReport, _ name: String, type: String? = nil) -> Double? {
        guard let family = report.families.first(where: { $0.name == name }) else { return nil }
        let samples = family.samples.filter { sample in
            type.map { t in sample.labels.contains { $0.0 == "type" && $0.1 == t } } ?? true
        }
        return samples.isEmpty ? nil : samples.reduce(0) { $0 + $1.value }
    }

    static func run(_ handler: any PluginHandler, _ queries: [(String, RecordType)]) throws {
        let upstream = ScriptedUpstream { name, _, _ in
            name.description.hasPrefix("nx") ? Records.answer(rcode: .nameError, authority: [Records.soa])
                : Records.answer("\(name) 300 IN A 192.0.2.1")
        }
        let harness = ChainHarness(handlers: [handler, upstream], names: ["cache", "upstream"])
        for (name, type) in queries { _ = try harness.query(name, type) }
    }

    @Test("hits, misses, requests and entries are reported per type with CoreDNS's labels; the workers share one store")
    func report() throws {
        let plugin = CachePlugin(config: try CorefileFixture.cache("cache example.org example.net"),
                                 serverLabel: "dns://:53")
        let worker0 = try #require(plugin.makeHandler(worker: WorkerContext(index: 0, workerCount: 2)))
        let worker1 = try #require(plugin.makeHandler(worker: WorkerContext(index: 1, workerCount: 2)))
        try Self.run(worker0, [("a.example.org.", .a), ("a.example.org.", .a), ("nx.example.org.", .a), ("nx.example.org.", .a)])
        try Self.run(worker1, [("a.example.org.", .a), ("a.example.org.", .a), ("b.example.net.", .a)])
        var report = MetricsReport()
        plugin.reportMetrics(into: &report)
        // Worker 1's two queries for a.example.org are hits on the entry worker 0 stored.
        #expect(Self.value(report, "coredns_cache_requests_total") == 7)
        #expect(Self.value(report, "coredns_cache_misses_total") == 3)
        #expect(Self.value(report, "coredns_cache_hits_total", type: "success") == 3)
        #expect(Self.value(report, "coredns_cache_hits_total", type: "denial") == 1)
        #expect(Self.value(report, "coredns_cache_entries", type: "success") == 2)
        #expect(Self.value(report, "coredns_cache_entries", type: "denial") == 1)
        #expect(Self.value(report, "coredns_cache_prefetch_total") == 0)
        #expect(Self.value(report, "coredns_cache_drops_total") == 0)
        #expect(Self.value(report, "coredns_cache_served_stale_total") == 0)
        #expect(Self.value(report, "coredns_cache_evictions_total", type: "success") == 0)
        let hits = try #require(report.families.first { $0.name == "coredns_cache_hits_total" })
        #expect(hits.kind == .counter)
        let labels = try #require(hits.samples.first?.labels)
        #expect(labels.map(\.0) == ["server", "type", "zones", "view"])
        #expect(labels.map(\.1) == ["dns://:53", "success", "example.org.,example.net.", ""])
        #expect(report.families.first { $0.name == "coredns_cache_entries" }?.kind == .gauge)
    }

    @Test("a reloaded cache continues the counters of the one it replaces")
    func reload() throws {
        let context = ServerContext(logger: Logger(label: "test"), listeners: [], manifestsDirectory: nil) { _ in }
        let first = CachePlugin(config: CacheConfig(), serverLabel: "dns://:53")
        try first.start(context)
        try Self.run(try #require(first.makeHandler(worker: WorkerContext(index: 0, workerCount: 1))), [("a.example.", .a)])
        let second = CachePlugin(config: CacheConfig(), serverLabel: "dns://:53")
        try second.start(context)
        try Self.run(try #require(second.makeHandler(worker: WorkerContext(index: 0, workerCount: 1))), [("a.example.", .a)])
        var report = MetricsReport()
        second.reportMetrics(into: &report)
        #expect(Self.value(report, "coredns_cache_requests_total") == 2)
        #expect(Self.value(report, "coredns_cache_misses_total") == 2)
    }

    @Test("autopath reports coredns_autopath_success_total{server}")
    func autopath() throws {
        let dir = try AutopathFixture.directory()
        let config = try AutopathFixture.config("autopath resolv.conf", directory: dir)
        let plugin = AutopathPlugin(config: config, serverLabel: "dns://:53",
                                    location: try CorefileFixture.directive("autopath resolv.conf").0)
        let handler = try #require(plugin.makeHandler(worker: WorkerContext(index: 0, workerCount: 1)))
        let zone = FakeZone(["google.com.": ["google.com. 120 IN A 142.250.0.1"]])
        let harness = ChainHarness(handlers: [handler, zone], names: ["autopath", "zone"])
        _ = try harness.query("google.com.default.svc.cluster.local.", .a)
        _ = try harness.query("nothing.default.svc.cluster.local.", .a)
        var report = MetricsReport()
        plugin.reportMetrics(into: &report)
        let family = try #require(report.families.first { $0.name == "coredns_autopath_success_total" })
        #expect(family.samples.map(\.value) == [1])
        #expect(family.samples.first?.labels.map(\.0) == ["server"])
    }
}
