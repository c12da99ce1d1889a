import Synchronization

/// Reporters that belong to the process rather than to a Corefile plugin, and whose samples every
/// `/metrics` endpoint adds after the plugins' own: `clusterdns node-cache` registers its setup
/// counters (`coredns_nodecache_setup_errors_total`) here, so they are scraped from the same
/// `prometheus :9253` endpoint as the DNS metrics, as node-cache's are.
///
/// Registered once at start, before any scrape; read under a lock at scrape time only.
public final class ProcessMetricReporters: Sendable {
    public static let shared = ProcessMetricReporters()
    private let reporters = Mutex<[any MetricsReporting]>([])

    /// Adds `reporter`; registering the same object twice adds it once.
    public func register(_ reporter: any MetricsReporting) {
        reporters.withLock { list in
            if !list.contains(where: { $0 === reporter }) { list.append(reporter) }
        }
    }

    /// Removes `reporter` (tests; a process keeps its reporters until it exits).
    public func unregister(_ reporter: any MetricsReporting) {
        reporters.withLock { list in list.removeAll { $0 === reporter } }
    }

    var all: [any MetricsReporting] { reporters.withLock { $0 } }
}
