import DNSWire
import Foundation
import Testing
@testable import Simulator

/// The worked examples of issue 6 answered in-process by the `kubernetes` plugin over the
/// example cluster (Zones/manifests): the same plugin code the server runs, no network.
///
/// A fixture that fails to load (the default Corefile rejected, a manifest broken) fails every
/// test here with the loader's error; it never turns the suite off.
func exampleClusterResolver() throws -> InProcessResolver {
    let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Zones/manifests").path
    return try InProcessResolver(corefile: InProcessResolver.defaultCorefile(zone: "cluster.local"), fileName: "Corefile",
                                 baseDirectory: FileManager.default.currentDirectoryPath, manifestsDirectory: directory)
}

@Suite
struct ExampleClusterSimulationTests {
    static func run(_ name: String, _ kind: LookupKind = .addresses, ndots: Int = 5,
                    resolver kindOfResolver: StubResolverKind = .glibc) throws -> SimulationReport {
        let answers = try exampleClusterResolver()
        var conf = ResolvConf.pod(namespace: "production", zone: "cluster.local")
        conf.ndots = ndots
        return Simulation.run(SimulationRequest(name: name, kind: kind, resolverKind: kindOfResolver, conf: conf,
                                                namespace: "production"), resolver: answers)
    }

    @Test("api.example.com from production, ndots:5: four names, the three cluster ones NXDOMAIN; eight queries with AAAA")
    func apiExample() throws {
        for resolverKind in StubResolverKind.allCases {
            let a = try Self.run("api.example.com", .family(.a), resolver: resolverKind)
            #expect(a.trace.candidates.map(\.text) == ["api.example.com.production.svc.cluster.local", "api.example.com.svc.cluster.local",
                                                       "api.example.com.cluster.local", "api.example.com"])
            #expect(a.trace.attempts.prefix(3).allSatisfy { $0.reply?.rcode == .nameError })
            #expect(a.queryCount == 4)
            #expect(try Self.run("api.example.com", resolver: resolverKind).queryCount == 8)
        }
    }

    @Test("api.example.com. with a trailing dot, or with ndots:2: one name")
    func oneName() throws {
        #expect(try Self.run("api.example.com.", .family(.a)).queryCount == 1)
        #expect(try Self.run("api.example.com", .family(.a), ndots: 2).queryCount == 1)
    }

    @Test("web-app resolves on the first query, to its cluster IPs")
    func webApp() throws {
        let report = try Self.run("web-app")
        #expect(report.resolvedName?.description == "web-app.production.svc.cluster.local.")
        #expect(report.queryCount == 2)
        guard case .resolved(_, let records) = report.trace.outcome else {
            Issue.record("not resolved")
            return
        }
        #expect(Set(records.map(\.rdata.presentation)) == ["10.96.0.20", "fd00:10:96::20"])
    }

    @Test("web-app.production resolves on the second name")
    func webAppProduction() throws {
        let report = try Self.run("web-app.production", .family(.a))
        #expect(report.trace.candidates.count == 2)
        #expect(report.resolvedName?.description == "web-app.production.svc.cluster.local.")
    }

    @Test("a ready StatefulSet pod resolves on the first name; the not-ready one is NXDOMAIN on every cluster name")
    func statefulSetPods() throws {
        let ready = try Self.run("postgres-1.postgres-headless", .family(.a))
        #expect(ready.resolvedName?.description == "postgres-1.postgres-headless.production.svc.cluster.local.")
        #expect(ready.queryCount == 1)
        let notReady = try Self.run("postgres-2.postgres-headless", .family(.a))
        #expect(notReady.queryCount == 4)
        #expect(notReady.trace.attempts.prefix(3).allSatisfy { $0.reply?.rcode == .nameError })
        // Only the name as written is left, outside the cluster zone, with no top-level domain:
        // assumed NXDOMAIN upstream, so the lookup fails.
        #expect(notReady.trace.attempts.last?.reply?.guess == .nxdomain)
        #expect(notReady.trace.outcome == .failed(.eaiNoName))
    }
}
