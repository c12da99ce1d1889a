import DNSWire
import Foundation
import Testing
@testable import Simulator

/// explain over the real registry: the example cluster in Zones/manifests, loaded through
/// ClusterRegistry's manifest source (the same objects `serve --manifests Zones/manifests` uses).
@Suite struct ExampleClusterExplainTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Zones/manifests").path

    static func explain(_ name: String) throws -> Explanation {
        let facts = try SnapshotFacts.load(directory: directory)
        return Explainer.explain(try DomainName(name), zone: "cluster.local.", facts: facts, resolver: nil)
    }

    @Test("the registry's namespaces, services and pods reach explain")
    func facts() throws {
        let facts = try SnapshotFacts.load(directory: Self.directory)
        #expect(facts.namespaces.contains("production"))
        #expect(facts.services(in: "production").map(\.name).contains("web-app"))
        let web = try #require(facts.service("web-app", in: "production"))
        #expect(web.clusterIPs.map(\.description) == ["10.96.0.20", "fd00:10:96::20"])
        #expect(web.ports.map(\.proto) == ["TCP", "TCP"])
        #expect(web.selector == ["app": "web-app"])
        #expect(web.endpoints.first?.pod == "web-app-6c9f8d7b5-2xkqp")
        #expect(facts.pods(in: "production").contains { $0.labels["app"] == "postgres" })
    }

    @Test("broken: a selector typo, pointed at the labels the pods really have")
    func broken() throws {
        let e = try Self.explain("broken.production.svc.cluster.local.")
        #expect(e.expected == "10.96.0.25")
        #expect(e.problems.map(\.text) == [
            "no endpoints: the name resolves (cluster IP), but connections to it fail",
            "selector app=brokn-backend matches no pod in 'production': nothing can become an endpoint",
        ])
    }

    @Test("postgres-2: a StatefulSet pod that is not ready is left out of DNS")
    func notReadyPod() throws {
        let e = try Self.explain("postgres-2.postgres-headless.production.svc.cluster.local.")
        #expect(e.expected == "NXDOMAIN")
        #expect(e.problems.first?.details == ["10.244.2.12 pod postgres-2 hostname postgres-2 on worker-3"])
        #expect(try Self.explain("postgres-headless.production.svc.cluster.local.").expected == "10.244.2.10, 10.244.2.11")
    }

    @Test("an ExternalName, a hand-managed service, a named UDP port")
    func others() throws {
        #expect(try Self.explain("database.production.svc.cluster.local.").expected == "CNAME db.example.com.")
        let external = try Self.explain("external-database.production.svc.cluster.local.")
        #expect(external.problems.isEmpty)
        #expect(external.findings.contains { $0.text.hasPrefix("no selector") })
        #expect(try Self.explain("_statsd._udp.api.production.svc.cluster.local.").problems.isEmpty)
        #expect(try Self.explain("_statsd._tcp.api.production.svc.cluster.local.").problems.first?.text == "port 'statsd' is UDP, not tcp: NXDOMAIN")
    }

    @Test("a missing directory is an error naming it")
    func missingDirectory() {
        #expect(throws: SimulatorError.self) { _ = try SnapshotFacts.load(directory: "/nonexistent/manifests") }
    }
}
