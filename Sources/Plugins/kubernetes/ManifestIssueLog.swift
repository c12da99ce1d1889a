import ClusterRegistry
import Logging
import Synchronization

/// Logs a registry's manifest problems once each: a problem is logged when a published snapshot
/// first has it, not again while it stays (another file's edit republishes every issue), and
/// again only if it goes away and comes back. Errors at error level, warnings (a duplicate
/// object, an unserved field) at warning level. One per registry, shared by every block and
/// kept across reloads, so two blocks over one directory do not log everything twice.
final class ManifestIssueLog: Sendable {
    private let reported = Mutex<Set<ManifestIssue>>([])

    /// Logs the issues in `issues` that the previous call did not have.
    func report(_ issues: [ManifestIssue], logger: Logger) {
        let fresh = reported.withLock { seen -> [ManifestIssue] in
            let new = issues.filter { !seen.contains($0) }
            seen = Set(issues)
            return new
        }
        for issue in fresh {
            switch issue.severity {
            case .error: logger.error("\(issue)")
            case .warning: logger.warning("\(issue)")
            }
        }
    }

    /// The log of `registry`'s issues, one per registry for the life of the process.
    static func of(_ registry: SnapshotCell<ClusterState>, server: ServerContext) -> ManifestIssueLog {
        server.shared("manifest-issues:\(UInt(bitPattern: ObjectIdentifier(registry).hashValue))") { ManifestIssueLog() }
    }
}
