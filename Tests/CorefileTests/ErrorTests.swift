import Testing
@testable import Corefile

/// Every rejected input, with the exact message a person sees (file:line first).
@Suite struct ErrorTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let input: String
        let message: String
        var environment: [String: String] = [:]
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        // Empty input.
        Case(name: "empty file", input: "",
             message: "Corefile:1: the Corefile is empty — expected at least one server block such as '.:53 { … }'"),
        Case(name: "only comments", input: "# nothing\n\n# here\n",
             message: "Corefile:1: the Corefile is empty — expected at least one server block such as '.:53 { … }'"),
        Case(name: "only snippets", input: "(a) {\n log\n}\n",
             message: "Corefile:1: the Corefile defines only snippets — expected at least one server block such as '.:53 { … }'"),

        // Braces.
        Case(name: "stray closing brace at top level", input: ". {\n log\n}\n}\n",
             message: "Corefile:4: unexpected '}' — no block is open here"),
        Case(name: "opening brace without keys", input: "{\n log\n}\n",
             message: "Corefile:1: unexpected '{' — expected server block keys such as '.:53' before it"),
        Case(name: "end of file inside a server block", input: ".:53 {\n errors\n log\n",
             message: "Corefile:1: the '{' opened here is not closed before the end of the file — expected '}'"),
        Case(name: "end of file inside a nested block", input: ".:53 {\n errors\n kubernetes cluster.local {\n  pods insecure\n",
             message: "Corefile:3: plugin/kubernetes: the '{' opened here is not closed before the end of the file — expected '}'"),
        Case(name: "closing brace after arguments", input: ".:53 {\n forward . 1.1.1.1 }\n",
             message: "Corefile:2: plugin/forward: unexpected '}' at the end of a line — '}' must start its own line"),
        Case(name: "one-line server block", input: ". { whoami }\n",
             message: "Corefile:1: plugin/whoami: unexpected '}' at the end of a line — '}' must start its own line"),
        Case(name: "block opened on the next line", input: ".:53 {\n cache 30\n {\n  success 10\n }\n}\n",
             message: "Corefile:3: unexpected '{' — expected a directive (a block opens at the end of its directive's line)"),
        Case(name: "opening brace inside a nested block", input: ".:53 {\n kubernetes {\n  {\n }\n}\n",
             message: "Corefile:3: plugin/kubernetes: unexpected '{' — expected a directive (a block opens at the end of its directive's line)"),
        Case(name: "words after a nested block's closing brace", input: ".:53 {\n cache {\n  success 10\n } 30\n}\n",
             message: "Corefile:4: plugin/cache: unexpected '30' after '}' — expected a new line"),
        Case(name: "two closing braces on one line", input: ".:53 {\n cache {\n  success 10\n } }\n",
             message: "Corefile:4: plugin/cache: unexpected '}' after '}' — expected a new line"),
        Case(name: "a missing closing brace is reported at the outermost open block", input: ".:53 {\n kubernetes cluster.local {\n  pods insecure\n}\n",
             message: "Corefile:1: the '{' opened here is not closed before the end of the file — expected '}'"),
        Case(name: "'}}' is one word, not two braces", input: ".:53 {\n cache {\n  success 10\n }}\n",
             message: "Corefile:2: plugin/cache: the '{' opened here is not closed before the end of the file — expected '}'"),
        Case(name: "unterminated quote", input: ".:53 {\n hosts \"a b\n}\n",
             message: "Corefile:2: unterminated quoted string — expected a closing '\"' before the end of the file"),

        // Keys.
        Case(name: "key without a block", input: ".:53\n",
             message: "Corefile:1: server block '.:53' has no block — expected '{' after its keys"),
        Case(name: "key followed by directives without braces", input: ".:53\nerrors\nlog\n",
             message: "Corefile:1: server block '.:53' has no block — expected '{' after its keys, found 'errors' on line 2"),
        Case(name: "second key on the next line without a comma", input: "a.org\nb.org {\n log\n}\n",
             message: "Corefile:1: server block 'a.org' has no block — expected '{' after its keys, found 'b.org' on line 2"),
        Case(name: "comma before the brace", input: "a.org, {\n log\n}\n",
             message: "Corefile:1: expected another key after ',' but found '{' — check for an extra comma"),
        Case(name: "comma at the end of the file", input: "a.org,\n",
             message: "Corefile:1: unexpected end of file — expected another key after ','"),
        Case(name: "closing brace among keys", input: "a.org } {\n}\n",
             message: "Corefile:1: unexpected '}' among server block keys"),
        Case(name: "tls scheme", input: "tls://.:853 {\n log\n}\n",
             message: "Corefile:1: server block key 'tls://.:853': tls:// (DNS over TLS) is not supported — ClusterDNS serves plain DNS; use dns:// or no scheme"),
        Case(name: "https scheme", input: "https://. {\n log\n}\n",
             message: "Corefile:1: server block key 'https://.': https:// (DNS over HTTPS) is not supported — ClusterDNS serves plain DNS; use dns:// or no scheme"),
        Case(name: "grpc scheme on the second key", input: ". grpc://example.org {\n log\n}\n",
             message: "Corefile:1: server block key 'grpc://example.org': grpc:// (DNS over gRPC) is not supported — ClusterDNS serves plain DNS; use dns:// or no scheme"),
        Case(name: "quic scheme", input: "quic://. {\n log\n}\n",
             message: "Corefile:1: server block key 'quic://.': quic:// (DNS over QUIC) is not supported — ClusterDNS serves plain DNS; use dns:// or no scheme"),
        Case(name: "unknown scheme", input: "udp://. {\n log\n}\n",
             message: "Corefile:1: server block key 'udp://.': unknown scheme 'udp://' — expected dns:// or no scheme"),
        Case(name: "port out of range", input: ".:65536 {\n log\n}\n",
             message: "Corefile:1: server block key '.:65536': port 65536 is out of range — expected 1-65535"),
        Case(name: "port zero", input: ".:0 {\n log\n}\n",
             message: "Corefile:1: server block key '.:0': port 0 is out of range — expected 1-65535"),
        Case(name: "negative port", input: ".:-1 {\n log\n}\n",
             message: "Corefile:1: server block key '.:-1': port -1 is out of range — expected 1-65535"),
        Case(name: "port that is not a number", input: "example.org:dns {\n log\n}\n",
             message: "Corefile:1: server block key 'example.org:dns': 'dns' is not a port number — expected [dns://]ZONE[:PORT]"),
        Case(name: "nothing after the colon", input: "example.org: {\n log\n}\n",
             message: "Corefile:1: server block key 'example.org:': expected a port after the last ':'"),
        Case(name: "empty zone", input: ":53 {\n log\n}\n",
             message: "Corefile:1: server block key ':53': '' is not a valid zone: the zone is empty"),
        Case(name: "empty label", input: "example..org {\n log\n}\n",
             message: "Corefile:1: server block key 'example..org': 'example..org' is not a valid zone: it has an empty label (two dots in a row, or a leading dot)"),
        Case(name: "label longer than 63 octets", input: "\(String(repeating: "x", count: 64)).org {\n log\n}\n",
             message: "Corefile:1: server block key '\(String(repeating: "x", count: 64)).org': '\(String(repeating: "x", count: 64)).org' is not a valid zone: a label is 64 octets long (at most 63)"),
        Case(name: "name longer than 255 octets", input: "\(Array(repeating: String(repeating: "a", count: 63), count: 4).joined(separator: ".")) {\n log\n}\n",
             message: "Corefile:1: server block key '\(Array(repeating: String(repeating: "a", count: 63), count: 4).joined(separator: "."))': '\(Array(repeating: String(repeating: "a", count: 63), count: 4).joined(separator: "."))' is not a valid zone: it is 257 octets long in wire form (at most 255)"),
        Case(name: "IPv6 CIDR starting with a colon", input: "::/0 {\n log\n}\n",
             message: "Corefile:1: server block key '::/0': invalid CIDR '::/0'"),
        Case(name: "key that substitutes to nothing", input: "{$ZONE} {\n log\n}\n",
             message: "Corefile:1: server block has no keys ('{$ZONE}' is empty after environment substitution) — expected a zone such as '.:53'"),
        Case(name: "directive name that substitutes to nothing", input: ". {\n {$PLUGIN} x\n}\n",
             message: "Corefile:2: empty directive name ('{$PLUGIN}' is empty after environment substitution) — expected a directive"),

        // Conflicts.
        Case(name: "same zone and port in two blocks", input: "example.org {\n log\n}\nexample.org:53 {\n errors\n}\n",
             message: "Corefile:4: cannot serve dns://example.org.:53 — it is already defined at Corefile:1"),
        Case(name: "same zone twice in one block", input: ". .:53 {\n log\n}\n",
             message: "Corefile:1: cannot serve dns://.:53 — it is already defined at Corefile:1"),
        Case(name: "CIDR overlapping a written reverse zone", input: "1.10.in-addr.arpa {\n log\n}\n10.0.0.0/15 {\n log\n}\n",
             message: "Corefile:4: cannot serve dns://1.10.in-addr.arpa.:53 — it is already defined at Corefile:1"),

        // Snippets and imports (without touching the disk).
        Case(name: "snippet defined twice", input: "(a) {\n log\n}\n(a) {\n errors\n}\n. {\n import a\n}\n",
             message: "Corefile:4: snippet 'a' is already defined at Corefile:1"),
        Case(name: "snippet among other keys", input: "(a) b.org {\n log\n}\n",
             message: "Corefile:1: snippet '(a)' must be the only name before its '{'"),
        Case(name: "snippet with an empty name", input: "() {\n log\n}\n",
             message: "Corefile:1: a snippet needs a name between the parentheses"),
        Case(name: "snippet never closed", input: "(a) {\n log\n",
             message: "Corefile:1: snippet '(a)': the '{' opened here is not closed before the end of the file — expected '}'"),
        Case(name: "import without a pattern", input: ". {\n import\n}\n",
             message: "Corefile:2: import: expected a file path, glob or snippet name after 'import'"),
        Case(name: "import with two patterns", input: "(a) {\n log\n}\n. {\n import a b\n}\n",
             message: "Corefile:5: import takes one argument (a file path, glob or snippet name) — found 'b' after 'a'"),
        Case(name: "import of an empty name", input: ". {\n import {$NOTHING}\n}\n",
             message: "Corefile:2: import: the file path or snippet name is empty"),
        Case(name: "import of a snippet defined later", input: ". {\n import late\n}\n(late) {\n log\n}\n",
             message: "Corefile:2: cannot import 'late': no such file (/nonexistent-clusterdns-corefile-tests/late) and no snippet of that name defined before this line"),
        Case(name: "import inside a plugin block names the plugin", input: ". {\n forward . 1.1.1.1 {\n  import missing.conf\n }\n}\n",
             message: "Corefile:3: plugin/forward: cannot import 'missing.conf': no such file (/nonexistent-clusterdns-corefile-tests/missing.conf) and no snippet of that name defined before this line"),
        Case(name: "snippet importing itself", input: "(a) {\n import a\n}\n. {\n import a\n}\n",
             message: "Corefile:2: import cycle: Corefile → snippet 'a' → snippet 'a'"),
        Case(name: "snippets importing each other", input: "(a) {\n log\n import b\n}\n(b) {\n import a\n}\n. {\n import a\n}\n",
             message: "Corefile:6: import cycle: Corefile → snippet 'a' → snippet 'b' → snippet 'a'"),
        Case(name: "error inside a snippet points at the snippet's line", input: "(a) {\n cache {\n  x\n } y\n}\n. {\n import a\n}\n",
             message: "Corefile:4: plugin/cache: unexpected 'y' after '}' — expected a new line"),
    ]

    @Test("rejects bad input with the exact file:line and message", arguments: cases)
    func rejects(_ testCase: Case) {
        let error = Fixture.error(testCase.input, environment: testCase.environment)
        #expect(error?.description == testCase.message)
    }

    @Test("error kinds tell syntax, key, conflict and import problems apart", arguments: [
        (".:53\n", CorefileError.Kind.syntax),
        ("tls://. {\n}\n", .serverKey),
        (". {\n}\n. {\n}\n", .conflict),
        (". {\n import nothing-here\n}\n", .importFailure),
    ])
    func kinds(_ input: String, _ kind: CorefileError.Kind) {
        #expect(Fixture.error(input)?.kind == kind)
    }

    @Test("a missing Corefile is an I/O error naming the path")
    func missingFile() {
        do {
            _ = try Corefile.parse(file: "/nonexistent-clusterdns/Corefile", options: CorefileParseOptions(environment: [:]))
            Issue.record("parsed a file that does not exist")
        } catch {
            #expect(error.kind == .io)
            #expect(error.description == "/nonexistent-clusterdns/Corefile: cannot read the Corefile: No such file or directory")
        }
    }

    @Test("the error's fields carry location, plugin and message separately")
    func fields() throws {
        let error = try #require(Fixture.error(".:53 {\n errors\n kubernetes cluster.local {\n  pods insecure\n", fileName: "Zones/Corefile"))
        #expect(error.location == SourceLocation(file: "Zones/Corefile", line: 3))
        #expect(error.directive == "kubernetes")
        #expect(error.message == "the '{' opened here is not closed before the end of the file — expected '}'")
    }
}
