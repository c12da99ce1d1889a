import Foundation
import Testing

/// The `clusterdns` transcripts of README.md and Docs/ are what the program prints: each command
/// that needs no running server is run from the repository root, as a reader of a clone would,
/// and its output compared line by line. Only what changes between runs or clones is masked:
/// query times, whitespace (column widths follow the times), and the clone's own path, which the
/// docs write as `/src/clusterdns`.
@Suite struct DocTranscriptTests {
    /// Where the transcripts are. Commands with `--server` (they need a server on a fixed port)
    /// and `serve` (it does not end) are checked elsewhere or not at all, and listed by
    /// `skipped` so the gap is visible.
    static let files = ["README.md", "Docs/simulate.md", "Docs/explain.md"]

    static func runnable(_ t: Transcript) -> Bool {
        t.command.hasPrefix("clusterdns ") && !t.command.contains("--server") && !t.command.hasPrefix("clusterdns serve")
    }

    static func normalise(_ line: String) -> String {
        var text = Transcript.replace(line, #"\d+\.\d+ ms"#, "T ms")
        text = Transcript.replace(text, #""(ms|elapsed_ms)"\s*:\s*[0-9.]+"#, #""$1": T"#)
        return Transcript.collapse(text)
    }

    static let transcripts: [Transcript] = files.flatMap { file in
        do { return try Transcript.all(in: file).filter(runnable) } catch {
            return [Transcript(file: file, line: 0, command: "unreadable: \(error)", output: [])]
        }
    }

    @Test("README's simulate and explain transcripts are there (so the check below cannot pass by finding none)")
    func readmeHasTranscripts() {
        let readme = Self.transcripts.filter { $0.file == "README.md" }.map(\.command)
        #expect(readme.contains { $0.hasPrefix("clusterdns simulate ") })
        #expect(readme.contains { $0.hasPrefix("clusterdns explain ") })
    }

    @Test("each clusterdns transcript in README.md and Docs/ is the command's real output", arguments: transcripts)
    func transcript(_ t: Transcript) throws {
        let words = t.command.split(separator: " ").dropFirst().map(String.init)
        let (_, printed) = try runClusterDNS(words, workingDirectory: Transcript.root)
        let output = printed.replacingOccurrences(of: Transcript.root.standardizedFileURL.path, with: "/src/clusterdns")
        #expect(t.matches(output, normalise: Self.normalise), "\(t)\n--- the command printed:\n\(output)")
    }
}

extension Transcript: CustomTestStringConvertible {
    var testDescription: String { description }
}
