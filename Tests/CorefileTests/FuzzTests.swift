import Testing
@testable import Corefile

/// Random input never traps the parser, and whatever parses survives a print/parse round trip.
///
/// Deterministic (seeded) so a failure reproduces; the seed and input are in the failure message.
/// The libFuzzer entry point in Fuzz/ explores further; this keeps a cheap guard in `swift test`.
@Suite struct FuzzTests {
    /// SplitMix64: tiny, good enough to spread inputs, and reproducible everywhere.
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let vocabulary = [
        "{", "}", "{", "}", "\n", "\n", "\n", " ", " ", "\t", ".", ".:53", "a.org", "b.org:1053", "import", "import",
        "s", "(s)", "(t)", "t", "\"", "\"x y\"", "#", "# c\n", "log", "cache", "30", "10.0.0.0/15", "fd00::/63",
        "{$X}", "{%Y%}", ",", "dns://", "tls://x", "\\", "\\\"", "::/0", "a..b", ":", ":99999", "{}", "\"{\"", "*",
        "\r", "\u{FEFF}", "é", "\u{00A0}",
    ]

    /// Returns whether `text` parsed (then it must round-trip).
    @discardableResult
    func roundTrips(_ text: String, context: String) -> Bool {
        let first: Corefile
        do {
            first = try Fixture.parse(text, environment: ["Y": "v"])
        } catch {
            #expect(!error.description.isEmpty)
            return false
        }
        let printed = first.description
        do {
            let second = try Fixture.parse(printed, environment: ["Y": "v"])
            #expect(second == first, "round trip changed \(context): \(text.debugDescription) → \(printed.debugDescription)")
        } catch {
            Issue.record("printed form of \(context) \(text.debugDescription) does not parse: \(error) — \(printed.debugDescription)")
        }
        return true
    }

    @Test("random bytes never trap", arguments: 0..<4)
    func randomBytes(_ seed: UInt64) {
        var generator = SeededGenerator(state: seed)
        for round in 0..<500 {
            let count = Int.random(in: 0..<160, using: &generator)
            let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            roundTrips(String(decoding: bytes, as: UTF8.self), context: "seed \(seed) round \(round)")
        }
    }

    @Test("mutated token soups never trap, and what parses round-trips", arguments: 0..<8)
    func tokenSoup(_ seed: UInt64) {
        var generator = SeededGenerator(state: 1000 + seed)
        var parsed = 0
        for round in 0..<500 {
            // A valid skeleton, then up to three random insertions, deletions or replacements.
            var pieces: [String] = []
            if Bool.random(using: &generator) { pieces += ["(s)", "{", "\n", "log", "\n", "}", "\n"] }
            for block in 0..<Int.random(in: 1...3, using: &generator) {
                pieces += ["z\(block).org", "{", "\n"]
                for _ in 0..<Int.random(in: 0...4, using: &generator) {
                    pieces.append(["log", "cache", "import", "\"import\"", "x"].randomElement(using: &generator)!)
                    for _ in 0..<Int.random(in: 0...3, using: &generator) {
                        pieces.append(["s", "30", "\"a b\"", "{1}", "{$X}", "{%Y%}", "\"\""].randomElement(using: &generator)!)
                    }
                    pieces.append("\n")
                }
                pieces += ["}", "\n"]
            }
            for _ in 0..<Int.random(in: 0...3, using: &generator) {
                let position = Int.random(in: 0...pieces.count, using: &generator)
                let piece = Self.vocabulary.randomElement(using: &generator)!
                switch Int.random(in: 0..<3, using: &generator) {
                case 0: pieces.insert(piece, at: position)
                case 1 where position < pieces.count: pieces.remove(at: position)
                default: if position < pieces.count { pieces[position] = piece }
                }
            }
            let text = pieces.joined(separator: " ")
            if roundTrips(text, context: "seed \(seed) round \(round)") { parsed += 1 }
        }
        // Some soups must be valid, or the round-trip half of this test checks nothing.
        #expect(parsed > 50)
    }

    @Test("well-formed random Corefiles parse and round-trip", arguments: 0..<4)
    func structured(_ seed: UInt64) {
        var generator = SeededGenerator(state: 5000 + seed)
        let words = ["a", "b.c", "\"x y\"", "\"\"", "{1}", "30", "\"{\"", "\"#\"", "é", "{$X}"]
        func directive(depth: Int, indent: String) -> String {
            var line = indent + ["errors", "cache", "forward", "x", "\"import\""].randomElement(using: &generator)!
            for _ in 0..<Int.random(in: 0..<4, using: &generator) {
                line += " " + words.randomElement(using: &generator)!
            }
            if depth < 3, Int.random(in: 0..<3, using: &generator) == 0 {
                line += " {\n"
                for _ in 0..<Int.random(in: 0..<3, using: &generator) {
                    line += directive(depth: depth + 1, indent: indent + "  ")
                }
                line += indent + "}"
            }
            return line + "\n"
        }
        for round in 0..<200 {
            var text = ""
            for block in 0..<Int.random(in: 1..<4, using: &generator) {
                text += "z\(block).example:\(1000 + block) {\n"
                for _ in 0..<Int.random(in: 0..<5, using: &generator) {
                    text += directive(depth: 0, indent: "  ")
                }
                text += "}\n"
            }
            do {
                _ = try Fixture.parse(text)
            } catch {
                Issue.record("seed \(seed) round \(round): \(error) in \(text.debugDescription)")
            }
            roundTrips(text, context: "seed \(seed) round \(round)")
        }
    }

    @Test("deep nesting is refused, not a stack overflow")
    func deepNesting() {
        let text = ". {\n" + String(repeating: "a {\n", count: 10_000)
        #expect(Fixture.error(text)?.description == "Corefile:33: plugin/a: blocks are nested more than 32 deep")
    }

    @Test("a snippet imported exponentially hits the expansion cap")
    func exponentialImports() {
        var text = "(s0) {\n  log\n}\n"
        for level in 1...16 {
            text += "(s\(level)) {\n  import s\(level - 1)\n  import s\(level - 1)\n}\n"
        }
        text += ". {\n  import s16\n}\n"
        #expect(Fixture.error(text)?.description.hasSuffix("import: more than 10000 imports expanded") == true)
    }
}
