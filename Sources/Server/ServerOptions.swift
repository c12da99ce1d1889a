import Logging
import Plugins

/// Command-line options of `clusterdns serve` that shape the server rather than a plugin.
package struct ServerOptions: Sendable {
    /// The Corefile to load (and to watch when `reload` is on).
    package var corefilePath: String
    /// `--manifests DIR`: objects for a `kubernetes` block that names no source.
    package var manifestsDirectory: String?
    /// Worker threads; default one per core.
    package var workers: Int
    /// How long in-flight queries may take to finish on SIGTERM before the process exits.
    package var drainTimeout: Duration = .seconds(5)
    /// Open TCP connections across all workers; at the cap the longest-idle one is closed.
    package var maxTCPConnections = 10_000
    /// Bytes all `cache` plugins on all workers may take together when their Corefile leaves
    /// the capacity at its default (`ResourceLimits.cacheBudget`, from the memory limit); nil
    /// for no limit. Shared evenly among workers and the Corefile's `cache` directives.
    package var cacheMemoryBudget: Int?
    /// `--user`: the identity taken for good once every listener is bound; nil to keep the
    /// starting one.
    package var privilegeDrop: PrivilegeDrop?
    package var logger: Logger
    /// Where `health`, `ready` and `prometheus` publish their HTTP endpoints (the executable links
    /// the HTTP server; the server itself does not), and the build facts they report.
    package var controlPlane = ControlPlane()
    /// Called once on the control thread when every listener is bound and the workers run, with
    /// the bound endpoints: `clusterdns node-cache` installs its iptables rules only then (as
    /// node-cache waits for CoreDNS's pidfile), so rules never steer traffic to a server that
    /// failed to start.
    package var onServing: (@Sendable (_ endpoints: [String]) -> Void)?

    package init(corefilePath: String, manifestsDirectory: String?, workers: Int, logger: Logger) {
        self.corefilePath = corefilePath
        self.manifestsDirectory = manifestsDirectory
        self.workers = workers
        self.logger = logger
    }
}
