import Testing
@testable import Corefile

@Suite struct PrinterTests {
    @Test("prints the kubeadm Corefile in canonical form")
    func canonicalKubeadm() throws {
        let parsed = try Fixture.parse(ReferenceCorefileTests.kubeadm)
        #expect(parsed.description == """
            .:53 {
                errors
                health {
                    lameduck 5s
                }
                ready
                kubernetes cluster.local in-addr.arpa ip6.arpa {
                    pods insecure
                    fallthrough in-addr.arpa ip6.arpa
                    ttl 30
                }
                prometheus :9153
                forward . /etc/resolv.conf {
                    max_concurrent 1000
                }
                cache 30 {
                    disable success cluster.local
                    disable denial cluster.local
                }
                loop
                reload
                loadbalance
            }

            """)
    }

    @Test("separates blocks by a blank line and prints normalized keys")
    func severalBlocks() throws {
        let parsed = try Fixture.parse("Example.org, dns://org:1053 {\nlog\n}\n10.0.0.0/15 {\n  cache {\n  }\n}\n")
        #expect(parsed.description == """
            example.org.:53 org.:1053 {
                log
            }

            0.10.in-addr.arpa.:53 1.10.in-addr.arpa.:53 {
                cache {
                }
            }

            """)
    }

    @Test("quotes only the words that need it", arguments: [
        ("plain", "plain"),
        ("a b", "\"a b\""),
        ("", "\"\""),
        ("{", "\"{\""),
        ("}", "\"}\""),
        ("{}", "{}"),
        ("#x", "\"#x\""),
        ("a#x", "\"a#x\""),
        ("\"q", "\"\\\"q\""),
        ("a\"q", "a\"q"),
        ("tab\there", "\"tab\there\""),
        ("line\nbreak", "\"line\nbreak\""),
        ("back\\slash", "back\\slash"),
        ("\u{FEFF}bom", "\"\u{FEFF}bom\""),
    ])
    func quoting(_ text: String, _ written: String) {
        #expect(CorefileText.quotedIfNeeded(text) == written)
    }

    static let roundTrips: [String] = [
        ReferenceCorefileTests.kubeadm,
        ReferenceCorefileTests.kubeadmBareCache,
        ReferenceCorefileTests.deploymentTemplate,
        ReferenceCorefileTests.nodeLocalDNSCache,
        ". {\n  hosts {\n    \"10.0.0.1 a.example\"\n    fallthrough\n  }\n  template IN A {\n    answer \"{{ .Name }} 60 IN A 10.0.0.1\"\n  }\n}\n",
        ". {\n  echo \"\" \"{\" \"}\" \"#\" \"say \\\"hi\\\"\" {}\n  \"import\" x\n}\n",
        ". {\n  a \"multi\nline\" b\n  c {\n    d {\n      e f\n    }\n  }\n}\n",
        "fd00::/64 10.0.0.0/27 {\n  whoami\n}\n",
        // A Prepend scalar (U+0602) and the dot after it form one grapheme cluster; the zone's
        // trailing dot must be found by octets (corefile fuzz target, 3 137 767 executions).
        "\u{602} { }\n",
        "\u{602}. {\n}\n(\u{602}) {\n  whoami\n}\n",
        "a.org {\n}\nb.org:1053 {\n  log\n}\n",
    ]

    @Test("parse(print(x)) == x for the reference Corefiles and awkward words", arguments: roundTrips)
    func roundTrip(_ text: String) throws {
        let first = try Fixture.parse(text)
        let printed = first.description
        let second = try Fixture.parse(printed)
        #expect(second == first)
        // Printing is a fixed point: canonical text prints to itself.
        #expect(second.description == printed)
    }

    /// The corefile fuzz target's finding: substitution can leave a literal reference
    /// (`{{%Y%\0\0%}%Y%}` → `{%Y%}`), which printed bare would be substituted again on reading.
    @Test("a word that still holds a reference after substitution round-trips", arguments: [
        "{{%Y%\u{0}\u{0}%}%Y%}:70 { }\n",
        ". {\n  log {{%Y%a%}%Y%} {{$Y}$Y} {{%=%}%Y%} \"{{$Q}$Q} x\" {{$a}{%b%}{{%c%}{$d}}\n}\n",
        "{{$Y}$Y}.org {\n  {{%Y%q%}%Y%} x\n}\n",
        // A backslash before a quote, or last, in a word that must be quoted (the corefile fuzz
        // target's second finding): from a key split at a comma, and a reference that vanishes.
        "x,\"a\\\"b\" {\n}\n",
        ". {\n  log \"a b\\{$Z}\" \"\\\"q\\{$Z}\\\"\\{$Z}\" \"c d\\\\\"\n}\n",
    ])
    func literalReference(_ text: String) throws {
        let first = try Fixture.parse(text, environment: ["Y": "v"])
        let printed = first.description
        let second = try Fixture.parse(printed, environment: ["Y": "v"])
        #expect(second == first, "\(printed.debugDescription)")
        #expect(second.description == printed)
    }

    @Test("keepingReferences puts an empty reference inside every {% and {$", arguments: [
        ("plain", "plain"),
        ("{%Y%}", "{{%=%}%Y%}"),
        ("{$X}", "{{$=}$X}"),
        ("{{%", "{{{%=%}%"),
        ("a{}b", "a{}b"),
    ])
    func keepingReferences(_ text: String, _ written: String) {
        #expect(CorefileText.keepingReferences(text) == written)
        #expect(EnvironmentSubstitution.substitute(written, environment: ["X": "x", "Y": "v"]) == text)
    }

    @Test("equality ignores locations but not words")
    func equality() throws {
        let a = try Fixture.parse(". {\n  log\n}\n")
        let b = try Fixture.parse("\n\n# moved\n.:53 {\n\n  log\n}\n")
        let c = try Fixture.parse(". {\n  log x\n}\n")
        #expect(a == b)
        #expect(a != c)
    }

    @Test("a directive prints itself with its nested block")
    func directiveDescription() throws {
        let parsed = try Fixture.parse(". {\n  cache 30 {\n    success 100\n  }\n}\n")
        #expect(parsed.serverBlocks.first?.directives.first?.description == "cache 30 {\n    success 100\n}")
        #expect(parsed.serverBlocks.first?.description == ".:53 {\n    cache 30 {\n        success 100\n    }\n}")
    }
}
