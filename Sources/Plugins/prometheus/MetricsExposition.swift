import DNSWire

/// What `GET /metrics` returns: the running server's counters, summed over the workers at scrape
/// time, in CoreDNS's metric names and labels, plus the process, health, event-loop and plugin
/// metrics. Runs on the HTTP host's thread; reads only atomics and locked snapshots, never blocks
/// a worker.
///
/// Labels:
/// - `server` is `dns://:PORT`, `view` is empty (no views).
/// - `zone` is the block's first zone. CoreDNS labels a query with the zone of its block that
///   matched the name; counting per zone would multiply every block's counters by its zones for
///   the rare block with several, so a block is counted as one (documented in Docs/metrics.md).
/// - Only blocks that enable `prometheus` are exported (CoreDNS records nothing for the others);
///   queries answered before any block ran are exported under `zone="dropped"`.
public enum MetricsExposition {
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// The exposition text.
    /// - Parameters:
    ///   - introspection: the running server; nil gives only the process-wide metrics.
    ///   - build: version and revision for `coredns_build_info`.
    public static func render(introspection: (any ServerIntrospection)?, build: ControlPlane,
                              process: ProcessMetrics? = ProcessMetrics.current(),
                              health: HealthStatistics.Snapshot = HealthStatistics.shared.snapshot,
                              log: LogStream = .standardOutput,
                              reloadFailures: UInt64 = ReloadStatistics.shared.failures) -> [UInt8] {
        var out = ExpositionWriter()
        out.gauge(MetricNames.buildInfo, help: MetricNames.buildInfoHelp,
                  labels: [("version", build.version), ("revision", build.revision), ("goversion", SwiftVersion.text)], value: 1)
        let engines = introspection?.engineCounters ?? []
        out.counter(MetricNames.panics, help: MetricNames.panicsHelp,
                    value: engines.reduce(UInt64(0)) { $0 &+ $1.read(.panics) })
        out.counter(MetricNames.reloadFailed, help: MetricNames.reloadFailedHelp, value: reloadFailures)
        writeHealth(health, into: &out)
        if let introspection {
            writeBlocks(introspection, into: &out)
            writeEngine(engines, transport: introspection.transportCounters, into: &out)
            writePluginReports(introspection, into: &out)
        }
        out.counter("clusterdns_log_dropped_lines_total", help: "Log lines (log, errors) dropped because standard output could not keep up.",
                    value: log.droppedLines)
        out.counter("clusterdns_log_written_bytes_total", help: "Octets of log lines written to standard output.",
                    value: log.bytesWritten)
        if let process { writeProcess(process, into: &out) }
        return out.finish()
    }

    // MARK: DNS metrics

    static func writeBlocks(_ introspection: any ServerIntrospection, into out: inout ExpositionWriter) {
        let blocks = introspection.runningBlocks
        let exported = blocks.filter { $0.factories.contains { $0 is PrometheusPlugin } }
        for entry in introspection.blockMetrics {
            // Without block facts (an introspection that has none), export every block.
            guard blocks.isEmpty || exported.contains(where: { "dns://:\($0.port)" == entry.serverLabel && $0.zones == entry.zones })
            else { continue }
            let zone = entry.zones.first?.description ?? "."
            writeDNS(server: entry.serverLabel, zone: zone, workers: entry.workers, into: &out)
        }
        for entry in introspection.droppedMetrics {
            writeDNS(server: entry.serverLabel, zone: MetricNames.droppedZone, workers: entry.workers, into: &out)
        }
        for block in exported {
            let server = "dns://:\(block.port)"
            var names: [String] = []
            for factory in block.factories where !MetricNames.notInChain.contains(factory.name) && !names.contains(factory.name) {
                names.append(factory.name)
            }
            for zone in block.zones {
                for name in names {
                    out.gauge(MetricNames.pluginEnabled, help: MetricNames.pluginEnabledHelp,
                              labels: [("server", server), ("zone", zone.description), ("view", ""), ("name", name)], value: 1)
                }
            }
        }
    }

    /// One block's (or the dropped queries') counters, summed over `workers`.
    static func writeDNS(server: String, zone: String, workers: [BlockMetrics], into out: inout ExpositionWriter) {
        guard let first = workers.first else { return }
        let base: [(String, String)] = [("server", server), ("zone", zone), ("view", "")]
        for tcp in [false, true] {
            for ipv6 in [false, true] {
                for (typeIndex, typeName) in typeNames.enumerated() {
                    let value = workers.reduce(UInt64(0)) { $0 &+ $1.requests(tcp: tcp, ipv6: ipv6, typeIndex: typeIndex) }
                    guard value > 0 else { continue }
                    out.counter(MetricNames.requests, help: MetricNames.requestsHelp,
                                labels: base + [("proto", tcp ? "tcp" : "udp"), ("family", ipv6 ? "2" : "1"), ("type", typeName)],
                                value: value)
                }
            }
        }
        let dnssecOK = workers.reduce(UInt64(0)) { $0 &+ $1.dnssecOKRequests }
        if dnssecOK > 0 {
            out.counter(MetricNames.dnssecOK, help: MetricNames.dnssecOKHelp, labels: base, value: dnssecOK)
        }
        let plugins = first.pluginNames
        for rcode in 0..<BlockMetrics.rcodeCount {
            for plugin in -1..<plugins.count {
                let value = workers.reduce(UInt64(0)) { $0 &+ $1.responses(rcode: rcode, plugin: plugin) }
                guard value > 0 else { continue }
                out.counter(MetricNames.responses, help: MetricNames.responsesHelp,
                            labels: base + [("rcode", rcodeName(rcode)), ("plugin", plugin >= 0 ? plugins[plugin] : "")],
                            value: value)
            }
        }
        var durations = [UInt64](repeating: 0, count: BlockMetrics.durationBounds.count + 1)
        var durationSum = 0.0
        for worker in workers {
            let (counts, sum) = worker.durationBuckets
            for i in durations.indices where i < counts.count { durations[i] &+= counts[i] }
            durationSum += sum
        }
        let (cumulative, total) = accumulate(durations)
        if total > 0 {
            out.histogram(MetricNames.duration, help: MetricNames.durationHelp, labels: base, bounds: BlockMetrics.durationBounds,
                          cumulative: cumulative, count: total, sum: durationSum)
        }
        for response in [false, true] {
            for tcp in [false, true] {
                var sizes = [UInt64](repeating: 0, count: BlockMetrics.sizeBounds.count + 1)
                var sizeSum: UInt64 = 0
                for worker in workers {
                    let (counts, sum) = worker.sizeBuckets(response: response, tcp: tcp)
                    for i in sizes.indices where i < counts.count { sizes[i] &+= counts[i] }
                    sizeSum &+= sum
                }
                let (cumulative, total) = accumulate(sizes)
                guard total > 0 else { continue }
                out.histogram(response ? MetricNames.responseSize : MetricNames.requestSize,
                              help: response ? MetricNames.responseSizeHelp : MetricNames.requestSizeHelp,
                              labels: base + [("proto", tcp ? "tcp" : "udp")], bounds: BlockMetrics.sizeBounds,
                              cumulative: cumulative, count: total, sum: Double(sizeSum))
            }
        }
    }

    /// Non-cumulative bucket counts whose last entry is +Inf → cumulative counts of the finite
    /// buckets and the total.
    static func accumulate(_ counts: [UInt64]) -> (cumulative: [UInt64], total: UInt64) {
        var running: UInt64 = 0
        var cumulative: [UInt64] = []
        for count in counts.dropLast() {
            running &+= count
            cumulative.append(running)
        }
        return (cumulative, running &+ (counts.last ?? 0))
    }

    static let typeNames: [String] = BlockMetrics.typeLabels.map(\.1) + ["other"]

    /// CoreDNS's `rcode.ToString`: miekg/dns's names, else `RCODEn`.
    static func rcodeName(_ rcode: Int) -> String {
        let names = ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET",
                     "NOTAUTH", "NOTZONE", "", "", "", "", "", "BADSIG", "BADKEY", "BADTIME", "BADMODE", "BADNAME", "BADALG",
                     "BADTRUNC", "BADCOOKIE"]
        if rcode >= 0 && rcode < names.count && !names[rcode].isEmpty { return names[rcode] }
        return "RCODE\(rcode)"
    }

    // MARK: Process-wide metrics

    static func writeHealth(_ health: HealthStatistics.Snapshot, into out: inout ExpositionWriter) {
        out.histogram(HealthStatistics.durationName, help: HealthStatistics.durationHelp, bounds: HealthStatistics.bounds,
                      cumulative: health.cumulative, count: health.count, sum: health.sum)
        out.counter(HealthStatistics.failuresName, help: HealthStatistics.failuresHelp, value: health.failures)
    }

    static func writeProcess(_ p: ProcessMetrics, into out: inout ExpositionWriter) {
        out.counter("process_cpu_seconds_total", help: "Total user and system CPU time spent in seconds.", value: p.cpuSeconds)
        out.gauge("process_resident_memory_bytes", help: "Resident memory size in bytes.", value: p.residentBytes)
        out.gauge("process_virtual_memory_bytes", help: "Virtual memory size in bytes.", value: p.virtualBytes)
        out.gauge("process_virtual_memory_max_bytes", help: "Maximum amount of virtual memory available in bytes.", value: p.virtualMaxBytes)
        out.gauge("process_start_time_seconds", help: "Start time of the process since unix epoch in seconds.", value: p.startTimeSeconds)
        out.gauge("process_open_fds", help: "Number of open file descriptors.", value: p.openFDs)
        out.gauge("process_max_fds", help: "Maximum number of open file descriptors.", value: p.maxFDs)
    }

    /// The event loop's (given by the server) and the engine's own counters, as `clusterdns_*`.
    static func writeEngine(_ engines: [EngineCounters], transport: [CounterSample], into out: inout ExpositionWriter) {
        let reasons: [(EngineCounters.Counter, String)] = [
            (.droppedShort, "short"), (.droppedResponse, "response"), (.formatErrors, "formerr"),
            (.notImplemented, "notimp"), (.refusedNoZone, "no_zone"), (.refusedClass, "class"),
            (.badVersion, "badvers"), (.overloaded, "overloaded"),
        ]
        for (counter, reason) in reasons {
            out.counter("clusterdns_queries_unrouted_total",
                        help: "Queries dropped or answered before reaching a server block, by reason.",
                        labels: [("reason", reason)], value: engines.reduce(UInt64(0)) { $0 &+ $1.read(counter) })
        }
        let cookies: [(EngineCounters.Counter, String)] = [
            (.cookieClientOnly, "client_only"), (.cookieValid, "valid"), (.cookieInvalid, "invalid"),
            (.cookieMalformed, "malformed"),
        ]
        for (counter, result) in cookies {
            out.counter("clusterdns_cookies_total",
                        help: "Queries with a COOKIE option (RFC 7873), by what their cookie was.",
                        labels: [("result", result)], value: engines.reduce(UInt64(0)) { $0 &+ $1.read(counter) })
        }
        for sample in transport {
            out.counter(sample.name, help: sample.help, labels: sample.labels, value: sample.value)
        }
    }

    // MARK: Plugins' own metrics

    static func sameLabels(_ a: [(String, String)], _ b: [(String, String)]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
    }

    static func writePluginReports(_ introspection: any ServerIntrospection, into out: inout ExpositionWriter) {
        var report = MetricsReport()
        var seen: [ObjectIdentifier] = []
        for factory in introspection.runningPlugins {
            guard let reporter = factory as? any MetricsReporting else { continue }
            let id = ObjectIdentifier(factory)
            guard !seen.contains(id) else { continue }
            seen.append(id)
            reporter.reportMetrics(into: &report)
        }
        for reporter in ProcessMetricReporters.shared.all { reporter.reportMetrics(into: &report) }
        for family in report.families {
            // Histogram samples with equal labels (one per worker) are summed here; counters and
            // gauges are summed by the writer.
            var histograms: [(labels: [(String, String)], sample: MetricsReport.Sample)] = []
            for sample in family.samples {
                switch family.kind {
                case .counter:
                    out.counter(family.name, help: family.help, labels: sample.labels, value: sample.value)
                case .gauge:
                    out.gauge(family.name, help: family.help, labels: sample.labels, value: sample.value)
                case .histogram:
                    if let i = histograms.firstIndex(where: { sameLabels($0.labels, sample.labels) }),
                       histograms[i].sample.buckets.map(\.upperBound) == sample.buckets.map(\.upperBound) {
                        for b in sample.buckets.indices { histograms[i].sample.buckets[b].count &+= sample.buckets[b].count }
                        histograms[i].sample.count &+= sample.count
                        histograms[i].sample.sum += sample.sum
                    } else {
                        histograms.append((sample.labels, sample))
                    }
                }
            }
            for (labels, sample) in histograms {
                out.histogram(family.name, help: family.help, labels: labels, bounds: sample.buckets.map(\.upperBound),
                              cumulative: sample.buckets.map(\.count), count: sample.count, sum: sample.sum)
            }
        }
    }
}
