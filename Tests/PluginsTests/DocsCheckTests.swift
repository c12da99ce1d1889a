import Corefile
import Foundation
import Plugins
import Testing

/// Keeps the documentation honest: every directive the server implements has its Corefile
/// section, and every Corefile example in Docs/ (fenced as ```corefile) parses and configures
/// with the same code `clusterdns serve` runs.
@Suite struct DocsCheckTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func markdownFiles() -> [URL] {
        let docs = root.appendingPathComponent("Docs")
        guard let walker = FileManager.default.enumerator(at: docs, includingPropertiesForKeys: nil) else { return [] }
        // corefile-syntax.md shows syntax, invalid examples included; CorefileTests checks it.
        return walker.compactMap { $0 as? URL }
            .filter { $0.pathExtension == "md" && $0.lastPathComponent != "corefile-syntax.md" }
            .sorted { $0.path < $1.path }
    }

    /// The ```corefile blocks of a markdown file, with the line each starts on.
    static func corefileExamples(in text: String) -> [(line: Int, text: String)] {
        var examples: [(Int, String)] = []
        var current: [String]? = nil
        var start = 0
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if current == nil, line.trimmingCharacters(in: .whitespaces) == "```corefile" {
                current = []
                start = index + 2
            } else if current != nil, line.trimmingCharacters(in: .whitespaces) == "```" {
                examples.append((start, current!.joined(separator: "\n")))
                current = nil
            } else if current != nil {
                current!.append(String(line))
            }
        }
        return examples
    }

    @Test("every implemented directive has a section in Docs/corefile.d")
    func everyDirectiveDocumented() {
        let fragments = Self.root.appendingPathComponent("Docs/corefile.d")
        for name in Directives.implemented.keys.sorted() {
            let file = fragments.appendingPathComponent("\(name).md")
            let text = (try? String(contentsOf: file, encoding: .utf8)) ?? ""
            #expect(text.contains("## \(name)"), "Docs/corefile.d/\(name).md is missing or has no '## \(name)' section")
        }
    }

    @Test("Docs/corefile.md holds every fragment of Docs/corefile.d (run scripts/docs-corefile.sh)")
    func assembledReferenceIsCurrent() throws {
        let reference = try String(contentsOf: Self.root.appendingPathComponent("Docs/corefile.md"), encoding: .utf8)
        let fragments = Self.root.appendingPathComponent("Docs/corefile.d")
        for file in try FileManager.default.contentsOfDirectory(atPath: fragments.path) where file.hasSuffix(".md") {
            let text = try String(contentsOf: fragments.appendingPathComponent(file), encoding: .utf8)
            #expect(reference.contains(text), "Docs/corefile.md is missing or has an old copy of corefile.d/\(file)")
        }
    }

    @Test("every Corefile example in Docs/ loads")
    func examplesLoad() throws {
        var checked = 0
        for file in Self.markdownFiles() {
            let text = try String(contentsOf: file, encoding: .utf8)
            for example in Self.corefileExamples(in: text) {
                let name = "\(file.lastPathComponent):\(example.line)"
                do {
                    let corefile = try Corefile.parse(text: example.text, fileName: name,
                                                      baseDirectory: Self.root.appendingPathComponent("Zones").path)
                    _ = try ServerConfiguration.build(corefile, manifestsDirectory: Self.root.appendingPathComponent("Zones/manifests").path,
                                                      baseDirectory: Self.root.appendingPathComponent("Zones").path)
                    checked += 1
                } catch {
                    Issue.record("\(file.path):\(example.line): example does not load: \(error)")
                }
            }
        }
        #expect(checked > 0)
    }
}
