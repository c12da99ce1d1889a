import Corefile
import DNSWire
import Foundation
import Testing
@testable import Plugins

/// Keeps the pages of health, ready, prometheus, log and errors honest: their Corefile examples
/// configure with the code `serve` runs, and every metric family the exposition can emit is
/// documented in Docs/metrics.md.
@Suite struct OpsDocsTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static let pages = ["plugins/health.md", "plugins/ready.md", "plugins/prometheus.md", "plugins/log.md", "plugins/errors.md",
                        "operations.md", "metrics.md"]

    static func text(_ page: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent("Docs").appendingPathComponent(page), encoding: .utf8)
    }

    /// The Corefile examples of `text` (```corefile or ~~~ corefile), as DocsCheckTests reads them.
    static func corefiles(_ text: String) -> [String] {
        DocsCheckTests.corefileExamples(in: text).map(\.text)
    }

    @Test("every Corefile example of the pages configures", arguments: pages)
    func examplesConfigure(page: String) throws {
        for example in Self.corefiles(try Self.text(page)) {
            do {
                _ = try OpsFixture.configure(example)
            } catch {
                Issue.record("Docs/\(page): \(error)\n\(example)")
            }
        }
    }

    @Test("every metric family the exposition emits is in Docs/metrics.md")
    func metricsDocumented() throws {
        let documented = try Self.text("metrics.md")
        let (introspection, engine) = try MetricsExpositionTests().server()
        _ = engine.exchange("www.example.org.", .a)
        let body = String(decoding: MetricsExposition.render(introspection: introspection, build: ControlPlane()), as: UTF8.self)
        let families = body.split(separator: "\n").filter { $0.hasPrefix("# TYPE ") }.map { String($0.split(separator: " ")[2]) }
        // The event loop's own families come from the server (ServerTests/TransportMetricsTests).
        #expect(families.count > 25)
        for family in families where !family.hasPrefix("coredns_cache_") && !family.hasPrefix("coredns_forward_") {
            #expect(documented.contains("`\(family)`"), "Docs/metrics.md does not mention \(family)")
        }
    }
}
