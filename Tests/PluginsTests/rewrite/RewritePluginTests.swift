import Corefile
import DNSWire
import Testing
@testable import Plugins

@Suite struct RewritePluginTests {
    /// Rewrite rules in front of a hosts backend (inline entries) and the stub.
    static func chain(_ rules: String) throws -> InProcessChain {
        try InProcessChain(corefile: """
            . {
                \(rules)
                hosts {
                    10.0.0.1 target.example.org
                    10.0.0.2 bar.example.org
                    10.0.0.3 www.example.org
                    10.0.0.4 svc.example.org
                    10.0.0.5 ftp.service.us-west-1.example.org
                    10.0.0.6 api.svc.example.org
                    fallthrough
                }
                erratic
            }
            """, files: ["hostsfile": ""], extra: ["erratic": StubNextPlugin.spec])
    }

    static func expectQuestion(_ reply: Message, _ name: String) {
        #expect(reply.questions.first?.name.exactlyEquals(try! DomainName(name)) == true, "question \(reply.questions.first?.name.description ?? "-")")
    }

    @Test("exact: the rewritten name is resolved and the answer mapped back to the client's name and case")
    func exact() throws {
        let chain = try Self.chain("rewrite name exact WWW.Public.Test target.example.org")
        let reply = try chain.query("Www.Public.test.", .a)
        Self.expectQuestion(reply, "Www.Public.test.")
        #expect(reply.answerLines == ["Www.Public.test. 3600 IN A 10.0.0.1"])
        #expect(reply.answers.first?.name.exactlyEquals("Www.Public.test.") == true)
        #expect(reply.header.authoritative)
        let short = try Self.chain("rewrite name a.public.test target.example.org")
        #expect(try short.query("a.public.test.", .a).answerLines == ["a.public.test. 3600 IN A 10.0.0.1"])
        // Not the name: the query goes on unchanged.
        #expect(try short.query("b.public.test.", .a).cameFromStub)
    }

    @Test("prefix: maps the answer back with answer auto, leaves it rewritten without")
    func prefix() throws {
        let auto = try Self.chain("rewrite name prefix foo bar answer auto")
        let mapped = try auto.query("foo.example.org.", .a)
        Self.expectQuestion(mapped, "foo.example.org.")
        #expect(mapped.answerLines == ["foo.example.org. 3600 IN A 10.0.0.2"])
        let plain = try Self.chain("rewrite name prefix foo bar")
        #expect(try plain.query("foo.example.org.", .a).answerLines == ["bar.example.org. 3600 IN A 10.0.0.2"])
        // `foo` is normalized to `foo.`: a longer first label does not match.
        #expect(try plain.query("foobar.example.org.", .a).cameFromStub)
    }

    @Test("suffix: answer auto reverses the suffix")
    func suffix() throws {
        let chain = try Self.chain("rewrite name suffix .schmoogle.org. .example.org. answer auto")
        let reply = try chain.query("www.schmoogle.org.", .a)
        Self.expectQuestion(reply, "www.schmoogle.org.")
        #expect(reply.answerLines == ["www.schmoogle.org. 3600 IN A 10.0.0.3"])
    }

    @Test("substring: every occurrence is replaced; answer auto maps back")
    func substring() throws {
        let chain = try Self.chain("rewrite name substring legacy.example.org svc.example.org answer auto")
        let reply = try chain.query("api.legacy.example.org.", .a)
        #expect(reply.answerLines == ["api.legacy.example.org. 3600 IN A 10.0.0.6"])
    }

    @Test("regex: {N} groups fill the replacement; answers map back with auto or an explicit answer name rule")
    func regex() throws {
        let auto = try Self.chain(#"rewrite name regex (.*)-(us-west-1)\.example\.org {1}.service.{2}.example.org answer auto"#)
        let reply = try auto.query("ftp-us-west-1.example.org.", .a)
        Self.expectQuestion(reply, "ftp-us-west-1.example.org.")
        #expect(reply.answerLines == ["ftp-us-west-1.example.org. 3600 IN A 10.0.0.5"])
        let explicit = try Self.chain(#"""
            rewrite stop {
                    name regex (.*)-(us-west-1)\.example\.org {1}.service.{2}.example.org
                    answer name (.*)\.service\.(us-west-1)\.example\.org {1}-{2}.example.org
                }
            """#)
        #expect(try explicit.query("ftp-us-west-1.example.org.", .a).answerLines == ["ftp-us-west-1.example.org. 3600 IN A 10.0.0.5"])
        let none = try Self.chain(#"rewrite name regex (.*)-(us-west-1)\.example\.org {1}.service.{2}.example.org"#)
        #expect(try none.query("ftp-us-west-1.example.org.", .a).answerLines == ["ftp.service.us-west-1.example.org. 3600 IN A 10.0.0.5"])
        #expect(try none.query("ftp-eu-1.example.org.", .a).cameFromStub)
    }

    @Test("values are mapped back too: CNAME targets with answer auto")
    func values() throws {
        let zone = "$ORIGIN internal.test.\n@ 60 IN SOA ns hm 1 2 3 4 5\n@ 60 IN NS ns\nns 60 IN A 192.0.2.1\nweb 60 IN CNAME www\nwww 60 IN A 192.0.2.80\n"
        let chain = try InProcessChain(corefile: """
            . {
                rewrite name suffix .public.test .internal.test answer auto
                file db internal.test
            }
            """, files: ["db": zone])
        let reply = try chain.query("web.public.test.", .a)
        Self.expectQuestion(reply, "web.public.test.")
        #expect(reply.answerLines == ["web.public.test. 60 IN CNAME www.public.test.", "www.public.test. 60 IN A 192.0.2.80"])
        // Text suffix semantics, as CoreDNS: the apex `internal.test.` lacks the `.internal.test.`
        // suffix, so only names below it are mapped.
        #expect(reply.authorityLines == ["internal.test. 60 IN NS ns.public.test."])
        let soa = try chain.query("missing.public.test.", .a)
        #expect(soa.rcode == .nameError)
        #expect(soa.authorityLines == ["internal.test. 5 IN SOA ns.public.test. hm.internal.test. 1 2 3 4 5"])
    }

    @Test("continue applies the next rule to the rewritten name; stop (the default) ends the rules")
    func modes() throws {
        let both = try Self.chain("rewrite continue name exact a.test b.test\n    rewrite name exact b.test target.example.org")
        let reply = try both.query("a.test.", .a)
        Self.expectQuestion(reply, "a.test.")
        #expect(reply.answerLines == ["a.test. 3600 IN A 10.0.0.1"])
        let stopping = try Self.chain("rewrite name exact a.test b.test\n    rewrite name exact b.test target.example.org")
        let stopped = try stopping.query("a.test.", .a)
        // Only the first rule ran: b.test is unknown to hosts, so the stub answered (mapped back to a.test).
        #expect(stopped.cameFromStub)
        #expect(stopped.answerLines == ["a.test. 30 IN A 192.0.2.250"])
    }

    @Test("the rcode of the rewritten query is the client's; an invalid rewritten name is SERVFAIL")
    func rcodes() throws {
        let chain = try Self.chain("rewrite name exact gone.test nxname.example.org")
        let reply = try chain.query("gone.test.", .a)
        #expect(reply.rcode == .nameError)
        Self.expectQuestion(reply, "gone.test.")
        let invalid = try Self.chain(#"rewrite name regex ^(.*)$ {1}..bad"#)
        #expect(try invalid.query("x.test.", .a).rcode == .serverFailure)
    }

    @Test("over TCP and with EDNS the client's own framing and OPT are kept")
    func transports() throws {
        let chain = try Self.chain("rewrite name exact a.test target.example.org")
        let tcp = try chain.query("a.test.", .a, transport: .tcp, edns: nil)
        #expect(tcp.edns == nil)
        #expect(tcp.answers.count == 1)
        let udp = try chain.query("a.test.", .a, edns: EDNS(udpPayloadSize: 1232, dnssecOK: true))
        #expect(udp.edns?.dnssecOK == true)
    }

    @Test("configuration errors; other rule kinds are not supported yet and say which")
    func config() throws {
        let cases: [(String, String)] = [
            ("rewrite type ANY HINFO", "Corefile:2: plugin/rewrite: 'type' rules are not supported yet by ClusterDNS (only 'name' rules are)"),
            ("rewrite continue edns0 local set 0xffee abcd", "Corefile:2: plugin/rewrite: 'edns0' rules are not supported yet by ClusterDNS (only 'name' rules are)"),
            ("rewrite ttl example.com. 30", "Corefile:2: plugin/rewrite: 'ttl' rules are not supported yet by ClusterDNS (only 'name' rules are)"),
            ("rewrite name onlyone", "Corefile:2: plugin/rewrite: too few arguments for a name rule"),
            ("rewrite name fuzzy a b", "Corefile:2: plugin/rewrite: name rule supports only exact, prefix, suffix, substring, and regex name matching, received: fuzzy"),
            ("rewrite name regex ( b", "Corefile:2: plugin/rewrite: invalid regex matching pattern: ("),
            ("rewrite name regex (a) {1}{2}", "Corefile:2: plugin/rewrite: the rewrite regex pattern ({1}{2}) uses more subexpressions than its corresponding matching regex pattern ((a))"),
            ("rewrite name prefix a b answer auto answer name x y", "Corefile:2: plugin/rewrite: auto name answer rule cannot be combined with explicit name answer rules"),
            ("rewrite name prefix a b answer bogus", "Corefile:2: plugin/rewrite: invalid type 'bogus' for answer rule for name rule"),
            ("rewrite name prefix a b extra", "Corefile:2: plugin/rewrite: invalid arguments for name rule: 'extra'"),
            ("rewrite answer name a b", "Corefile:2: plugin/rewrite: response rewrites must begin with a name rule"),
            ("rewrite stop", "Corefile:2: plugin/rewrite: stop rule must begin with a rule type"),
            ("rewrite bogus a b", "Corefile:2: plugin/rewrite: invalid rule type 'bogus'"),
        ]
        for (line, message) in cases {
            let error = #expect(throws: CorefileError.self) { try InProcessChain(corefile: ". {\n    \(line)\n}\n") }
            #expect(error?.description == message)
        }
        // Several rewrite lines are one plugin instance with the rules in line order.
        let chain = try InProcessChain(corefile: ". {\n    rewrite name a.test b.test\n    rewrite name c.test d.test\n}\n")
        let plugins = chain.configuration.blocks[0].factories.compactMap { $0 as? RewritePlugin }
        #expect(plugins.map(\.rules.count) == [2, 0])
        #expect(RewriteConfig.captureGroupCount(#"(a)(?:b)(?<n>c)\((d)[(]"#) == 3)
    }
}
