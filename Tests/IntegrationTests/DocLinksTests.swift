import Foundation
import Testing

/// Every relative link in README.md and Docs/ leads to a file of this repository (and, with a
/// `#fragment` into Markdown, to one of its headings), so a reader of a clone can follow it.
@Suite struct DocLinksTests {
    struct Link: CustomTestStringConvertible, Sendable {
        let file: String
        let line: Int
        let target: String
        var testDescription: String { "\(file):\(line): \(target)" }
    }

    static var root: URL { Transcript.root.standardizedFileURL }

    /// README.md and every Markdown file under Docs/, relative to the root.
    static func documents() -> [String] {
        var result = ["README.md"]
        let docs = root.appendingPathComponent("Docs")
        if let walker = FileManager.default.enumerator(atPath: docs.path) {
            for case let path as String in walker where path.hasSuffix(".md") { result.append("Docs/" + path) }
        }
        return result.sorted()
    }

    /// Inline links `[text](target)` outside fenced code blocks, without a scheme.
    static func links(in file: String) throws -> [Link] {
        let text = try String(contentsOf: root.appendingPathComponent(file), encoding: .utf8)
        let pattern = try NSRegularExpression(pattern: #"\]\(([^)\s]+)\)"#)
        var result: [Link] = []
        var fenced = false
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if line.hasPrefix("```") { fenced.toggle() }
            if fenced { continue }
            let string = String(line)
            for match in pattern.matches(in: string, range: NSRange(string.startIndex..., in: string)) {
                guard let range = Range(match.range(at: 1), in: string) else { continue }
                let target = String(string[range])
                if target.contains("://") || target.hasPrefix("mailto:") { continue }
                result.append(Link(file: file, line: number + 1, target: target))
            }
        }
        return result
    }

    static let allLinks: [Link] = documents().flatMap { file in
        do { return try links(in: file) } catch { return [Link(file: file, line: 0, target: "unreadable: \(error)")] }
    }

    /// GitHub's heading anchors: lowercase, spaces to `-`, punctuation other than `-` and `_` dropped.
    static func anchors(of file: URL) throws -> Set<String> {
        let text = try String(contentsOf: file, encoding: .utf8)
        var result: Set<String> = []
        var fenced = false
        for line in text.split(separator: "\n") {
            if line.hasPrefix("```") { fenced.toggle() }
            guard !fenced, line.hasPrefix("#") else { continue }
            let title = line.drop { $0 == "#" }.trimmingCharacters(in: .whitespaces).lowercased()
            let slug = title.compactMap { c -> Character? in
                if c == " " { return "-" }
                if c.isLetter || c.isNumber || c == "-" || c == "_" { return c }
                return nil
            }
            result.insert(String(slug))
        }
        return result
    }

    @Test("the documents have links to check")
    func found() {
        #expect(Self.allLinks.count > 20)
    }

    @Test("each relative link in README.md and Docs/ resolves to a file inside the repository", arguments: allLinks)
    func resolves(_ link: Link) throws {
        let parts = link.target.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)
        let path = String(parts[0])
        let fragment = parts.count > 1 ? String(parts[1]) : nil
        let base = Self.root.appendingPathComponent(link.file).deletingLastPathComponent()
        let target = path.isEmpty ? Self.root.appendingPathComponent(link.file)
            : (path.hasPrefix("/") ? URL(fileURLWithPath: path) : base.appendingPathComponent(path)).standardizedFileURL
        #expect(target.path.hasPrefix(Self.root.path + "/"), "\(link.testDescription) leaves the repository")
        #expect(FileManager.default.fileExists(atPath: target.path), "\(link.testDescription): no such file")
        if let fragment, target.pathExtension == "md", FileManager.default.fileExists(atPath: target.path) {
            #expect(try Self.anchors(of: target).contains(fragment), "\(link.testDescription): no such heading")
        }
    }
}
