import Foundation
import Testing

/// Docs/reliability.md and Docs/security.md cite tests and fuzz corpora as their evidence; the
/// evidence they name must exist, so a renamed suite or a new seed shows up as a stale page.
@Suite struct ReliabilityDocsTests {
    static var root: URL { Transcript.root.standardizedFileURL }
    static let pages = ["Docs/reliability.md", "Docs/security.md"]

    static func text(_ path: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
    }

    /// The suite types declared under Tests/ (`struct FooTests`, `final class FooTests`, …).
    static func suites() throws -> Set<String> {
        let pattern = try NSRegularExpression(pattern: #"(?:struct|class|enum) (\w+Tests)\b"#)
        var found: Set<String> = []
        let tests = root.appendingPathComponent("Tests")
        guard let walker = FileManager.default.enumerator(atPath: tests.path) else { return found }
        for case let path as String in walker where path.hasSuffix(".swift") {
            let source = try String(contentsOf: tests.appendingPathComponent(path), encoding: .utf8)
            for match in pattern.matches(in: source, range: NSRange(source.startIndex..., in: source)) {
                if let range = Range(match.range(at: 1), in: source) { found.insert(String(source[range])) }
            }
        }
        return found
    }

    @Test("every test suite the pages cite (`…Tests`) is declared under Tests/")
    func citedSuitesExist() throws {
        let suites = try Self.suites()
        let cited = try NSRegularExpression(pattern: #"`(\w+Tests)`"#)
        var checked = 0
        for page in Self.pages {
            let text = try Self.text(page)
            for match in cited.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                guard let range = Range(match.range(at: 1), in: text) else { continue }
                let name = String(text[range])
                checked += 1
                #expect(suites.contains(name), "\(page) cites `\(name)`, which no file under Tests/ declares")
            }
        }
        #expect(checked >= 10, "only \(checked) suites cited: did the pattern stop matching?")
    }

    @Test("the fuzzing table's seed counts are the committed corpora's, and each target's entry point exists")
    func fuzzTable() throws {
        let text = try Self.text("Docs/reliability.md")
        // A row: | `target` | `Fuzz/NameFuzzer.swift`: … | `Fuzz/dir/` (N…) | …
        let row = try NSRegularExpression(pattern: #"^\| `(\w+)` \| `(Fuzz/\w+Fuzzer\.swift)`[^|]*\| `(Fuzz/[\w-]+)/` \((\d+)"#,
                                          options: .anchorsMatchLines)
        var targets: [String] = []
        for match in row.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
            guard let target = Range(match.range(at: 1), in: text), let source = Range(match.range(at: 2), in: text),
                  let corpus = Range(match.range(at: 3), in: text), let count = Range(match.range(at: 4), in: text)
            else { continue }
            targets.append(String(text[target]))
            let entry = Self.root.appendingPathComponent(String(text[source])).path
            #expect(FileManager.default.fileExists(atPath: entry), "\(text[target]): \(text[source]) is missing")
            let seeds = try FileManager.default.contentsOfDirectory(atPath: Self.root.appendingPathComponent(String(text[corpus])).path)
                .filter { !$0.hasPrefix(".") }
            #expect(seeds.count == Int(text[count]), "\(text[target]): the table says \(text[count]) seeds, \(text[corpus]) holds \(seeds.count)")
        }
        // The four targets Fuzz/run.sh builds.
        #expect(targets.sorted() == ["apistream", "corefile", "manifest", "message"], "\(targets)")
    }

    @Test("the pages name no path of a build machine")
    func noMachinePaths() throws {
        for page in Self.pages {
            let text = try Self.text(page)
            for needle in ["/work/", "/home/", "/tmp/", "../shared"] {
                #expect(!text.contains(needle), "\(page) mentions \(needle)")
            }
        }
    }
}
