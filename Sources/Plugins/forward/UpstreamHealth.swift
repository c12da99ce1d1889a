import Synchronization

/// The health of one upstream as every worker sees it: the number of consecutive failed health
/// checks and whether a health check is running.
///
/// Shared by all workers of the process (one per `forward` upstream), so it is made of atomics.
/// Workers only read `consecutiveFailures` on the query path (one relaxed load per upstream tried,
/// a plain load on x86-64 and arm64, on a cache line that changes only when a check fails or
/// succeeds) and try to start a check after an attempt failed. Only the health checker writes
/// the failure count.
final class UpstreamHealth: Sendable {
    let upstream: UpstreamAddress
    private let failures = Atomic<UInt32>(0)
    private let checking = Atomic<Bool>(false)
    /// Failed health checks since start (`coredns_forward_healthcheck_failures_total`); one writer.
    private let failedChecks = Atomic<UInt64>(0)

    init(upstream: UpstreamAddress) { self.upstream = upstream }

    /// True when `maxFails` or more health checks in a row have failed. Never down with `maxFails` 0.
    ///
    /// CoreDNS's README says an upstream is down after `max_fails` failed checks; its code waits
    /// for one more (`fails > maxfails`). This follows the README.
    /// - Complexity: O(1), allocation-free.
    @inline(__always)
    func isDown(maxFails: UInt32) -> Bool {
        maxFails != 0 && failures.load(ordering: .relaxed) >= maxFails
    }

    var consecutiveFailures: UInt32 { failures.load(ordering: .relaxed) }
    var failedCheckCount: UInt64 { failedChecks.load(ordering: .relaxed) }

    /// Claims the right to run the health check; false when one is already running.
    func beginCheck() -> Bool {
        checking.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
    }

    /// A health check got a reply: the upstream is up again and checking stops.
    func checkSucceeded() {
        failures.store(0, ordering: .relaxed)
        checking.store(false, ordering: .releasing)
    }

    /// A health check failed; checking goes on.
    func checkFailed() {
        let current = failures.load(ordering: .relaxed)
        if current < UInt32.max { failures.store(current + 1, ordering: .relaxed) }
        failedChecks.store(failedChecks.load(ordering: .relaxed) &+ 1, ordering: .relaxed)
    }

    /// Checking was abandoned (the plugin stopped).
    func checkAbandoned() {
        checking.store(false, ordering: .releasing)
    }

    var isChecking: Bool { checking.load(ordering: .relaxed) }
}
