import DNSWire

/// The registry-backed reasoning, one kind of name at a time.
struct Reasoning {
    let facts: any ClusterFacts
    let zone: DomainName
    var findings: [Explanation.Finding] = []
    var expected: String? {
        didSet { if expected == "NXDOMAIN" { expectedAnswer = .nxdomain } }
    }
    /// What the answer should be, when it can be compared with a server's reply.
    var expectedAnswer: ExpectedAnswer?

    init(facts: any ClusterFacts, zone: DomainName) {
        self.facts = facts
        self.zone = zone
    }

    mutating func add(_ severity: Explanation.Severity, _ text: String, _ details: [String] = []) {
        findings.append(Explanation.Finding(severity, text, details: details))
    }

    mutating func explain(_ kind: ClusterName, name: DomainName) {
        switch kind {
        case .outsideZone:
            add(.info, "not under \(zone): the cluster registry has nothing to say; the `forward` plugin sends it upstream")
            if let suggestion = Explainer.relativeNameSuggestion(name, zone: zone) {
                add(.info, "explain takes a full name; did you mean `\(suggestion)`?")
            }
        case .apex, .typeLevel, .dnsVersion, .nameServer:
            add(.ok, "always exists while the server serves \(zone)")
        case .invalid:
            add(.problem, "CoreDNS answers NXDOMAIN for any such name, whatever the cluster holds")
            if let suggestion = Explainer.missingSvcSuggestion(name, zone: zone) {
                add(.info, "did you mean `\(suggestion)`?")
            }
            expected = "NXDOMAIN"
        case .namespace(let namespace, _):
            if checkNamespace(namespace) {
                expected = "NODATA (the namespace exists; no records at this name)"
            } else {
                expected = "NXDOMAIN"
            }
        case .service(let service, let namespace):
            guard checkNamespace(namespace), let svc = checkService(service, namespace: namespace) else {
                expected = "NXDOMAIN"
                return
            }
            explainService(svc)
        case .endpoint(let endpoint, let service, let namespace):
            guard checkNamespace(namespace), let svc = checkService(service, namespace: namespace) else {
                expected = "NXDOMAIN"
                return
            }
            explainEndpoint(endpoint, of: svc)
        case .servicePort(let port, let proto, let service, let namespace, let underscored):
            if !underscored {
                add(.info, "SRV names are written _\(port)._\(proto).\(service).\(namespace).svc.\(zone)")
            }
            guard checkNamespace(namespace), let svc = checkService(service, namespace: namespace) else {
                expected = "NXDOMAIN"
                return
            }
            explainPort(port, proto: proto, of: svc)
        case .pod(let label, let address, let namespace):
            guard checkNamespace(namespace) else {
                expected = "NXDOMAIN"
                return
            }
            explainPod(label, address: address, namespace: namespace)
        case .reverse(let address):
            explainReverse(address)
        }
    }

    // MARK: Namespace and service

    /// Adds a problem (with the closest namespaces) when `namespace` does not exist.
    mutating func checkNamespace(_ namespace: String) -> Bool {
        if facts.namespaceExists(namespace) {
            add(.ok, "namespace '\(namespace)' exists")
            return true
        }
        let close = NameSuggestions.closest(to: namespace, among: facts.namespaces)
        add(.problem, "namespace '\(namespace)' does not exist: every name under it is NXDOMAIN",
            close.isEmpty ? ["namespaces: " + Self.list(facts.namespaces)] : ["closest: " + close.joined(separator: ", ")])
        return false
    }

    /// The service, or a problem with suggestions.
    mutating func checkService(_ service: String, namespace: String) -> ServiceFacts? {
        if let svc = facts.service(service, in: namespace) {
            add(.ok, "service '\(service)' exists in '\(namespace)': \(svc.typeDescription)")
            return svc
        }
        var details: [String] = []
        let here = facts.services(in: namespace).map(\.name)
        let close = NameSuggestions.closest(to: service, among: here)
        if !close.isEmpty {
            details.append("closest in '\(namespace)': " + close.joined(separator: ", "))
        } else if !here.isEmpty {
            details.append("services in '\(namespace)': " + Self.list(here))
        } else {
            details.append("'\(namespace)' has no services at all")
        }
        let elsewhere = facts.allServices.filter { $0.name == service.lowercased() && $0.namespace != namespace.lowercased() }
        if !elsewhere.isEmpty {
            details.append("a service '\(service)' exists in: " + elsewhere.map(\.namespace).joined(separator: ", ")
                           + " (write \(service).<namespace> from another namespace)")
        }
        add(.problem, "no service '\(service)' in namespace '\(namespace)': NXDOMAIN", details)
        return nil
    }

    mutating func explainService(_ svc: ServiceFacts) {
        for issue in facts.issues(kind: "Service", namespace: svc.namespace, name: svc.name) {
            add(issue.isError ? .problem : .info, "manifest: \(issue.text)")
        }
        let ready = svc.endpoints.filter { $0.countsAsReady || svc.publishNotReadyAddresses }
        switch (svc.kind, svc.isHeadless) {
        case (.externalName, _):
            let target = svc.externalName ?? "?"
            add(.info, "ExternalName: DNS answers with a CNAME to \(target) (and the target's records, resolved by the server)")
            expected = "CNAME \(target)"
        case (_, true):
            add(.info, "headless: A/AAAA are the ready endpoints' addresses, one record each")
            if ready.isEmpty {
                add(.problem, "no ready endpoint: a headless service with no ready address is NXDOMAIN")
                expected = "NXDOMAIN"
            } else {
                expected = ready.map { $0.address.description }.joined(separator: ", ")
                expectedAnswer = .addresses(ready.map(\.address))
            }
        default:
            let ips = svc.clusterIPs.map(\.description).joined(separator: ", ")
            add(.info, "\(svc.kind.rawValue) service: A/AAAA are its cluster IPs (\(ips.isEmpty ? "none" : ips)), whatever its endpoints")
            expected = ips.isEmpty ? "NODATA" : ips
            expectedAnswer = .addresses(svc.clusterIPs)
        }
        if !svc.ports.isEmpty {
            add(.info, "ports: " + svc.ports.map(Self.describe).joined(separator: ", "))
        }
        if svc.kind != .externalName {
            explainEndpoints(svc)
            explainSelector(svc)
        }
    }

    static func describe(_ port: ServiceFacts.Port) -> String {
        "\(port.name ?? "(unnamed)") \(port.port)/\(port.proto)"
    }

    mutating func explainEndpoints(_ svc: ServiceFacts) {
        if svc.publishNotReadyAddresses {
            add(.info, "publishNotReadyAddresses: true — every endpoint is published, ready or not")
        }
        let readyEndpoints = svc.endpoints.filter { $0.countsAsReady && !$0.terminating }
        let notReady = svc.endpoints.filter { !$0.countsAsReady && !$0.terminating }
        let terminating = svc.endpoints.filter(\.terminating)
        let target = svc.isHeadless ? "" : ": the name resolves (cluster IP), but connections to it fail"
        if svc.endpoints.isEmpty {
            add(.problem, "no endpoints\(target)")
            return
        }
        if !svc.publishNotReadyAddresses && !svc.endpoints.contains(where: { $0.countsAsReady && !$0.terminating }) && !svc.isHeadless {
            add(.problem, "no ready endpoint\(target)")
        }
        if !readyEndpoints.isEmpty {
            add(.ok, "\(readyEndpoints.count) ready \(Advice.plural(readyEndpoints.count, "endpoint"))", readyEndpoints.map(Self.describe))
        }
        if !notReady.isEmpty {
            add(svc.publishNotReadyAddresses ? .info : .problem,
                "\(notReady.count) not ready (failing readiness probes; CoreDNS leaves them out\(svc.isHeadless ? "" : " and kube-proxy sends no traffic"))",
                notReady.map(Self.describe))
        }
        if !terminating.isEmpty {
            add(.info, "\(terminating.count) terminating", terminating.map(Self.describe))
        }
    }

    static func describe(_ endpoint: EndpointFacts) -> String {
        var text = "\(endpoint.address)"
        if let pod = endpoint.pod { text += " pod \(pod)" }
        if let hostname = endpoint.hostname { text += " hostname \(hostname)" }
        if let node = endpoint.node { text += " on \(node)" }
        return text
    }

    mutating func explainSelector(_ svc: ServiceFacts) {
        guard let selector = svc.selector else {
            add(.info, "no selector: endpoints are managed by hand (EndpointSlices or Endpoints you write)")
            return
        }
        let text = Self.labels(selector)
        let pods = facts.pods(in: svc.namespace)
        let matching = pods.filter { $0.matches(selector) }
        if !matching.isEmpty {
            add(.ok, "selector \(text) matches \(matching.count) \(Advice.plural(matching.count, "pod"))",
                matching.map { "\($0.name) (\($0.phase)\($0.ready == false ? ", not ready" : ""))" })
            return
        }
        var details: [String] = []
        var seen: [String: Int] = [:]
        for pod in pods {
            for key in selector.keys.sorted() {
                if let value = pod.labels[key] { seen["\(key)=\(value)", default: 0] += 1 }
            }
        }
        if pods.isEmpty {
            details.append("'\(svc.namespace)' has no pods")
        } else if seen.isEmpty {
            let all = Set(pods.flatMap { $0.labels.map { "\($0.key)=\($0.value)" } }).sorted()
            details.append("pods in '\(svc.namespace)' have labels: " + Self.list(all))
        } else {
            details.append("pods in '\(svc.namespace)' have: " + seen.keys.sorted().map { "\($0) (\(seen[$0] ?? 0) \(Advice.plural(seen[$0] ?? 0, "pod")))" }.joined(separator: ", "))
        }
        add(.problem, "selector \(text) matches no pod in '\(svc.namespace)': nothing can become an endpoint", details)
    }

    static func labels(_ selector: [String: String]) -> String {
        selector.keys.sorted().map { "\($0)=\(selector[$0] ?? "")" }.joined(separator: ",")
    }

    static func list(_ names: [String], limit: Int = 12) -> String {
        names.count <= limit ? names.joined(separator: ", ") : names.prefix(limit).joined(separator: ", ") + ", … (\(names.count) in all)"
    }

    // MARK: Endpoint, port, pod, reverse

    mutating func explainEndpoint(_ endpoint: String, of svc: ServiceFacts) {
        let matches = svc.endpoints.filter { $0.dnsName.lowercased() == endpoint.lowercased() }
        if matches.isEmpty {
            let names = svc.endpoints.map(\.dnsName)
            add(.problem, "service '\(svc.name)' has no endpoint named '\(endpoint)': NXDOMAIN",
                names.isEmpty ? ["it has no endpoints"] : ["endpoint names: " + Self.list(names)
                                                          + " (the hostname, else the IP with dashes)"])
            expected = "NXDOMAIN"
            return
        }
        let published = matches.filter { $0.countsAsReady || svc.publishNotReadyAddresses }
        if published.isEmpty {
            add(.problem, "endpoint '\(endpoint)' exists but is not ready: CoreDNS leaves it out (NXDOMAIN)",
                matches.map(Self.describe))
            expected = "NXDOMAIN"
        } else {
            add(.ok, "endpoint '\(endpoint)' is published", published.map(Self.describe))
            expected = published.map(\.address.description).joined(separator: ", ")
            expectedAnswer = .addresses(published.map(\.address))
        }
    }

    mutating func explainPort(_ port: String, proto: String, of svc: ServiceFacts) {
        if svc.kind == .externalName {
            add(.problem, "ExternalName services have no SRV records: NXDOMAIN")
            expected = "NXDOMAIN"
            return
        }
        let named = svc.ports.filter { $0.name != nil }
        guard let match = named.first(where: { $0.name?.lowercased() == port.lowercased() }) else {
            let list = named.map(Self.describe)
            add(.problem, "service '\(svc.name)' has no port named '\(port)': NXDOMAIN",
                list.isEmpty ? ["it has no named port (unnamed ports have no SRV record)"] : ["named ports: " + list.joined(separator: ", ")])
            expected = "NXDOMAIN"
            return
        }
        guard match.proto.lowercased() == proto.lowercased() else {
            add(.problem, "port '\(port)' is \(match.proto), not \(proto): NXDOMAIN",
                ["write _\(port)._\(match.proto.lowercased())"])
            expected = "NXDOMAIN"
            return
        }
        add(.ok, "port '\(port)' is \(match.port)/\(match.proto)")
        expected = "SRV 0 … \(match.port) \(svc.name).\(svc.namespace).svc.\(zone)"
    }

    mutating func explainPod(_ label: String, address: IPAddress?, namespace: String) {
        guard let address else {
            add(.problem, "'\(label)' is not an IP address with dashes (10-244-1-7): NXDOMAIN")
            expected = "NXDOMAIN"
            return
        }
        let pods = facts.pods(in: namespace).filter { $0.ips.contains(address) }
        if pods.isEmpty {
            add(.info, "no pod in '\(namespace)' has \(address): `pods insecure` answers anyway, `pods verified` answers NXDOMAIN")
        } else {
            add(.ok, "pod \(pods.map(\.name).joined(separator: ", ")) has \(address)")
        }
        expected = "\(address) (with `pods insecure` or `pods verified`; NXDOMAIN with `pods disabled`, the default)"
    }

    mutating func explainReverse(_ address: IPAddress) {
        let services = facts.allServices.filter { $0.clusterIPs.contains(address) }
        if let svc = services.first {
            add(.ok, "\(address) is the cluster IP of service '\(svc.name)' in '\(svc.namespace)'")
            expected = "PTR \(svc.name).\(svc.namespace).svc.\(zone)"
            return
        }
        var names: [String] = []
        for svc in facts.allServices {
            for endpoint in svc.endpoints where endpoint.address == address && endpoint.countsAsReady {
                names.append("\(endpoint.dnsName).\(svc.name).\(svc.namespace).svc.\(zone)")
            }
        }
        if names.isEmpty {
            add(.problem, "\(address) is no cluster IP and no ready endpoint: NXDOMAIN (or the next plugin with `fallthrough`)")
            expected = "NXDOMAIN"
        } else {
            add(.ok, "\(address) is a ready endpoint", names)
            expected = names.map { "PTR \($0)" }.joined(separator: ", ")
        }
    }
}
