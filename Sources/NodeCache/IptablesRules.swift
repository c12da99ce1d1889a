import Foundation
import Logging

/// Keeps the conntrack bypass rules in place: `ensure` checks each rule with `-C` and inserts the
/// missing ones at the top of their chain with `-I` (so they come before kube-proxy's and the
/// CNI's), `remove` deletes every copy with `-D`. Failures are logged and counted
/// (`SetupErrors`), never thrown: a node whose rules cannot be written still answers DNS, only
/// through conntrack.
package struct IptablesRules: Sendable {
    package let rules: [IptablesRule]
    let runner: any CommandRunner
    let errors: SetupErrors
    let logger: Logger

    package init(rules: [IptablesRule], runner: any CommandRunner, errors: SetupErrors, logger: Logger) {
        self.rules = rules
        self.runner = runner
        self.errors = errors
        self.logger = logger
    }

    /// What `ensure` did.
    package struct Outcome: Sendable, Equatable {
        package var present = 0
        package var added = 0
        package var failed = 0

        package init(present: Int = 0, added: Int = 0, failed: Int = 0) {
            self.present = present
            self.added = added
            self.failed = failed
        }
    }

    /// Adds the rules that are missing.
    @discardableResult
    package func ensure() -> Outcome {
        var outcome = Outcome()
        for rule in rules {
            let check = runner.run(rule.program, rule.arguments("-C"))
            switch check.status {
            case 0:
                outcome.present += 1
                continue
            case 1:
                // "Bad rule (does a matching rule exist in that chain?)": missing, add it.
                break
            default:
                fail(rule, operation: "check", check)
                outcome.failed += 1
                continue
            }
            let insert = runner.run(rule.program, rule.arguments("-I"))
            if insert.status == 0 {
                outcome.added += 1
                logger.info("added iptables rule", metadata: ["rule": "\(rule)"])
            } else {
                fail(rule, operation: "add", insert)
                outcome.failed += 1
            }
        }
        return outcome
    }

    /// Deletes every copy of every rule (a rule may have been added twice, by an earlier run that
    /// kept its rules). Returns the number of rules deleted.
    @discardableResult
    package func remove() -> Int {
        var deleted = 0
        for rule in rules {
            // Bounded: a rule that keeps "deleting" without disappearing is not worth a hang at exit.
            for _ in 0..<16 {
                let result = runner.run(rule.program, rule.arguments("-D"))
                if result.status == 0 {
                    deleted += 1
                    continue
                }
                if result.status != 1 { fail(rule, operation: "delete", result) }
                break
            }
        }
        return deleted
    }

    func fail(_ rule: IptablesRule, operation: String, _ result: CommandResult) {
        let locked = result.output.contains("xtables lock")
        errors.count(locked ? .iptablesLock : .iptables)
        logger.error("iptables rule could not be checked or changed", metadata: [
            "operation": .string(operation), "rule": "\(rule)", "status": "\(result.status)",
            "output": .string(result.output.trimmingCharacters(in: .whitespacesAndNewlines)),
        ])
    }
}
