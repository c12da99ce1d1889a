import DNSWire
import Logging
import NodeCache
import Plugins
import Synchronization
import Testing

/// Stands in for `iptables`: answers from a table of rules it holds, and records every call.
final class FakeIptables: CommandRunner, Sendable {
    let state = Mutex<(rules: [[String]], calls: [[String]])>(([], []))
    let failWith: CommandResult?

    init(failWith: CommandResult? = nil) { self.failWith = failWith }

    func run(_ program: String, _ arguments: [String]) -> CommandResult {
        state.withLock { state in
            state.calls.append([program] + arguments)
            if let failWith { return failWith }
            // arguments: -w 5 -t TABLE OP CHAIN SPEC...
            let op = arguments[4]
            let key = [program, arguments[3], arguments[5]] + arguments[6...]
            switch op {
            case "-C": return CommandResult(status: state.rules.contains(key) ? 0 : 1, output: "")
            case "-I":
                state.rules.append(key)
                return CommandResult(status: 0, output: "")
            case "-D":
                guard let i = state.rules.firstIndex(of: key) else { return CommandResult(status: 1, output: "Bad rule") }
                state.rules.remove(at: i)
                return CommandResult(status: 0, output: "")
            default: return CommandResult(status: 2, output: "bad op")
            }
        }
    }
}

@Suite struct IptablesRulesTests {
    /// The failures below are logged on purpose; keep them out of the test output.
    static let quiet: Logger = {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return logger
    }()
    static let ips = [IPAddress("169.254.20.10")!, IPAddress("fd00::10")!]

    @Test("twelve rules per local IP, node-cache's, with its comments; IPv6 addresses go to ip6tables")
    func ruleList() {
        let rules = IptablesRule.rules(localIPs: Self.ips, port: 53, healthPort: 8080)
        #expect(rules.count == 24)
        #expect(rules.filter { $0.program == "ip6tables" }.count == 12)
        #expect(rules[0].arguments("-C") == ["-w", "5", "-t", "raw", "-C", "PREROUTING", "-p", "tcp", "-d", "169.254.20.10",
                                              "--dport", "53", "-m", "comment", "--comment", "NodeLocal DNS Cache: skip conntrack",
                                              "-j", "NOTRACK"])
        #expect(rules.filter { $0.table == "filter" }.allSatisfy { $0.specification.contains("NodeLocal DNS Cache: allow DNS traffic") })
        #expect(rules.contains { $0.chain == "OUTPUT" && $0.specification.contains("--sport") && $0.specification.contains("8080") })
    }

    @Test("ensure adds what is missing once; remove takes every copy away")
    func ensureAndRemove() {
        let fake = FakeIptables()
        let errors = SetupErrors()
        let rules = IptablesRules(rules: IptablesRule.rules(localIPs: Self.ips, port: 53, healthPort: 8080), runner: fake,
                                  errors: errors, logger: Self.quiet)
        #expect(rules.ensure() == .init(present: 0, added: 24, failed: 0))
        #expect(rules.ensure() == .init(present: 24, added: 0, failed: 0))
        // A copy left by an earlier run is removed too.
        _ = fake.run("iptables", rules.rules[0].arguments("-I"))
        #expect(rules.remove() == 25)
        #expect(fake.state.withLock { $0.rules.isEmpty })
        #expect(errors.value(.iptables) == 0)
    }

    @Test("failures are counted by node-cache's error types: the xtables lock apart from the rest")
    func failures() {
        let locked = FakeIptables(failWith: CommandResult(status: 4, output: "Another app is currently holding the xtables lock."))
        let errors = SetupErrors()
        let rules = IptablesRules(rules: IptablesRule.rules(localIPs: [Self.ips[0]], port: 53, healthPort: 8080), runner: locked,
                                  errors: errors, logger: Self.quiet)
        #expect(rules.ensure().failed == 12)
        #expect(errors.value(.iptablesLock) == 12)
        let missing = FakeIptables(failWith: CommandResult(status: 127, output: "iptables: not found"))
        let other = IptablesRules(rules: rules.rules, runner: missing, errors: errors, logger: Self.quiet)
        other.ensure()
        #expect(errors.value(.iptables) == 12)
    }

    @Test("the setup-errors family lists every errortype from the start")
    func exposition() {
        let errors = SetupErrors()
        errors.count(.interfaceAdd)
        let text = errors.exposition()
        for label in ["iptables", "iptables_lock", "interface_add", "interface_check", "configmap"] {
            #expect(text.contains("coredns_nodecache_setup_errors_total{errortype=\"\(label)\"}"))
        }
        #expect(text.contains("{errortype=\"interface_add\"} 1\n"))
        var report = MetricsReport()
        errors.reportMetrics(into: &report)
        #expect(report.families.first?.samples.count == 5)
    }
}
