import Testing
@testable import Corefile

@Suite struct LexerTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let input: String
        /// Expected words as `text@line`, with `^` prefix when the word starts its line.
        let words: [String]
        var testDescription: String { input.debugDescription }
    }

    static let cases: [Case] = [
        Case(input: "", words: []),
        Case(input: "   \n\t\n", words: []),
        Case(input: "a b\nc", words: ["^a@1", "b@1", "^c@2"]),
        Case(input: "a # comment b\nc", words: ["^a@1", "^c@2"]),
        Case(input: "foo#bar baz\nqux", words: ["^foo@1", "^qux@2"]),
        Case(input: "# only a comment", words: []),
        Case(input: "\"a b\" c", words: ["^a b@1", "c@1"]),
        Case(input: "\"a\nb\" c\nd", words: ["^a\nb@1", "c@2", "^d@3"]),
        Case(input: #""say \"hi\"""#, words: [#"^say "hi"@1"#]),
        Case(input: #""a\nb""#, words: [#"^a\nb@1"#]),
        Case(input: #""a\\b""#, words: [#"^a\\b@1"#]),
        Case(input: #"a\"b"#, words: [#"^a\"b@1"#]),
        Case(input: "a\"b c\"", words: ["^a\"b@1", "c\"@1"]),
        Case(input: "\"\" x", words: ["^@1", "x@1"]),
        Case(input: "\"#not a comment\"", words: ["^#not a comment@1"]),
        Case(input: ".:53 {\n}\n", words: ["^.:53@1", "{@1", "^}@2"]),
        Case(input: "{1}.example {$HOME}", words: ["^{1}.example@1", "{$HOME}@1"]),
        Case(input: "a\r\nb\r\n", words: ["^a@1", "^b@2"]),
        Case(input: "\u{FEFF}a", words: ["^a@1"]),
        Case(input: "a\u{00A0}b\u{2003}c", words: ["^a@1", "b@1", "c@1"]),
        Case(input: "\"abc\"def", words: ["^abc@1", "def@1"]),
    ]

    @Test("splits words on white space, drops comments, reads quotes and counts lines", arguments: cases)
    func words(_ testCase: Case) throws {
        let tokens = try Fixture.tokens(testCase.input)
        let rendered = tokens.map { ($0.startsLine ? "^" : "") + "\($0.text)@\($0.line)" }
        #expect(rendered == testCase.words)
    }

    @Test("marks quoted words so that a quoted brace is not a brace")
    func quotedBrace() throws {
        let tokens = try Fixture.tokens("{ \"{\" }")
        #expect(tokens.map(\.isOpenBrace) == [true, false, false])
        #expect(tokens.map(\.isCloseBrace) == [false, false, true])
    }

    @Test("rejects a quoted string still open at the end of the file, at the line it opened")
    func unterminatedQuote() {
        #expect(throws: CorefileError.self) { try Fixture.tokens("a\n\"b\nc") }
        do {
            _ = try Fixture.tokens("a\n\"b\nc")
        } catch {
            #expect(error.description == "Corefile:2: unterminated quoted string — expected a closing '\"' before the end of the file")
        }
    }
}
