import Foundation
import Testing

/// Shell transcripts in the repository's Markdown: a `$ command` line inside a fenced block (``` or ~~~) and
/// the lines after it, up to the next `$ ` line or the end of the block, as its output.
struct Transcript: CustomStringConvertible, Sendable {
    let file: String
    let line: Int
    let command: String
    let output: [String]

    var description: String { "\(file):\(line): $ \(command)" }

    /// The repository root, found from this file's path.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// Every transcript of `path` (relative to the root).
    static func all(in path: String) throws -> [Transcript] {
        let text = try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
        var result: [Transcript] = []
        var inBlock = false
        var current: (line: Int, command: String, output: [String])?
        func flush() {
            guard let c = current else { return }
            var output = c.output
            while output.last?.trimmingCharacters(in: .whitespaces).isEmpty == true { output.removeLast() }
            result.append(Transcript(file: path, line: c.line, command: c.command, output: output))
            current = nil
        }
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if line.hasPrefix("```") || line.hasPrefix("~~~") {
                if inBlock { flush() }
                inBlock.toggle()
                continue
            }
            guard inBlock else { continue }
            if line.hasPrefix("$ ") {
                flush()
                current = (number + 1, String(line.dropFirst(2)), [])
            } else if current != nil {
                current?.output.append(String(line))
            }
        }
        return result
    }

    /// True when `actual` is this transcript's output: lines compared after `normalise`, a line
    /// `...` standing for any number of lines, and (with `anyOrder`) as multisets.
    /// With `dropEmpty`, lines that normalise to nothing are left out on both sides (for
    /// transcripts "trimmed of blank lines").
    func matches(_ actual: String, normalise: (String) -> String, anyOrder: Bool = false, dropEmpty: Bool = false) -> Bool {
        var have = actual.split(separator: "\n", omittingEmptySubsequences: false).map { normalise(String($0)) }
        while have.last?.isEmpty == true { have.removeLast() }
        var want = output.map(normalise)
        if dropEmpty {
            have.removeAll { $0.isEmpty }
            want.removeAll { $0.isEmpty }
        }
        if anyOrder { return have.sorted() == want.sorted() }
        return Self.match(want[...], have[...])
    }

    private static func match(_ want: ArraySlice<String>, _ have: ArraySlice<String>) -> Bool {
        guard let first = want.first else { return have.isEmpty }
        if first == "..." {
            var rest = have
            while true {
                if match(want.dropFirst(), rest) { return true }
                guard !rest.isEmpty else { return false }
                rest = rest.dropFirst()
            }
        }
        guard let line = have.first, line == first else { return false }
        return match(want.dropFirst(), have.dropFirst())
    }

    /// Whitespace runs become one space; leading and trailing space goes.
    static func collapse(_ line: String) -> String {
        line.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
    }

    /// Replaces every match of `pattern` with `template`.
    static func replace(_ text: String, _ pattern: String, _ template: String) -> String {
        let regex: NSRegularExpression
        do { regex = try NSRegularExpression(pattern: pattern) } catch {
            Issue.record("bad pattern \(pattern): \(error)")
            return text
        }
        return regex.stringByReplacingMatches(in: text, range: NSRange(text.startIndex..., in: text), withTemplate: template)
    }
}
