import DNSWire

/// Builds an `Explanation`: the name's kind from the grammar, the cluster's facts about it,
/// and (when a resolver is given) the server's actual answers.
///
/// The checks follow the usual "service unreachable" checklist: the namespace exists; the
/// service exists (else the closest names, and same-named services elsewhere); its type and
/// what DNS returns for that type; its ports (a port name that does not exist lists the named
/// ports); its endpoints, ready / not ready / terminating with the pods behind them; a selector
/// that matches no pod (and the labels the namespace's pods do have); publishNotReadyAddresses.
package enum Explainer {
    package static func explain(_ name: DomainName, zone: DomainName, facts: (any ClusterFacts)?,
                               resolver: (any Resolver)?) -> Explanation {
        let kind = ClusterName.parse(name, zone: zone)
        var explanation = Explanation(name: name, zone: zone, kind: kind)
        var expectedAnswer: ExpectedAnswer? = nil
        if let facts {
            var reasoning = Reasoning(facts: facts, zone: zone)
            reasoning.explain(kind, name: name)
            explanation.findings = reasoning.findings
            explanation.expected = reasoning.expected
            expectedAnswer = reasoning.expectedAnswer
        } else {
            explanation.findings = grammarOnly(kind, name: name, zone: zone)
        }
        if let resolver {
            explanation.source = resolver.label
            explanation.checks = ask(resolver, name: name, types: kind.interestingTypes)
            if let expectedAnswer, let mismatch = expectedAnswer.mismatch(explanation.checks) {
                explanation.findings.append(Explanation.Finding(
                    .problem, "the server's answer differs from the registry: \(mismatch) (a stale cache, or a server that sees another version of the cluster)"))
            }
        }
        return explanation
    }

    /// Without the registry: what the grammar alone says.
    static func grammarOnly(_ kind: ClusterName, name: DomainName, zone: DomainName) -> [Explanation.Finding] {
        var findings: [Explanation.Finding] = []
        if case .outsideZone = kind, let suggestion = relativeNameSuggestion(name, zone: zone) {
            findings.append(Explanation.Finding(.info, "explain takes a full name; did you mean `\(suggestion)`?"))
        }
        if case .invalid = kind {
            findings.append(Explanation.Finding(.problem, "CoreDNS answers NXDOMAIN for any such name, whatever the cluster holds"))
            if let suggestion = missingSvcSuggestion(name, zone: zone) {
                findings.append(Explanation.Finding(.info, "did you mean `\(suggestion)`?"))
            }
        }
        findings.append(Explanation.Finding(.info, "cluster objects not checked: no registry in this build (answers below come from the server)"))
        return findings
    }

    /// `web.production.cluster.local` → `web.production.svc.cluster.local.`: the most common
    /// slip, a missing `svc` label.
    static func missingSvcSuggestion(_ name: DomainName, zone: DomainName) -> String? {
        guard let relative = name.labels(relativeTo: zone), (2...3).contains(relative.count) else { return nil }
        let labels = relative.map { String(decoding: $0, as: UTF8.self) }
        guard !labels.contains(where: { $0.lowercased() == "svc" || $0.lowercased() == "pod" }) else { return nil }
        return (labels + ["svc"]).joined(separator: ".") + "." + zone.description
    }

    /// `web-app.production` given where a full name was expected: the FQDN it most likely means.
    static func relativeNameSuggestion(_ name: DomainName, zone: DomainName) -> String? {
        guard !name.isSubdomain(of: zone), (1...2).contains(name.labelCount) else { return nil }
        let labels = name.labels.map { String(decoding: $0, as: UTF8.self) }
        let namespaced = labels.count == 2 ? labels : labels + ["<namespace>"]
        return (namespaced + ["svc"]).joined(separator: ".") + "." + zone.description
    }

    /// Asks each type over UDP, and over TCP when the UDP reply was truncated.
    static func ask(_ resolver: any Resolver, name: DomainName, types: [RecordType]) -> [Explanation.Check] {
        var checks: [Explanation.Check] = []
        for type in types {
            let query = ResolverQuery(name: name, type: type, edns: true)
            var result = resolver.exchange([query], server: 0, transport: .udp, timeout: .seconds(3)).first ?? .timeout
            var transport = QueryTransport.udp
            if case .reply(let reply, _) = result, reply.truncated {
                result = resolver.exchange([query], server: 0, transport: .tcp, timeout: .seconds(3)).first ?? .timeout
                transport = .tcp
            }
            checks.append(Explanation.Check(type: type, result: result, transport: transport))
        }
        return checks
    }
}
