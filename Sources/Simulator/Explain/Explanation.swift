import DNSWire

/// Why a cluster name resolves the way it does: what kind of name it is, what the cluster
/// holds for it (and what is wrong or close to it), and what the DNS server actually answers.
package struct Explanation: Sendable {
    package enum Severity: String, Sendable {
        /// As it should be.
        case ok
        /// A fact worth knowing (the service type, its ports).
        case info
        /// Why the name fails or misbehaves, with what to change.
        case problem
    }

    package struct Finding: Sendable, Equatable {
        package var severity: Severity
        package var text: String
        /// Indented lines under the finding: endpoints, pods, suggestions.
        package var details: [String]

        package init(_ severity: Severity, _ text: String, details: [String] = []) {
            self.severity = severity
            self.text = text
            self.details = details
        }
    }

    /// One question asked to the server and its result.
    package struct Check: Sendable, Equatable {
        package var type: RecordType
        package var result: ResolverResult
        package var transport: QueryTransport
    }

    package var name: DomainName
    package var zone: DomainName
    package var kind: ClusterName
    package var findings: [Finding]
    /// The answer the registry predicts (`NXDOMAIN`, `A 10.96.0.20`), when it can.
    package var expected: String?
    package var checks: [Check]
    /// Where `checks` came from (`Resolver.label`); nil when no server was asked.
    package var source: String?

    package init(name: DomainName, zone: DomainName, kind: ClusterName, findings: [Finding] = [], expected: String? = nil,
                checks: [Check] = [], source: String? = nil) {
        self.name = name
        self.zone = zone
        self.kind = kind
        self.findings = findings
        self.expected = expected
        self.checks = checks
        self.source = source
    }

    /// The problems found (empty when the name is fine).
    package var problems: [Finding] { findings.filter { $0.severity == .problem } }

    // MARK: Output

    package func text() -> String {
        var lines: [String] = ["\(name)", "  \(kind.summary)"]
        if !findings.isEmpty { lines.append("") }
        for finding in findings {
            let mark = switch finding.severity {
            case .ok: "ok     "
            case .info: "info   "
            case .problem: "PROBLEM"
            }
            lines.append("  \(mark) \(finding.text)")
            for detail in finding.details { lines.append("          \(detail)") }
        }
        if let expected {
            lines.append("")
            lines.append("  expected answer: \(expected)")
        }
        if let source {
            lines.append("")
            lines.append("  answer from \(source):")
            for check in checks { lines.append("    \(Explanation.describe(check))") }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func describe(_ check: Check) -> String {
        let via = check.transport == .tcp ? " (TCP)" : ""
        switch check.result {
        case .timeout: return "\(check.type)\(via): no reply (timeout)"
        case .connectionRefused: return "\(check.type)\(via): nothing listening (ICMP unreachable)"
        case .reply(let reply, let elapsed):
            let time = SimulationReport.formatDuration(elapsed)
            if reply.guess != nil { return "\(check.type): not answered in-process (outside the cluster zones: upstream)" }
            if reply.answers.isEmpty {
                return "\(check.type)\(via): \(reply.isNoData ? "NODATA (the name exists, no \(check.type) record)" : reply.rcode.description) in \(time)"
            }
            let records = reply.answers.map(SimulationReport.shortRecord).joined(separator: ", ")
            return "\(check.type)\(via): \(reply.rcode) \(records) in \(time)"
        }
    }

    package func json() -> JSONValue {
        .object([
            ("name", .string(name.description)),
            ("zone", .string(zone.description)),
            ("kind", .string(kind.jsonKind)),
            ("summary", .string(kind.summary)),
            ("findings", .array(findings.map { finding in
                .object([("severity", .string(finding.severity.rawValue)), ("text", .string(finding.text)),
                         ("details", .array(finding.details.map(JSONValue.string)))])
            })),
            ("expected", .string(expected)),
            ("source", .string(source)),
            ("answers", .array(checks.map { check in
                var members: [(String, JSONValue)] = [("qtype", .string(check.type.description)),
                                                      ("transport", .string(check.transport.rawValue))]
                switch check.result {
                case .timeout: members += [("rcode", .null), ("outcome", .string("timeout")), ("answers", .array([]))]
                case .connectionRefused: members += [("rcode", .null), ("outcome", .string("unreachable")), ("answers", .array([]))]
                case .reply(let reply, let elapsed):
                    members += [("rcode", .string(reply.rcode.description)),
                                ("outcome", .string(reply.guess != nil ? "upstream" : reply.isNoData ? "nodata" : "reply")),
                                ("answers", .array(reply.answers.map { .string(SimulationReport.shortRecord($0)) })),
                                ("ms", .double(SimulationReport.milliseconds(elapsed)))]
                }
                return .object(members)
            })),
        ])
    }
}

extension ClusterName {
    /// A stable identifier of the kind, for JSON.
    package var jsonKind: String {
        switch self {
        case .outsideZone: "outside-zone"
        case .apex: "apex"
        case .typeLevel: "type-level"
        case .dnsVersion: "dns-version"
        case .nameServer: "name-server"
        case .namespace: "namespace"
        case .service: "service"
        case .endpoint: "endpoint"
        case .servicePort: "service-port"
        case .pod: "pod"
        case .reverse: "reverse"
        case .invalid: "invalid"
        }
    }
}
