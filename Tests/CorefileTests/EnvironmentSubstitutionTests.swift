import Testing
@testable import Corefile

@Suite struct EnvironmentSubstitutionTests {
    static let environment = ["ZONE": "cluster.local", "PORT": "1053", "SPACED": "a b", "EMPTY": "", "BRACE": "{", "WIN": "w"]

    @Test("replaces {$VAR} and {%VAR%} inside a word; unset becomes empty", arguments: [
        ("{$ZONE}", "cluster.local"),
        ("{%ZONE%}", "cluster.local"),
        ("x.{$ZONE}:{$PORT}", "x.cluster.local:1053"),
        ("{$ZONE}{$ZONE}", "cluster.localcluster.local"),
        ("{$UNSET}", ""),
        ("a{$UNSET}b", "ab"),
        ("{$EMPTY}", ""),
        ("{$}", "{$}"),
        ("{$ZONE", "{$ZONE"),
        ("{%WIN%}-{$WIN}", "w-w"),
        ("{$ZONE:default}", ""),
        ("{1}.example", "{1}.example"),
        ("plain", "plain"),
    ])
    func substitution(_ word: String, _ expected: String) {
        #expect(EnvironmentSubstitution.substitute(word, environment: Self.environment) == expected)
    }

    @Test("a value with spaces stays one argument, and a value '{' does not open a block")
    func singleWord() throws {
        let parsed = try Fixture.parse(". {\n  hosts {$SPACED} {$BRACE}\n}\n", environment: Self.environment)
        #expect(parsed.serverBlocks.first?.directives.first?.arguments.map(\.text) == ["a b", "{"])
    }

    @Test("substitutes in keys, directive names, arguments and nested properties")
    func everywhere() throws {
        let environment = ["ZONE": "cluster.local", "PORT": "1053", "PLUGIN": "forward", "UP": "10.0.0.1", "N": "100"]
        let text = "{$ZONE}:{$PORT} {\n  {$PLUGIN} . {$UP} {\n    max_concurrent {$N}\n  }\n}\n"
        let parsed = try Fixture.parse(text, environment: environment)
        let block = try #require(parsed.serverBlocks.first)
        #expect(block.keys.map(\.description) == ["cluster.local.:1053"])
        #expect(block.keys.first?.original == "cluster.local:1053")
        #expect(block.directives.map { Shape($0) } == [Shape("forward", [".", "10.0.0.1"], [Shape("max_concurrent", ["100"])])])
    }

    @Test("an unset variable in an argument leaves an empty argument, as CoreDNS does")
    func emptyArgument() throws {
        let parsed = try Fixture.parse(". {\n  forward . {$UPSTREAM}\n}\n")
        #expect(parsed.serverBlocks.first?.directives.first?.arguments.map(\.text) == [".", ""])
    }

    @Test("the process environment is the default")
    func processEnvironment() {
        let options = CorefileParseOptions()
        #expect(options.environment["PATH"] != nil)
    }
}
