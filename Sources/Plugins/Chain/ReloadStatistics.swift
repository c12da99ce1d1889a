import Synchronization

/// Counts configuration reloads for `coredns_reload_failed_total` and friends. Process-wide:
/// there is one Corefile per process.
public final class ReloadStatistics: Sendable {
    public static let shared = ReloadStatistics()
    let counts = Mutex<(succeeded: UInt64, failed: UInt64)>((0, 0))

    public func succeeded() { counts.withLock { $0.succeeded += 1 } }
    public func failed() { counts.withLock { $0.failed += 1 } }
    public var failures: UInt64 { counts.withLock { $0.failed } }
    public var successes: UInt64 { counts.withLock { $0.succeeded } }
}
