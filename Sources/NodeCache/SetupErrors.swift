import Plugins
import Synchronization

/// `coredns_nodecache_setup_errors_total{errortype}`: the node cache's failures to set up or keep
/// its interface, iptables rules and Corefile, under node-cache's metric name and label values so
/// its alerts work unchanged. Every label is exported from the start, at 0, as node-cache does.
///
/// Counted from the maintenance thread and the start-up path, read by scrapes: a lock is enough
/// (a handful of increments a minute, none on the DNS path).
package final class SetupErrors: MetricsReporting, Sendable {
    /// node-cache's `errortype` values. `interface_add`: the link could not be created;
    /// `interface_check`: it or its addresses could not be checked or repaired; `iptables`: a rule
    /// could not be checked, added or removed; `iptables_lock`: the same, because another program held
    /// the xtables lock; `configmap`: the template could not be read or the Corefile written.
    package enum Kind: String, CaseIterable, Sendable {
        case iptables, iptablesLock = "iptables_lock", interfaceAdd = "interface_add",
             interfaceCheck = "interface_check", configmap
    }

    package static let name = "coredns_nodecache_setup_errors_total"
    package static let help = "The number of errors during periodic network setup for node-cache"

    private let counts = Mutex<[UInt64]>(Array(repeating: 0, count: Kind.allCases.count))

    package init() {}

    package func count(_ kind: Kind) {
        guard let i = Kind.allCases.firstIndex(of: kind) else { return }
        counts.withLock { $0[i] &+= 1 }
    }

    package func value(_ kind: Kind) -> UInt64 {
        guard let i = Kind.allCases.firstIndex(of: kind) else { return 0 }
        return counts.withLock { $0[i] }
    }

    package func reportMetrics(into report: inout MetricsReport) {
        let values = counts.withLock { $0 }
        for (kind, value) in zip(Kind.allCases, values) {
            report.counter(Self.name, help: Self.help, labels: [("errortype", kind.rawValue)], value: Double(value))
        }
    }

    /// The family in the Prometheus text format, for node-cache's own metrics address
    /// (`--metrics-listen-address`).
    package func exposition() -> String {
        let values = counts.withLock { $0 }
        var text = "# HELP \(Self.name) \(Self.help)\n# TYPE \(Self.name) counter\n"
        for (kind, value) in zip(Kind.allCases, values) {
            text += "\(Self.name){errortype=\"\(kind.rawValue)\"} \(value)\n"
        }
        return text
    }
}
