import Foundation
import Testing
@testable import Corefile

/// Keeps Docs/corefile-syntax.md honest: its Corefiles parse, its canonical-form example is what
/// the printer prints, and its quoted error messages are the ones ErrorTests checks.
@Suite struct DocsTests {
    struct Fence {
        let language: String
        let body: String
        /// The last non-empty line of prose before the fence.
        let lead: String
    }

    static func fences() throws -> [Fence] {
        let docs = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Docs/corefile-syntax.md")
        let text = try String(contentsOf: docs, encoding: .utf8)
        var fences: [Fence] = []
        var language: String?
        var body: [String] = []
        var lead = ""
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if let open = language {
                if line == "```" {
                    fences.append(Fence(language: open, body: body.joined(separator: "\n") + "\n", lead: lead))
                    language = nil
                    body = []
                } else {
                    body.append(String(line))
                }
            } else if line.hasPrefix("```") {
                language = String(line.dropFirst(3))
            } else if !line.trimmingCharacters(in: .whitespaces).isEmpty {
                lead = String(line)
            }
        }
        return fences
    }

    static let environment = ["CLUSTER_DOMAIN": "cluster.local", "UPSTREAM": "1.1.1.1", "METRICS_PORT": "9153"]

    @Test("every corefile example in the syntax page parses")
    func examplesParse() throws {
        let corefiles = try Self.fences().filter { $0.language == "corefile" }
        #expect(corefiles.count >= 6)
        for fence in corefiles {
            do {
                _ = try Fixture.parse(fence.body, environment: Self.environment)
            } catch {
                Issue.record("docs example does not parse: \(error)\n\(fence.body)")
            }
        }
    }

    @Test("the canonical-form example is what the printer prints")
    func canonicalExample() throws {
        let fences = try Self.fences()
        let index = try #require(fences.firstIndex { $0.lead == "Canonical form:" })
        #expect(index > 0)
        let input = try Fixture.parse(fences[index - 1].body)
        #expect(input.description == fences[index].body)
    }

    @Test("the error messages the page quotes are the ones the error tests check")
    func quotedErrors() throws {
        let checked = Set(ErrorTests.cases.map(\.message))
        let quoted = try Self.fences()
            .filter { $0.language == "text" }
            .flatMap { $0.body.split(separator: "\n").map(String.init) }
            .filter { $0.hasPrefix("Corefile:") }
        #expect(quoted.count >= 10)
        for line in quoted {
            #expect(checked.contains(line), "docs quote an error no test checks: \(line)")
        }
    }
}
