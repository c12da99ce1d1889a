import Corefile
import DNSWire
import Foundation
import Testing
@testable import Plugins

/// Keeps the forward and loop docs honest: their Corefile examples load, and the metric names
/// the forward page lists are exactly the ones the plugin reports.
@Suite("forward and loop docs")
struct ForwardDocsTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let pages = ["Docs/plugins/forward.md", "Docs/plugins/loop.md", "Docs/forward.md"]

    static func text(_ page: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent(page), encoding: .utf8)
    }

    /// The Corefile examples of `text` (```corefile or ~~~ corefile), as DocsCheckTests reads them.
    static func corefileExamples(_ text: String) -> [String] {
        DocsCheckTests.corefileExamples(in: text).map(\.text)
    }

    @Test("every Corefile example on the forward and loop pages loads")
    func examplesLoad() throws {
        var count = 0
        for page in Self.pages {
            for example in Self.corefileExamples(try Self.text(page)) {
                let corefile = try Corefile.parse(text: example, fileName: page, baseDirectory: "/")
                _ = try ServerConfiguration.build(corefile, manifestsDirectory: nil, baseDirectory: "/")
                count += 1
            }
        }
        #expect(count >= 4)  // plugins/forward.md has 3, plugins/loop.md 1
    }

    @Test("the Metrics section of plugins/forward.md lists exactly the metrics forward reports")
    func metricsListed() throws {
        let text = try Self.text("Docs/plugins/forward.md")
        guard let start = text.range(of: "## Metrics"), let end = text.range(of: "## Ready") else {
            Issue.record("no Metrics section")
            return
        }
        let section = text[start.upperBound..<end.lowerBound]
        var documented = Set<String>()
        for line in section.split(separator: "\n") where line.hasPrefix("* `") {
            let name = line.dropFirst(3).prefix { $0 != "{" && $0 != "`" }
            documented.insert(String(name))
        }
        let plugin = ForwardPlugin(config: try ForwardFixture.config("forward . 127.0.0.1"))
        // Per-rcode series appear once an upstream has answered.
        let handler = try #require(plugin.makeHandler(worker: WorkerContext(index: 0, workerCount: 1)) as? ForwardHandler)
        handler.metrics.countResponse(upstream: 0, rcode: .noError, nanoseconds: 1000)
        var report = MetricsReport()
        plugin.reportMetrics(into: &report)
        #expect(documented == Set(report.families.map(\.name)))
    }
}
