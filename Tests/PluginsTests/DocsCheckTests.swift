import Corefile
import Foundation
import Plugins
import Testing

/// Keeps the documentation honest: every directive the server implements has its page in
/// Docs/plugins in CoreDNS's README shape, listed in the generated index Docs/plugins.md, and
/// every Corefile example in Docs/ (fenced as ```corefile or ~~~ corefile) parses and configures
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

    /// The Corefile blocks of a markdown file (```corefile or ~~~ corefile, closed by the same
    /// fence), with the line each starts on.
    static func corefileExamples(in text: String) -> [(line: Int, text: String)] {
        var examples: [(Int, String)] = []
        var current: [String]? = nil
        var fence = ""
        var start = 0
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if current == nil, trimmed == "```corefile" || trimmed == "~~~ corefile" || trimmed == "~~~corefile" {
                current = []
                fence = String(trimmed.prefix(3))
                start = index + 2
            } else if current != nil, trimmed == fence {
                examples.append((start, current!.joined(separator: "\n")))
                current = nil
            } else if current != nil {
                current!.append(String(line))
            }
        }
        return examples
    }

    /// The sections every plugin page has, in this order (others, such as Ready, Bugs and See
    /// Also, may come between and after them).
    static let requiredSections = ["Name", "Description", "Syntax", "Examples", "Metrics", "Differences from CoreDNS"]

    @Test("every implemented directive has its page in Docs/plugins, in CoreDNS's README shape",
          arguments: Directives.implemented.keys.sorted())
    func everyDirectiveHasAPage(name: String) {
        let file = Self.root.appendingPathComponent("Docs/plugins/\(name).md")
        let text = (try? String(contentsOf: file, encoding: .utf8)) ?? ""
        #expect(text.hasPrefix("# \(name)\n"), "Docs/plugins/\(name).md is missing or does not start with '# \(name)'")
        let headings = text.split(separator: "\n").filter { $0.hasPrefix("## ") }.map { String($0.dropFirst(3)) }
        let present = headings.filter { Self.requiredSections.contains($0) }
        #expect(present == Self.requiredSections, "Docs/plugins/\(name).md has sections \(headings)")
    }

    @Test("Docs/plugins.md lists every page (run scripts/docs-plugin-index.py)")
    func indexIsCurrent() throws {
        let index = try String(contentsOf: Self.root.appendingPathComponent("Docs/plugins.md"), encoding: .utf8)
        let pages = try FileManager.default.contentsOfDirectory(atPath: Self.root.appendingPathComponent("Docs/plugins").path)
        for page in pages where page.hasSuffix(".md") {
            #expect(index.contains("](plugins/\(page))"), "Docs/plugins.md does not list \(page)")
        }
    }

    /// The modules of this package each `Sources/` folder builds (the folder name, except where
    /// Package.swift names the target otherwise).
    static let moduleOfFolder = ["CSystem": "ClusterDNSCSystem", "AllocationCheck": "clusterdns-alloc-check"]

    /// The package's modules a folder's Swift files import.
    static func importedModules(folder: URL, known: Set<String>) throws -> Set<String> {
        var result: Set<String> = []
        guard let walker = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil) else { return [] }
        let pattern = /^\s*(?:@\w+\s+)*(?:public\s+|package\s+|internal\s+)?import\s+(\w+)/
        for case let file as URL in walker where file.pathExtension == "swift" {
            for line in try String(contentsOf: file, encoding: .utf8).split(separator: "\n") {
                if let match = line.prefixMatch(of: pattern), known.contains(String(match.1)) {
                    result.insert(String(match.1))
                }
            }
        }
        return result
    }

    @Test("the module graph in Docs/architecture.md is the sources' import lines, and points one way")
    func moduleGraphMatchesImports() throws {
        let text = try String(contentsOf: Self.root.appendingPathComponent("Docs/architecture.md"), encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let start = try #require(lines.firstIndex { $0 == "```module-graph" })
        let end = try #require(lines[(start + 1)...].firstIndex { $0 == "```" })
        var drawn: [(module: String, imports: Set<String>)] = []
        for line in lines[(start + 1)..<end] {
            let parts = line.split(separator: "─►", maxSplits: 1, omittingEmptySubsequences: false)
            let module = parts[0].trimmingCharacters(in: .whitespaces)
            let imports = parts.count > 1 ? parts[1].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } : []
            drawn.append((module, Set(imports)))
        }
        let sources = Self.root.appendingPathComponent("Sources")
        let folders = try FileManager.default.contentsOfDirectory(atPath: sources.path).filter { $0 != "CSystem" }.sorted()
        let known = Set(folders.map { Self.moduleOfFolder[$0] ?? $0 } + ["ClusterDNSCSystem"])
        #expect(Set(drawn.map(\.module)) == known.subtracting(["ClusterDNSCSystem"]), "modules drawn: \(drawn.map(\.module))")
        for folder in folders {
            let module = Self.moduleOfFolder[folder] ?? folder
            let actual = try Self.importedModules(folder: sources.appendingPathComponent(folder), known: known.subtracting([module]))
            let line = drawn.first { $0.module == module }
            #expect(line?.imports == actual, "\(module) imports \(actual.sorted()), the graph says \(line?.imports.sorted() ?? [])")
        }
        // One way: every module a line names is drawn further down (or is the C shim).
        for (index, line) in drawn.enumerated() {
            let below = Set(drawn[(index + 1)...].map(\.module) + ["ClusterDNSCSystem"])
            #expect(line.imports.isSubset(of: below), "\(line.module) imports a module drawn above it")
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
