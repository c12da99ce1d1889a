import Testing
@testable import ClusterRegistry

@Suite("Label selectors")
struct LabelSelectorTests {
    static let prod = Labels(["environment": "production", "tier": "backend", "app": "web"])
    static let qaCanary = Labels(["environment": "qa", "canary": "true"])
    static let bare = Labels.empty

    @Test("each requirement form matches as in Kubernetes", arguments: [
        ("environment=production", [true, false, false]),
        ("environment==production", [true, false, false]),
        ("environment!=production", [false, true, true]),
        ("environment in (production, qa)", [true, true, false]),
        ("environment notin (production)", [false, true, true]),
        ("canary", [false, true, false]),
        ("!canary", [true, false, true]),
        ("environment in (production,qa), !canary", [true, false, false]),
        ("tier=backend,app=web", [true, false, false]),
        ("", [true, true, true]),
    ])
    func matches(_ selector: String, _ expected: [Bool]) throws {
        let parsed = try LabelSelector(parsing: selector)
        #expect([Self.prod, Self.qaCanary, Self.bare].map(parsed.matches) == expected)
    }

    @Test("malformed selectors are rejected with the requirement named", arguments: [
        "environment in production", "environment in ()", "env=(x", "a,,b", "bad key=x", "k=v v", "replicas>2", "x/y/z=1",
    ])
    func rejects(_ selector: String) {
        #expect(throws: LabelSelectorError.self) { try LabelSelector(parsing: selector) }
    }

    @Test("the text form round-trips")
    func description() throws {
        let s = try LabelSelector(parsing: " environment in (production, qa) , tier != frontend,!canary ")
        #expect(s.description == "environment in (production,qa),tier!=frontend,!canary")
        #expect(try LabelSelector(parsing: s.description) == s)
    }
}
