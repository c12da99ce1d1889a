import Testing
@testable import Corefile

/// How lines, braces and keys group into blocks and directives.
@Suite struct StructureTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let input: String
        let keys: [[String]]
        let directives: [[String]]
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "opening brace on the next line", input: ".:53\n{\n  log\n}",
             keys: [[".:53"]], directives: [["log"]]),
        Case(name: "directive on the line of the opening brace", input: ". { whoami\n}",
             keys: [[".:53"]], directives: [["whoami"]]),
        Case(name: "empty server block", input: ". {\n}", keys: [[".:53"]], directives: [[]]),
        Case(name: "empty server block on one line", input: ". { }", keys: [[".:53"]], directives: [[]]),
        Case(name: "several keys separated by spaces", input: "example.org org:1053 {\n whoami\n}",
             keys: [["example.org.:53", "org.:1053"]], directives: [["whoami"]]),
        Case(name: "keys separated by commas", input: "a.org, b.org,c.org {\n whoami\n}",
             keys: [["a.org.:53", "b.org.:53", "c.org.:53"]], directives: [["whoami"]]),
        Case(name: "a trailing comma continues the keys on the next line", input: "a.org,\n  b.org {\n whoami\n}",
             keys: [["a.org.:53", "b.org.:53"]], directives: [["whoami"]]),
        Case(name: "next server block on the line of the closing brace", input: "a.org {\n log\n} b.org {\n log\n}",
             keys: [["a.org.:53"], ["b.org.:53"]], directives: [["log"], ["log"]]),
        Case(name: "empty nested block", input: ". {\n cache 30 {\n }\n}",
             keys: [[".:53"]], directives: [["cache 30 {  }"]]),
        Case(name: "empty nested block on one line", input: ". {\n cache 30 { }\n}",
             keys: [[".:53"]], directives: [["cache 30 {  }"]]),
        Case(name: "nested block with its first property on the brace line", input: ". {\n cache { success 10\n }\n}",
             keys: [[".:53"]], directives: [["cache { success 10 }"]]),
        Case(name: "blocks nested three deep", input: ". {\n a {\n  b x {\n   c y\n  }\n }\n}",
             keys: [[".:53"]], directives: [["a { b x { c y } }"]]),
        Case(name: "'{}' written together is an ordinary word", input: ". {\n template {}\n}",
             keys: [[".:53"]], directives: [["template {}"]]),
        Case(name: "braces inside words are ordinary", input: ". {\n rewrite name regex (.*)\\.x {1}.y\n}",
             keys: [[".:53"]], directives: [["rewrite name regex (.*)\\.x {1}.y"]]),
        Case(name: "a quoted brace is an argument", input: ". {\n echo \"{\" \"}\"\n}",
             keys: [[".:53"]], directives: [["echo { }"]]),
        Case(name: "quoted arguments keep their spaces", input: ". {\n hosts {\n  \"10.0.0.1 a.example\"\n }\n}",
             keys: [[".:53"]], directives: [["hosts { 10.0.0.1 a.example }"]]),
        Case(name: "a multi-line quoted argument ends on a later line", input: ". {\n a \"x\ny\" z\n b\n}",
             keys: [[".:53"]], directives: [["a x\ny z", "b"]]),
        Case(name: "comments anywhere", input: "# head\n. { # after brace\n log # trailing\n # alone\n}\n# tail",
             keys: [[".:53"]], directives: [["log"]]),
        Case(name: "uppercase zone is lowercased", input: "Example.ORG {\n log\n}",
             keys: [["example.org.:53"]], directives: [["log"]]),
        Case(name: "dns:// prefix", input: "dns://example.org:1053 {\n log\n}",
             keys: [["example.org.:1053"]], directives: [["log"]]),
        Case(name: "a quoted 'import' is a directive", input: ". {\n \"import\" x\n}",
             keys: [[".:53"]], directives: [["import x"]]),
    ]

    @Test("groups keys, directives and nested blocks", arguments: cases)
    func structure(_ testCase: Case) throws {
        let corefile = try Fixture.parse(testCase.input)
        #expect(corefile.serverBlocks.map { $0.keys.map(\.description) } == testCase.keys)
        #expect(corefile.serverBlocks.map { $0.directives.map { Shape($0).description } } == testCase.directives)
    }

    @Test("a CIDR key keeps what was written in 'original' for each reverse zone it expands to")
    func cidrOriginal() throws {
        let corefile = try Fixture.parse("10.0.0.0/15:1053 {\n log\n}")
        let keys = try #require(corefile.serverBlocks.first?.keys)
        #expect(keys.map(\.zone) == ["0.10.in-addr.arpa.", "1.10.in-addr.arpa."])
        #expect(keys.map(\.port) == [1053, 1053])
        #expect(keys.map(\.original) == ["10.0.0.0/15:1053", "10.0.0.0/15:1053"])
        #expect(keys.map(\.location) == [SourceLocation(file: "Corefile", line: 1), SourceLocation(file: "Corefile", line: 1)])
    }

    @Test("'zones' lists a block's zones once each, in key order")
    func blockZones() throws {
        let corefile = try Fixture.parse("b.org a.org:1053 b.org:1054 {\n log\n}")
        #expect(corefile.serverBlocks.first?.zones == ["b.org.", "a.org."])
    }

    @Test("the default port comes from the options")
    func defaultPort() throws {
        let corefile = try Corefile.parse(
            text: ". example.org:53 {\n log\n}", fileName: "Corefile", baseDirectory: Fixture.noDirectory,
            options: CorefileParseOptions(environment: [:], defaultPort: 1053))
        #expect(corefile.serverBlocks.first?.keys.map(\.port) == [1053, 53])
    }

    @Test("a hand-built directive makes its whole block properties of itself")
    func handBuiltDirective() {
        let here = SourceLocation(file: "x", line: 1)
        let inner = Directive(name: "c", arguments: [], block: nil, location: here)
        let middle = Directive(name: "b", arguments: [], block: [inner], location: here)
        let outer = Directive(name: "a", arguments: [], block: [middle], location: here)
        #expect(outer.properties.first?.plugin == "a")
        #expect(outer.properties.first?.properties.first?.plugin == "a")
        #expect(outer.properties.first?.properties.first?.isNested == true)
        #expect(!outer.isNested)
    }
}
