import Foundation
import Testing

/// `clusterdns explain` as a user runs it, over the example cluster's manifests.
@Suite(.serialized) struct ExplainCommandTests {
    static let manifests = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Zones/manifests").path

    @Test("a broken selector: the problem, the labels the pods have, exit status 3")
    func broken() throws {
        let (code, output) = try runClusterDNS(["explain", "broken.production.svc.cluster.local", "--manifests", Self.manifests])
        #expect(code == 3)
        #expect(output.contains("broken.production.svc.cluster.local.\n  service 'broken' in namespace 'production'\n"))
        #expect(output.contains("PROBLEM selector app=brokn-backend matches no pod in 'production'"))
        #expect(output.contains("pods in 'production' have: app=api (2 pods), app=postgres (3 pods), app=web-app (3 pods)"))
        #expect(output.contains("expected answer: 10.96.0.25"))
    }

    @Test("with the example cluster by default, the in-process answer is shown and agrees with the registry")
    func inProcessAnswer() throws {
        let (code, output) = try runClusterDNS(["explain", "postgres-2.postgres-headless.production.svc.cluster.local"])
        #expect(code == 3)
        #expect(output.contains("answer from in-process (manifests "))
        #expect(output.contains("A: NXDOMAIN in "))
        #expect(!output.contains("differs from the registry"))
        let (healthy, web) = try runClusterDNS(["explain", "web-app.production.svc.cluster.local"])
        #expect(healthy == 0)
        #expect(web.contains("A: NOERROR 10.96.0.20 in "))
        #expect(web.contains("AAAA: NOERROR fd00:10:96::20 in "))
    }

    @Test("a healthy service: no problem, exit status 0")
    func healthy() throws {
        let (code, output) = try runClusterDNS(["explain", "web-app.production.svc.cluster.local.", "--manifests", Self.manifests])
        #expect(code == 0)
        #expect(output.contains("ok      6 ready endpoints"))
        #expect(!output.contains("PROBLEM"))
    }

    @Test("--server: the registry's view and the real server's answer side by side")
    func withServer() throws {
        let server = try ServerProcess(corefile: "cluster.local:{PORT} {\n    whoami\n}\n")
        let (code, output) = try runClusterDNS(["explain", "web-ap.production.svc.cluster.local", "--manifests", Self.manifests,
                                                "--server", "127.0.0.1:\(server.port)", "--json"])
        #expect(code == 3)
        let start = try #require(output.firstIndex(of: "{"))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(output[start...].utf8)) as? [String: Any])
        #expect(json["kind"] as? String == "service")
        #expect(json["expected"] as? String == "NXDOMAIN")
        #expect(json["source"] as? String == "server 127.0.0.1:\(server.port)")
        let findings = try #require(json["findings"] as? [[String: Any]])
        #expect(findings.contains { ($0["details"] as? [String])?.contains("closest in 'production': web-app") == true })
        let answers = try #require(json["answers"] as? [[String: Any]])
        #expect(answers.map { $0["qtype"] as? String } == ["A", "AAAA"])
        #expect(answers.first?["outcome"] as? String == "nodata")
    }

    @Test("a name without the zone gets the full name it probably means")
    func relativeName() throws {
        let (_, output) = try runClusterDNS(["explain", "web-app.production", "--manifests", Self.manifests])
        #expect(output.contains("did you mean `web-app.production.svc.cluster.local.`?"))
    }

    @Test("simulate and explain are listed in the help")
    func help() throws {
        let (_, output) = try runClusterDNS(["--help"])
        #expect(output.contains("simulate"))
        #expect(output.contains("explain"))
    }
}
