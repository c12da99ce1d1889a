import Foundation
import Logging

/// The node-level setup around the DNS server, and its upkeep: the local interface with the
/// listen addresses, the conntrack bypass rules, and the Corefile re-rendered from its template.
///
/// Order, as node-cache's: the interface is set up before the server binds (it holds the
/// addresses the server binds to); the rules only once the server serves (`start`), so they never
/// steer the node's DNS to a cache that failed to start; then a thread re-ensures both every
/// `syncInterval` (another agent may flush iptables or delete the link) and re-renders the
/// Corefile every 10 s. `teardown` removes rules and link on exit, so the node's DNS falls back
/// to the cluster tier's ClusterIP through kube-proxy.
///
/// Nothing here is on the DNS path; failures are logged and counted in `SetupErrors`.
package final class NodeNetworking: @unchecked Sendable {
    // @unchecked: the thread and the stop flag are behind `condition`; everything else is immutable.
    package let interface: LocalInterface?
    package let iptables: IptablesRules?
    package let corefile: NodeCacheCorefile?
    package let errors: SetupErrors
    package let syncInterval: Duration
    let logger: Logger
    static let corefileSyncInterval: Duration = .seconds(10)

    private let condition = NSCondition()
    private var stopping = false
    private var running = false
    private var finished = false

    package init(interface: LocalInterface?, iptables: IptablesRules?, corefile: NodeCacheCorefile?,
                errors: SetupErrors, syncInterval: Duration, logger: Logger) {
        self.interface = interface
        self.iptables = iptables
        self.corefile = corefile
        self.errors = errors
        self.syncInterval = syncInterval
        self.logger = logger
    }

    /// Creates or repairs the interface. Returns false when it could not (logged and counted).
    @discardableResult
    package func ensureInterface() -> Bool {
        guard let interface else { return true }
        let existed = interface.index != nil
        do {
            switch try interface.ensure() {
            case .created(let kind):
                if kind == "dummy" {
                    logger.info("added interface", metadata: ["interface": .string(interface.name)])
                } else {
                    logger.warning("this kernel has no dummy link type; the addresses are on an empty \(kind) instead",
                                   metadata: ["interface": .string(interface.name)])
                }
            case .present(let added):
                if added > 0 {
                    logger.info("put back missing addresses", metadata: ["interface": .string(interface.name), "added": "\(added)"])
                }
            }
            return true
        } catch {
            errors.count(existed ? .interfaceCheck : .interfaceAdd)
            logger.error("interface setup failed", metadata: ["interface": .string(interface.name), "error": "\(error)"])
            return false
        }
    }

    /// Adds missing rules.
    package func ensureRules() {
        guard let iptables else { return }
        let outcome = iptables.ensure()
        if outcome.added > 0 || outcome.failed > 0 {
            logger.info("iptables rules ensured", metadata: [
                "present": "\(outcome.present)", "added": "\(outcome.added)", "failed": "\(outcome.failed)",
            ])
        }
    }

    /// Re-renders the Corefile from its template; a failure keeps the file that is there.
    package func syncCorefile() {
        guard let corefile else { return }
        do {
            if try corefile.sync() {
                logger.info("Corefile re-rendered from its template", metadata: ["corefile": .string(corefile.outputPath)])
            }
        } catch {
            errors.count(.configmap)
            logger.error("Corefile not updated", metadata: ["error": "\(error)"])
        }
    }

    /// Called once the server serves: starts the upkeep thread, which installs the rules at once
    /// (off the caller's thread: two dozen `iptables` runs take about a second, and the caller is
    /// the server's control loop, which handles signals).
    package func start() {
        condition.lock()
        defer { condition.unlock() }
        guard !running, !stopping else { return }
        running = true
        let thread = Thread { [self] in upkeep() }
        thread.name = "node-cache-sync"
        thread.start()
    }

    private func upkeep() {
        ensureRules()
        var nextNetwork = ContinuousClock.now + syncInterval
        var nextCorefile = ContinuousClock.now + Self.corefileSyncInterval
        while true {
            condition.lock()
            let wake = min(nextNetwork, nextCorefile)
            while !stopping && ContinuousClock.now < wake {
                let left = ContinuousClock.now.duration(to: wake)
                let seconds = Double(left.components.seconds) + Double(left.components.attoseconds) / 1e18
                _ = condition.wait(until: Date(timeIntervalSinceNow: max(seconds, 0.001)))
            }
            let stop = stopping
            condition.unlock()
            if stop { break }
            let now = ContinuousClock.now
            if now >= nextNetwork {
                ensureRules()
                ensureInterface()
                nextNetwork = now + syncInterval
            }
            if now >= nextCorefile {
                syncCorefile()
                nextCorefile = now + Self.corefileSyncInterval
            }
        }
        condition.lock()
        finished = true
        condition.broadcast()
        condition.unlock()
    }

    /// Stops the upkeep thread and waits for a pass in progress to end.
    package func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while running && !finished { condition.wait() }
        condition.unlock()
    }

    /// Removes the rules and the interface (after `stop`).
    package func teardown() {
        logger.info("tearing down the node cache's iptables rules and interface")
        if let iptables { iptables.remove() }
        if let interface {
            do {
                try interface.remove()
            } catch {
                errors.count(.interfaceCheck)
                logger.error("interface not removed", metadata: ["interface": .string(interface.name), "error": "\(error)"])
            }
        }
    }
}
