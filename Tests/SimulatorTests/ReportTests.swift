import DNSWire
import Foundation
import Testing
@testable import Simulator

/// The human report against golden files in Tests/Fixtures/simulator/golden, and the `--json`
/// schema. Run with `UPDATE_GOLDEN=1` to rewrite the golden files after a deliberate change.
@Suite struct ReportTests {
    static let goldenDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/simulator/golden")

    static func checkGolden(_ text: String, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let url = goldenDirectory.appendingPathComponent(name)
        if ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] == "1" {
            try FileManager.default.createDirectory(at: goldenDirectory, withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        let golden = try String(contentsOf: url, encoding: .utf8)
        #expect(text == golden, "differs from \(name); rerun with UPDATE_GOLDEN=1 if the change is deliberate",
                sourceLocation: sourceLocation)
    }

    static func apiExample(_ kind: StubResolverKind = .glibc) -> SimulationReport {
        simulate("api.example.com", resolver: kind, using: WorkedExampleTests.cluster())
    }

    @Test("glibc api.example.com from production: golden human report")
    func goldenGlibc() throws {
        try Self.checkGolden(Self.apiExample().text(), "glibc-api-example-com.txt")
    }

    @Test("musl NODATA on a search domain: golden human report")
    func goldenMuslNodata() throws {
        let report = simulate("db", resolver: .musl, using: StoppingRuleTests.server(firstName: .nodata))
        try Self.checkGolden(report.text(), "musl-nodata-stops.txt")
    }

    @Test("glibc SERVFAIL then timeout with two nameservers: golden human report with server column and notes")
    func goldenFailures() throws {
        let resolver = ScriptedResolver()
        resolver.on("db.production.svc.cluster.local", nil, .servfail)
        resolver.on("db.svc.cluster.local", nil, server: 0, .timeout)
        resolver.on("db.svc.cluster.local", .a, server: 1, .address("10.0.0.4"))
        resolver.on("db.svc.cluster.local", .aaaa, server: 1, .nodata)
        var conf = ResolvConf.testPod()
        conf.nameservers = ["10.96.0.10", "10.96.0.11"]
        conf.attempts = 1
        let report = simulate("db", conf: conf, using: resolver)
        try Self.checkGolden(report.text(), "glibc-servfail-timeout.txt")
    }

    @Test("the report says what the stub does: numbered queries, used replies, summary and advice")
    func textContents() {
        let text = Self.apiExample().text()
        #expect(text.hasPrefix("getaddrinfo(\"api.example.com\", AF_UNSPEC) as glibc 2.36 sends it\n"))
        #expect(text.contains("resolved: api.example.com. (name 4 of 4 tried)"))
        #expect(text.contains("queries sent: 8, wasted: 7"))
        #expect(text.contains("(trailing dot): 2 queries instead of 8."))
        #expect(text.contains("`options ndots:2`"))
        #expect(text.contains("autopath @kubernetes"))
        #expect(text.contains("has no AAAA record"))
    }

    @Test("--json: every documented key, in order, with the per-query fields")
    func jsonSchema() throws {
        let json = Self.apiExample().json()
        guard case .object(let members) = json else {
            Issue.record("not an object")
            return
        }
        #expect(members.map(\.0) == [
            "name", "type", "resolver", "ndots", "search", "timeout", "attempts_per_server", "options", "nameservers",
            "source", "attempts", "resolved_name", "rcode", "error", "answers", "names_tried", "query_count",
            "wasted_count", "elapsed_ms", "assumed_upstream", "notes", "warnings", "advice",
        ])
        let text = json.serialized()
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(parsed["name"] as? String == "api.example.com")
        #expect(parsed["ndots"] as? Int == 5)
        #expect(parsed["search"] as? [String] == ["production.svc.cluster.local", "svc.cluster.local", "cluster.local"])
        #expect(parsed["resolved_name"] as? String == "api.example.com.")
        #expect(parsed["rcode"] as? String == "NOERROR")
        #expect(parsed["query_count"] as? Int == 8)
        #expect(parsed["wasted_count"] as? Int == 7)
        #expect(parsed["answers"] as? [String] == ["93.184.216.34"])
        let attempts = try #require(parsed["attempts"] as? [[String: Any]])
        #expect(attempts.count == 8)
        #expect(attempts[0]["qname"] as? String == "api.example.com.production.svc.cluster.local.")
        #expect(attempts[0]["qtype"] as? String == "A")
        #expect(attempts[0]["rcode"] as? String == "NXDOMAIN")
        #expect(attempts[0]["answers"] as? [String] == [])
        #expect(attempts[0]["ms"] as? Double == 1)
        #expect(attempts[6]["answers"] as? [String] == ["93.184.216.34"])
        #expect(attempts[6]["used"] as? Bool == true)
        #expect(attempts[7]["outcome"] as? String == "nodata")
        let advice = try #require(parsed["advice"] as? [[String: Any]])
        #expect(advice.map { $0["kind"] as? String } == ["fqdn", "ndots", "autopath", "aaaa-nodata"])
        #expect(advice[1]["ndots"] as? Int == 2)
    }

    @Test("--json of a failed lookup: null resolved_name, the error, the last rcode")
    func jsonFailure() throws {
        let report = simulate("db", resolver: .musl, using: StoppingRuleTests.server(firstName: .nodata))
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(report.json().serialized().utf8)) as? [String: Any])
        #expect(parsed["resolved_name"] is NSNull)
        #expect(parsed["error"] as? String == "EAI_NONAME")
        #expect(parsed["rcode"] as? String == "NOERROR")
        #expect(parsed["query_count"] as? Int == 2)
    }

    @Test("JSON strings are escaped")
    func jsonEscaping() {
        #expect(JSONValue.string("a\"b\\c\n\u{1}").serialized() == "\"a\\\"b\\\\c\\n\\u0001\"")
        #expect(JSONValue.object([("k", .array([]))]).serialized(pretty: false) == "{\"k\":[]}")
        #expect(JSONValue.double(0.1234567).serialized() == "0.123")
    }

    @Test("durations print with stable rounding")
    func durations() {
        #expect(SimulationReport.formatDuration(.microseconds(42)) == "0.04 ms")
        #expect(SimulationReport.formatDuration(.milliseconds(12)) == "12.0 ms")
        #expect(SimulationReport.formatDuration(.milliseconds(5001)) == "5.00 s")
    }
}
