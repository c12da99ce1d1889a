import DNSWire
import Testing
@testable import Simulator

/// The worked examples of issue 6, for both libraries: which names are sent, in which order,
/// and where the search stops.
@Suite struct WorkedExampleTests {
    /// A tiny cluster: web-app in production, and api.example.com upstream (IPv4 only).
    static func cluster() -> ScriptedResolver {
        let resolver = ScriptedResolver()
        resolver.on("api.example.com", .a, .address("93.184.216.34"))
        resolver.on("api.example.com", .aaaa, .nodata)
        resolver.on("web-app.production.svc.cluster.local", .a, .address("10.96.0.20"))
        resolver.on("web-app.production.svc.cluster.local", .aaaa, .nodata)
        return resolver
    }

    struct Example: CustomTestStringConvertible, Sendable {
        var name: String
        var kind: LookupKind
        var ndots: Int
        var resolver: StubResolverKind
        var expectedNames: [String]
        var resolved: String
        var testDescription: String { "\(resolver) \(name) \(kind) ndots:\(ndots)" }
    }

    static let examples: [Example] = {
        let searchNames = ["api.example.com.production.svc.cluster.local.", "api.example.com.svc.cluster.local.",
                           "api.example.com.cluster.local.", "api.example.com."]
        var out: [Example] = []
        for resolver in StubResolverKind.allCases {
            out += [
                Example(name: "api.example.com", kind: .family(.a), ndots: 5, resolver: resolver,
                        expectedNames: searchNames, resolved: "api.example.com."),
                Example(name: "api.example.com", kind: .addresses, ndots: 5, resolver: resolver,
                        expectedNames: searchNames.flatMap { [$0, $0] }, resolved: "api.example.com."),
                Example(name: "api.example.com.", kind: .family(.a), ndots: 5, resolver: resolver,
                        expectedNames: ["api.example.com."], resolved: "api.example.com."),
                Example(name: "api.example.com", kind: .family(.a), ndots: 2, resolver: resolver,
                        expectedNames: ["api.example.com."], resolved: "api.example.com."),
                Example(name: "web-app", kind: .addresses, ndots: 5, resolver: resolver,
                        expectedNames: ["web-app.production.svc.cluster.local.", "web-app.production.svc.cluster.local."],
                        resolved: "web-app.production.svc.cluster.local."),
                Example(name: "web-app.production", kind: .family(.a), ndots: 5, resolver: resolver,
                        expectedNames: ["web-app.production.production.svc.cluster.local.",
                                        "web-app.production.svc.cluster.local."],
                        resolved: "web-app.production.svc.cluster.local."),
            ]
        }
        return out
    }()

    @Test("each worked example sends exactly the expected names, in order, and resolves the expected one",
          arguments: examples)
    func workedExample(_ example: Example) {
        let resolver = Self.cluster()
        let report = simulate(example.name, example.kind, resolver: example.resolver, conf: .testPod(ndots: example.ndots),
                              using: resolver)
        #expect(resolver.sent.map(\.name) == example.expectedNames)
        #expect(report.queryCount == example.expectedNames.count)
        #expect(report.resolvedName?.description == example.resolved)
    }

    @Test("api.example.com from production with ndots:5 costs 8 queries for A+AAAA, 7 wasted, A then AAAA per name")
    func apiExampleBoth() {
        let resolver = Self.cluster()
        let report = simulate("api.example.com", using: resolver)
        #expect(resolver.sentSummary == [
            "api.example.com.production.svc.cluster.local. A", "api.example.com.production.svc.cluster.local. AAAA",
            "api.example.com.svc.cluster.local. A", "api.example.com.svc.cluster.local. AAAA",
            "api.example.com.cluster.local. A", "api.example.com.cluster.local. AAAA",
            "api.example.com. A", "api.example.com. AAAA",
        ])
        #expect(report.queryCount == 8)
        #expect(report.wastedCount == 7)
        #expect(report.trace.candidates.map(\.text) == ["api.example.com.production.svc.cluster.local",
                                                         "api.example.com.svc.cluster.local",
                                                         "api.example.com.cluster.local", "api.example.com"])
        // A and AAAA of one name leave from one socket; each name has its own.
        #expect(report.trace.attempts.map(\.socket) == [1, 1, 2, 2, 3, 3, 4, 4])
        guard case .resolved(_, let records) = report.trace.outcome else {
            Issue.record("not resolved")
            return
        }
        #expect(records.map(\.rdata) == [.a(IPv4Address(93, 184, 216, 34))])
    }

    @Test("the case the application wrote is the case sent")
    func caseKept() {
        let resolver = Self.cluster()
        _ = simulate("Web-App", .family(.a), using: resolver)
        #expect(resolver.sent.first?.name == "Web-App.production.svc.cluster.local.")
    }

    @Test("a name with exactly ndots dots is tried as written first")
    func dotsEqualNdots() {
        let resolver = Self.cluster()
        let report = simulate("api.example.com", .family(.a), conf: .testPod(ndots: 2), using: resolver)
        #expect(resolver.sent.first?.name == "api.example.com.")
        #expect(report.queryCount == 1)
        let musl = Self.cluster()
        _ = simulate("a.b.c", .family(.a), resolver: .musl, conf: .testPod(ndots: 2), using: musl)
        #expect(musl.sent.map(\.name) == ["a.b.c."])
    }

    @Test("an IP address is returned without any query")
    func ipLiteral() {
        let resolver = Self.cluster()
        let report = simulate("10.0.0.1", using: resolver)
        #expect(resolver.sent.isEmpty)
        #expect(report.queryCount == 0)
        guard case .notQueried = report.trace.outcome else {
            Issue.record("expected no query")
            return
        }
    }
}
