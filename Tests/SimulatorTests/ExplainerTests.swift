import DNSWire
import Foundation
import Testing
@testable import Simulator

/// explain's reasoning over a literal cluster: the "common issues" checklist, one issue per test.
@Suite struct ExplainerTests {
    static let zone: DomainName = "cluster.local."

    static func ip(_ text: String) -> IPAddress { IPAddress(text) ?? .v4(IPv4Address(0, 0, 0, 0)) }

    static let cluster = LiteralCluster(
        namespaces: ["default", "production", "staging", "kube-system"],
        services: [
            ServiceFacts(name: "web-app", namespace: "production", clusterIPs: [ip("10.96.0.20")],
                         ports: [.init(name: "http", port: 80), .init(name: "metrics", port: 9090)], selector: ["app": "web-app"],
                         endpoints: [
                             EndpointFacts(address: ip("10.244.1.7"), pod: "web-app-1", node: "node-1"),
                             EndpointFacts(address: ip("10.244.2.8"), ready: false, pod: "web-app-2"),
                             EndpointFacts(address: ip("10.244.3.9"), ready: false, terminating: true, pod: "web-app-3"),
                         ]),
            ServiceFacts(name: "db", namespace: "production", isHeadless: true, ports: [.init(name: "postgres", port: 5432)],
                         selector: ["app": "db"],
                         endpoints: [
                             EndpointFacts(address: ip("10.244.1.20"), hostname: "db-0", pod: "db-0"),
                             EndpointFacts(address: ip("10.244.1.21"), hostname: "db-1", ready: false, pod: "db-1"),
                         ]),
            ServiceFacts(name: "broken", namespace: "production", clusterIPs: [ip("10.96.0.30")], selector: ["app": "brokn"]),
            ServiceFacts(name: "ext", namespace: "production", kind: .externalName, externalName: "example.org."),
            ServiceFacts(name: "lonely", namespace: "production", isHeadless: true, selector: ["app": "nothing"]),
            ServiceFacts(name: "cache", namespace: "staging", clusterIPs: [ip("10.96.1.5")]),
        ],
        pods: [
            PodFacts(name: "web-app-1", namespace: "production", labels: ["app": "web-app"], ips: [ip("10.244.1.7")]),
            PodFacts(name: "web-app-2", namespace: "production", labels: ["app": "web-app"], ips: [ip("10.244.2.8")], ready: false),
            PodFacts(name: "web-app-3", namespace: "production", labels: ["app": "web-app"], ips: [ip("10.244.3.9")]),
            PodFacts(name: "db-0", namespace: "production", labels: ["app": "db"], ips: [ip("10.244.1.20")]),
            PodFacts(name: "db-1", namespace: "production", labels: ["app": "db"], ips: [ip("10.244.1.21")]),
            PodFacts(name: "broken-1", namespace: "production", labels: ["app": "broken"], ips: [ip("10.244.1.30")]),
        ])

    static func explain(_ name: String) -> Explanation {
        Explainer.explain(DomainName(stringLiteral: name), zone: zone, facts: cluster, resolver: nil)
    }

    static func problemTexts(_ e: Explanation) -> [String] { e.problems.map(\.text) }

    @Test("a ClusterIP service: its cluster IP is the answer; ready, not-ready and terminating endpoints with their pods")
    func clusterIPService() {
        let e = Self.explain("web-app.production.svc.cluster.local.")
        #expect(e.expected == "10.96.0.20")
        #expect(e.findings.contains { $0.severity == .ok && $0.text == "1 ready endpoint" && $0.details == ["10.244.1.7 pod web-app-1 on node-1"] })
        #expect(Self.problemTexts(e) == ["1 not ready (failing readiness probes; CoreDNS leaves them out and kube-proxy sends no traffic)"])
        #expect(e.findings.contains { $0.text == "1 terminating" })
        #expect(e.findings.contains { $0.text == "ports: http 80/TCP, metrics 9090/TCP" })
        #expect(e.findings.contains { $0.text == "selector app=web-app matches 3 pods" })
    }

    @Test("a service that does not exist: NXDOMAIN, with the closest names in the namespace")
    func missingService() {
        let e = Self.explain("web-ap.production.svc.cluster.local.")
        #expect(e.expected == "NXDOMAIN")
        let problem = e.problems.first
        #expect(problem?.text == "no service 'web-ap' in namespace 'production': NXDOMAIN")
        #expect(problem?.details == ["closest in 'production': web-app"])
    }

    @Test("a service that exists in another namespace is pointed out")
    func serviceElsewhere() {
        let e = Self.explain("cache.production.svc.cluster.local.")
        #expect(e.problems.first?.details.contains { $0.hasPrefix("a service 'cache' exists in: staging") } == true)
    }

    @Test("a namespace that does not exist: NXDOMAIN, with the closest namespaces")
    func missingNamespace() {
        let e = Self.explain("web-app.prodution.svc.cluster.local.")
        #expect(e.expected == "NXDOMAIN")
        #expect(e.problems.first?.text == "namespace 'prodution' does not exist: every name under it is NXDOMAIN")
        #expect(e.problems.first?.details == ["closest: production"])
    }

    @Test("a selector that matches no pod: which labels the namespace's pods have")
    func selectorMismatch() {
        let e = Self.explain("broken.production.svc.cluster.local.")
        let selector = e.problems.first { $0.text.hasPrefix("selector") }
        #expect(selector?.text == "selector app=brokn matches no pod in 'production': nothing can become an endpoint")
        #expect(selector?.details == ["pods in 'production' have: app=broken (1 pod), app=db (2 pods), app=web-app (3 pods)"])
        #expect(e.problems.contains { $0.text == "no endpoints: the name resolves (cluster IP), but connections to it fail" })
        // DNS still answers with the cluster IP.
        #expect(e.expected == "10.96.0.30")
    }

    @Test("a headless service answers with its ready endpoints; none ready is NXDOMAIN")
    func headless() {
        #expect(Self.explain("db.production.svc.cluster.local.").expected == "10.244.1.20")
        let lonely = Self.explain("lonely.production.svc.cluster.local.")
        #expect(lonely.expected == "NXDOMAIN")
        #expect(Self.problemTexts(lonely).contains("no ready endpoint: a headless service with no ready address is NXDOMAIN"))
    }

    @Test("endpoint names: ready is published, not ready is NXDOMAIN, unknown lists the names")
    func endpoints() {
        #expect(Self.explain("db-0.db.production.svc.cluster.local.").expected == "10.244.1.20")
        let notReady = Self.explain("db-1.db.production.svc.cluster.local.")
        #expect(notReady.expected == "NXDOMAIN")
        #expect(Self.problemTexts(notReady) == ["endpoint 'db-1' exists but is not ready: CoreDNS leaves it out (NXDOMAIN)"])
        let unknown = Self.explain("db-9.db.production.svc.cluster.local.")
        #expect(unknown.problems.first?.details == ["endpoint names: db-0, db-1 (the hostname, else the IP with dashes)"])
        // An endpoint without hostname is named by its dashed IP.
        #expect(Self.explain("10-244-1-7.web-app.production.svc.cluster.local.").expected == "10.244.1.7")
    }

    @Test("SRV names: a known port, an unknown port name (lists the named ports), the wrong protocol")
    func ports() {
        let good = Self.explain("_http._tcp.web-app.production.svc.cluster.local.")
        #expect(good.problems.isEmpty)
        #expect(good.expected == "SRV 0 … 80 web-app.production.svc.cluster.local.")
        let unknown = Self.explain("_grpc._tcp.web-app.production.svc.cluster.local.")
        #expect(unknown.problems.first?.text == "service 'web-app' has no port named 'grpc': NXDOMAIN")
        #expect(unknown.problems.first?.details == ["named ports: http 80/TCP, metrics 9090/TCP"])
        let udp = Self.explain("_http._udp.web-app.production.svc.cluster.local.")
        #expect(udp.problems.first?.text == "port 'http' is TCP, not udp: NXDOMAIN")
    }

    @Test("ExternalName: a CNAME, and no SRV")
    func externalName() {
        #expect(Self.explain("ext.production.svc.cluster.local.").expected == "CNAME example.org.")
        #expect(Self.problemTexts(Self.explain("_http._tcp.ext.production.svc.cluster.local.")) == ["ExternalName services have no SRV records: NXDOMAIN"])
    }

    @Test("reverse names: a cluster IP, a ready endpoint, an unknown address")
    func reverse() {
        #expect(Self.explain("20.0.96.10.in-addr.arpa.").expected == "PTR web-app.production.svc.cluster.local.")
        #expect(Self.explain("20.1.244.10.in-addr.arpa.").expected == "PTR db-0.db.production.svc.cluster.local.")
        #expect(Self.explain("99.9.9.10.in-addr.arpa.").expected == "NXDOMAIN")
    }

    @Test("pod names: the pod with that IP is found")
    func pods() {
        let e = Self.explain("10-244-1-7.production.pod.cluster.local.")
        #expect(e.findings.contains { $0.text == "pod web-app-1 has 10.244.1.7" })
        #expect(Self.explain("web.production.pod.cluster.local.").expected == "NXDOMAIN")
    }

    @Test("a name missing its 'svc' label gets the corrected name")
    func missingSvc() {
        let e = Self.explain("web-app.production.cluster.local.")
        #expect(e.expected == "NXDOMAIN")
        #expect(e.findings.contains { $0.text == "did you mean `web-app.production.svc.cluster.local.`?" })
    }

    @Test("text and JSON output")
    func output() throws {
        let e = Self.explain("broken.production.svc.cluster.local.")
        let text = e.text()
        #expect(text.hasPrefix("broken.production.svc.cluster.local.\n  service 'broken' in namespace 'production'\n"))
        #expect(text.contains("  PROBLEM selector app=brokn matches no pod"))
        #expect(text.contains("  expected answer: 10.96.0.30"))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(e.json().serialized().utf8)) as? [String: Any])
        #expect(json["kind"] as? String == "service")
        #expect((json["findings"] as? [[String: Any]])?.contains { $0["severity"] as? String == "problem" } == true)
    }

    @Test("without a registry only the grammar speaks; with a resolver the real answers are listed")
    func withoutRegistry() {
        let resolver = ScriptedResolver()
        resolver.on("web.production.svc.cluster.local", .a, .address("10.96.0.9"))
        let e = Explainer.explain("web.production.svc.cluster.local.", zone: Self.zone, facts: nil, resolver: resolver)
        #expect(e.findings.map(\.text) == ["cluster objects not checked: no registry in this build (answers below come from the server)"])
        #expect(e.checks.map(\.type) == [.a, .aaaa])
        #expect(e.text().contains("A: NOERROR 10.96.0.9 in 1.00 ms"))
    }

    @Test("the server's answer is compared with the registry's: a different address or a name that should not exist")
    func mismatch() {
        let stale = ScriptedResolver()
        stale.on("web-app.production.svc.cluster.local", .a, .address("10.96.0.99"))
        stale.on("web-app.production.svc.cluster.local", .aaaa, .nodata)
        let e = Explainer.explain("web-app.production.svc.cluster.local.", zone: Self.zone, facts: Self.cluster, resolver: stale)
        #expect(e.problems.last?.text.hasPrefix("the server's answer differs from the registry: A answers 10.96.0.99, the registry has 10.96.0.20") == true)

        let agreeing = ScriptedResolver()
        agreeing.on("web-app.production.svc.cluster.local", .a, .address("10.96.0.20"))
        agreeing.on("web-app.production.svc.cluster.local", .aaaa, .nodata)
        let ok = Explainer.explain("web-app.production.svc.cluster.local.", zone: Self.zone, facts: Self.cluster, resolver: agreeing)
        #expect(!ok.problems.contains { $0.text.hasPrefix("the server's answer differs") })

        let ghost = ScriptedResolver()
        ghost.on("gone.production.svc.cluster.local", .a, .address("10.96.0.50"))
        let g = Explainer.explain("gone.production.svc.cluster.local.", zone: Self.zone, facts: Self.cluster, resolver: ghost)
        #expect(g.problems.last?.text.hasPrefix("the server's answer differs from the registry: A is NOERROR where NXDOMAIN is expected") == true)
    }
}
