import Synchronization

/// The self-probe's measurements, process-wide as in CoreDNS (no `server` label: being slow to
/// answer a local HTTP request is a symptom of the process, not of a server block):
/// `coredns_health_request_duration_seconds` and `coredns_health_request_failures_total`.
public final class HealthStatistics: Sendable {
    public static let shared = HealthStatistics()

    public static let durationName = "coredns_health_request_duration_seconds"
    public static let durationHelp = "Histogram of the time (in seconds) each request took."
    public static let failuresName = "coredns_health_request_failures_total"
    public static let failuresHelp = "The number of times the health check failed."
    /// CoreDNS's `SlimTimeBuckets`: 0.25 ms × 10^k, k = 0…4.
    public static let bounds: [Double] = [0.00025, 0.0025, 0.025, 0.25, 2.5]

    public struct Snapshot: Sendable, Equatable {
        /// Cumulative counts per bound of `bounds`.
        public var cumulative: [UInt64]
        public var count: UInt64
        public var sum: Double
        public var failures: UInt64
    }

    private let state = Mutex(Snapshot(cumulative: Array(repeating: 0, count: HealthStatistics.bounds.count),
                                       count: 0, sum: 0, failures: 0))

    public init() {}

    /// Records one probe's duration.
    public func observe(seconds: Double) {
        state.withLock { state in
            for (i, bound) in HealthStatistics.bounds.enumerated() where seconds <= bound { state.cumulative[i] += 1 }
            state.count += 1
            state.sum += seconds
        }
    }

    /// Records a probe that got no HTTP answer (it is observed too, as CoreDNS does).
    public func failed() {
        state.withLock { $0.failures += 1 }
    }

    public var snapshot: Snapshot { state.withLock { $0 } }
}
