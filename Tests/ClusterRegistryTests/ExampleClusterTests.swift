import DNSWire
import Testing
@testable import ClusterRegistry

/// The user-facing example cluster in `Zones/manifests` must load cleanly and hold what the
/// README's dig transcript shows.
@Suite("Example cluster")
struct ExampleClusterTests {
    func load() throws -> ClusterSnapshot {
        let source = ManifestDirectorySource(path: exampleManifests)
        let snap = try source.start()
        source.stop()
        return snap.merged
    }

    @Test("loads without errors or warnings; only workload kinds are skipped")
    func loadsCleanly() throws {
        let snap = try load()
        #expect(snap.issues.isEmpty, "\(snap.issues.map(\.description))")
        #expect(snap.unknownKinds == ["Deployment": 1, "StatefulSet": 1])
        #expect(snap.namespaces.map(\.name) == ["default", "kube-system", "production", "staging"])
        #expect(snap.namespaces.allSatisfy { $0.isDeclared })
    }

    @Test("production holds every kind of service the docs show")
    func production() throws {
        let snap = try load()
        #expect(snap.serviceIDs(inNamespace: "production").map { snap[$0].name }
            == ["api", "broken", "database", "external-database", "postgres-headless", "web-app"])

        let web = try #require(snap.serviceID(namespace: "production", name: "web-app"))
        #expect(Array(snap[web].clusterIPs) == [ip("10.96.0.20"), ip("fd00:10:96::20")])
        #expect(snap[web].ports.map(\.name) == ["http", "metrics"])
        #expect(snap.endpoints(of: web).ready.count == 6, "3 pods × 2 families")

        let pg = try #require(snap.serviceID(namespace: "production", name: "postgres-headless"))
        #expect(snap[pg].isHeadless)
        #expect(snap.endpoints(of: pg).ready.compactMap(\.endpoint.hostname) == ["postgres-0", "postgres-1"])
        #expect(snap.endpoints(of: pg).count == 3)

        let db = try #require(snap.service(namespace: "production", name: "database"))
        #expect(db.externalName == (try DomainName("db.example.com.")))

        let ext = try #require(snap.serviceID(namespace: "production", name: "external-database"))
        #expect(snap.endpoints(of: ext).map(\.address) == [ip("192.168.10.5"), ip("192.168.10.6")])

        let api = try #require(snap.service(namespace: "production", name: "api"))
        #expect(api.ports.map { "\($0.name ?? "")/\($0.protocol)" } == ["grpc/TCP", "http/TCP", "statsd/UDP"])

        let broken = try #require(snap.serviceID(namespace: "production", name: "broken"))
        #expect(snap.endpoints(of: broken).count == 0)
    }

    @Test("kubernetes.default and kube-dns.kube-system (both with endpoints) and staging are there, and every pod IP is in the pod range")
    func rest() throws {
        let snap = try load()
        let kubernetes = try #require(snap.serviceID(namespace: "default", name: "kubernetes"))
        #expect(Array(snap[kubernetes].clusterIPs) == [ip("10.96.0.1")])
        #expect(snap.endpoints(of: kubernetes).ready.map(\.address) == [ip("172.18.0.2")])
        let kubeDNS = try #require(snap.serviceID(namespace: "kube-system", name: "kube-dns"))
        #expect(snap.serviceID(clusterIP: ip("10.96.0.10")) == kubeDNS)
        #expect(snap.endpoints(of: kubeDNS).ready.map(\.address) == [ip("10.244.0.2"), ip("10.244.0.3")])
        #expect(snap.serviceIDs(inNamespace: "staging").map { snap[$0].name } == ["cache", "web-app"])
        for pod in snap.pods {
            for address in pod.ips {
                if case .v4(let v4) = address { #expect(v4.rawValue >> 16 == IPv4Address(10, 244, 0, 0).rawValue >> 16) }
            }
        }
        #expect(snap.hasServablePod(withIP: ip("10.244.2.12"), inNamespace: "production"))
    }
}
