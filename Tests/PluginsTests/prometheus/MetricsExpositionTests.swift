import DNSWire
import Foundation
import Testing
@testable import Plugins

/// A server as the exposition sees it, made of test engines.
final class FakeIntrospection: ServerIntrospection, @unchecked Sendable {
    // @unchecked: every property is set once, before any read.
    let blocks: [ConfiguredBlock]
    let engines: [ChainHarness]
    let transport: [CounterSample]

    init(blocks: [ConfiguredBlock], engines: [ChainHarness], transport: [CounterSample] = []) {
        self.blocks = blocks
        self.engines = engines
        self.transport = transport
    }

    var runningPlugins: [any PluginFactory] { blocks.flatMap(\.factories) }
    var runningBlocks: [ConfiguredBlock] { blocks }
    var blockMetrics: [(serverLabel: String, zones: [DomainName], workers: [BlockMetrics])] {
        engines.map { ($0.chain.serverLabel, $0.chain.zones, [$0.chain.metrics]) }
    }
    var engineCounters: [EngineCounters] { engines.map(\.engine.counters) }
    var transportCounters: [CounterSample] { transport }
    var droppedMetrics: [(serverLabel: String, workers: [BlockMetrics])] {
        engines.flatMap { engine in engine.engine.droppedMetrics.map { ("dns://:\($0.port)", [$0.metrics]) } }
    }
}

/// A plugin that reports a counter, a gauge and a per-worker histogram, and one clashing family.
final class ReportingPlugin: PluginFactory, MetricsReporting, Sendable {
    let name = "cache"
    func makeHandler(worker: WorkerContext) -> (any PluginHandler)? { nil }
    func reportMetrics(into report: inout MetricsReport) {
        report.counter("coredns_cache_hits_total", help: "The count of cache hits.", labels: [("server", "dns://:53"), ("type", "success")], value: 5)
        report.counter("coredns_cache_hits_total", help: "The count of cache hits.", labels: [("server", "dns://:53"), ("type", "success")], value: 2)
        report.gauge("coredns_cache_entries", help: "The number of elements in the cache.", labels: [("server", "dns://:53"), ("type", "denial")], value: 3)
        report.gauge("coredns_cache_entries", help: "The number of elements in the cache.", labels: [("server", "dns://:53"), ("type", "denial")], value: 4)
        for _ in 0..<2 {
            report.histogram("coredns_forward_request_duration_seconds", help: "Histogram of the time each request took.",
                             labels: [("to", "10.0.0.1:53")], buckets: [(0.1, 1), (1, 3)], sum: 1.5, count: 4)
        }
        // Already a counter in the exposition: must be left out, not crash the registry.
        report.gauge("coredns_panics_total", help: "clash", value: 1)
        report.counter("bad name", help: "invalid", value: 1)
    }
}

@Suite struct MetricsExpositionTests {
    /// A server block with `plugins` (and prometheus), an engine answering with `FixedAnswerPlugin`.
    func server(prometheus: Bool = true, port: UInt16 = 53) throws -> (FakeIntrospection, ChainHarness) {
        let configured = try OpsFixture.configure(".:\(port) {\n whoami\n}\n").blocks[0]
        var factories: [any PluginFactory] = [ReportingPlugin()]
        if prometheus { factories.append(PrometheusPlugin(config: PrometheusConfig(zones: [.root], port: port))) }
        factories.append(HealthPlugin(config: HealthConfig()))
        let block = ConfiguredBlock(block: configured.block, zones: [.root], port: port, factories: factories, bindAddresses: [])
        let engine = ChainHarness(handlers: [FixedAnswerPlugin()], names: ["fixed"], port: port)
        return (FakeIntrospection(blocks: [block], engines: [engine], transport: [
            CounterSample(name: "clusterdns_udp_received_total", help: "Datagrams read from UDP sockets.", value: 0),
            CounterSample(name: "clusterdns_udp_replies_dropped_total", help: "UDP replies not sent, by reason.",
                          labels: [("reason", "would_block")], value: 0),
        ]), engine)
    }

    func render(_ introspection: FakeIntrospection) -> String {
        let bytes = MetricsExposition.render(introspection: introspection, build: ControlPlane(version: "1.2.3", revision: "abc"),
                                             process: ProcessMetrics.current(), health: HealthStatistics().snapshot,
                                             log: LogStream(fd: -1), reloadFailures: 2)
        return String(decoding: bytes, as: UTF8.self)
    }

    func lines(_ text: String) -> Set<String> { Set(text.split(separator: "\n").map(String.init)) }

    @Test("requests, responses, sizes and durations carry CoreDNS's names and labels, and counts move with queries")
    func dnsMetrics() throws {
        let (introspection, engine) = try server()
        for _ in 0..<3 { _ = engine.exchange("www.example.org.", .a) }
        _ = engine.exchange("www.example.org.", .aaaa, transport: .tcp, edns: EDNS(udpPayloadSize: 4096, dnssecOK: true))
        _ = engine.exchange("v6.example.org.", .mx, peer: .v6(IPv6Address("::1")!))
        let text = lines(render(introspection))
        #expect(text.contains(#"coredns_dns_requests_total{server="dns://:53",zone=".",view="",proto="udp",family="1",type="A"} 3"#))
        #expect(text.contains(#"coredns_dns_requests_total{server="dns://:53",zone=".",view="",proto="tcp",family="1",type="AAAA"} 1"#))
        #expect(text.contains(#"coredns_dns_requests_total{server="dns://:53",zone=".",view="",proto="udp",family="2",type="MX"} 1"#))
        #expect(text.contains(#"coredns_dns_responses_total{server="dns://:53",zone=".",view="",rcode="NOERROR",plugin="fixed"} 5"#))
        #expect(text.contains(#"coredns_dns_do_requests_total{server="dns://:53",zone=".",view=""} 1"#))
        #expect(text.contains(#"coredns_dns_request_duration_seconds_count{server="dns://:53",zone=".",view=""} 5"#))
        #expect(text.contains(#"coredns_dns_request_duration_seconds_bucket{server="dns://:53",zone=".",view="",le="+Inf"} 5"#))
        #expect(text.contains { $0.hasPrefix(#"coredns_dns_request_duration_seconds_bucket{server="dns://:53",zone=".",view="",le="0.00025"}"#) })
        #expect(text.contains(#"coredns_dns_request_size_bytes_count{server="dns://:53",zone=".",view="",proto="udp"} 4"#))
        #expect(text.contains(#"coredns_dns_response_size_bytes_count{server="dns://:53",zone=".",view="",proto="tcp"} 1"#))
        #expect(text.contains { $0.hasPrefix(#"coredns_dns_request_size_bytes_bucket{server="dns://:53",zone=".",view="",proto="udp",le="16000"}"#) })
        for _ in 0..<7 { _ = engine.exchange("www.example.org.", .a) }
        #expect(lines(render(introspection)).contains(#"coredns_dns_requests_total{server="dns://:53",zone=".",view="",proto="udp",family="1",type="A"} 10"#))
    }

    @Test("queries no block takes are exported under zone dropped with an empty plugin")
    func dropped() throws {
        let (introspection, engine) = try server()
        _ = engine.exchange("version.bind.", .txt, recordClass: RecordClass(rawValue: 3))
        let text = lines(render(introspection))
        #expect(text.contains(#"coredns_dns_responses_total{server="dns://:53",zone="dropped",view="",rcode="REFUSED",plugin=""} 1"#))
        #expect(text.contains(#"coredns_dns_requests_total{server="dns://:53",zone="dropped",view="",proto="udp",family="1",type="TXT"} 1"#))
        #expect(text.contains(#"clusterdns_queries_unrouted_total{reason="class"} 1"#))
    }

    @Test("build info, plugin_enabled, panics, reload failures, health and process metrics are present")
    func processWide() throws {
        let (introspection, _) = try server()
        let text = render(introspection)
        let all = lines(text)
        #expect(all.contains(#"coredns_build_info{version="1.2.3",revision="abc",goversion="\#(SwiftVersion.text)"} 1.0"#))
        #expect(all.contains(#"coredns_plugin_enabled{server="dns://:53",zone=".",view="",name="cache"} 1.0"#))
        #expect(all.contains(#"coredns_plugin_enabled{server="dns://:53",zone=".",view="",name="prometheus"} 1.0"#))
        #expect(!text.contains(#"name="health""#))
        #expect(all.contains("coredns_panics_total 0"))
        #expect(all.contains("coredns_reload_failed_total 2"))
        #expect(all.contains(#"coredns_health_request_duration_seconds_bucket{le="2.5"} 0"#))
        #expect(all.contains("coredns_health_request_failures_total 0"))
        #expect(text.contains("\nprocess_resident_memory_bytes "))
        #expect(text.contains("\nprocess_cpu_seconds_total "))
        #expect(text.contains("\nprocess_open_fds "))
        #expect(text.contains("\nprocess_start_time_seconds "))
        #expect(all.contains("clusterdns_udp_received_total 0"))
        #expect(all.contains(#"clusterdns_udp_replies_dropped_total{reason="would_block"} 0"#))
    }

    @Test("plugins' reports are summed per label set; clashing or invalid families are left out")
    func pluginReports() throws {
        let (introspection, _) = try server()
        let text = render(introspection)
        let all = lines(text)
        #expect(all.contains(#"coredns_cache_hits_total{server="dns://:53",type="success"} 7"#))
        #expect(all.contains(#"coredns_cache_entries{server="dns://:53",type="denial"} 7.0"#))
        #expect(all.contains(#"coredns_forward_request_duration_seconds_bucket{to="10.0.0.1:53",le="0.1"} 2"#))
        #expect(all.contains(#"coredns_forward_request_duration_seconds_bucket{to="10.0.0.1:53",le="1"} 6"#))
        #expect(all.contains(#"coredns_forward_request_duration_seconds_count{to="10.0.0.1:53"} 8"#))
        #expect(all.contains("# TYPE coredns_panics_total counter"))
        #expect(!text.contains("clash"))
        #expect(!text.contains("bad name"))
    }

    @Test("blocks without prometheus are not exported")
    func onlyPrometheusBlocks() throws {
        let (introspection, engine) = try server(prometheus: false)
        _ = engine.exchange("www.example.org.", .a)
        let text = render(introspection)
        #expect(!text.contains("coredns_dns_requests_total{"))
        #expect(!text.contains("coredns_plugin_enabled{"))
    }

    @Test("promtool accepts the exposition")
    func promtool() throws {
        let (introspection, engine) = try server()
        for i in 0..<20 { _ = engine.exchange(try DomainName("q\(i).example.org."), i % 2 == 0 ? .a : .srv) }
        _ = engine.exchange("x.", .a, recordClass: RecordClass(rawValue: 3))
        let (status, output) = try PromtoolCheck.run(Array(render(introspection).utf8))
        #expect(status == 0, "promtool: \(output)")
    }

    @Test("floats are written as Go's client writes them")
    func floats() {
        #expect(ExpositionWriter.format(16000) == "16000")
        #expect(ExpositionWriter.format(0.00025) == "0.00025")
        #expect(ExpositionWriter.format(8.192) == "8.192")
        #expect(ExpositionWriter.format(.infinity) == "+Inf")
        #expect(ExpositionWriter.format(.nan) == "NaN")
        #expect(ExpositionWriter.escapeLabel("a\"b\\c\nd") == #"a\"b\\c\nd"#)
    }
}

/// Runs `promtool check metrics` on an exposition.
enum PromtoolCheck {
    static func run(_ body: [UInt8]) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["promtool", "check", "metrics"]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()
        input.fileHandleForWriting.write(Data(body))
        try input.fileHandleForWriting.close()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }
}
