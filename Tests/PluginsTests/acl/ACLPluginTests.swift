import Corefile
import DNSWire
import Testing
@testable import Plugins

/// The `acl` plugin in-process: its Corefile syntax and errors, and what a query from each
/// source and of each type meets (the real server's side, several loopback sources and the
/// metrics scrape, is `IntegrationTests/ACLTests`).
@Suite struct ACLPluginTests {
    enum Outcome: Equatable, CustomStringConvertible {
        case allowed, blocked, filtered, dropped

        var description: String {
            switch self {
            case .allowed: "allowed"
            case .blocked: "blocked"
            case .filtered: "filtered"
            case .dropped: "dropped"
            }
        }
    }

    static func configure(_ text: String) throws(CorefileError) -> ServerConfiguration {
        let corefile = try Corefile.parse(text: text, fileName: "Corefile", baseDirectory: "/nonexistent-clusterdns-tests",
                                          options: CorefileParseOptions(environment: [:], checksServeConflicts: false))
        return try ServerConfiguration.build(corefile, manifestsDirectory: nil, baseDirectory: "/nonexistent-clusterdns-tests")
    }

    /// A block of `acl` directives (each `acl` line followed by its indented rule lines, as
    /// written in `body`) in front of `whoami`, as one worker runs it.
    static func chain(_ body: String) throws -> (ChainHarness, ServerConfiguration) {
        let configuration = try configure(".:1053 {\n\(body)\n    whoami\n}\n")
        return (ChainHarness(configuration: configuration), configuration)
    }

    /// The same with one `acl` holding `lines`.
    static func chain(lines: [String]) throws -> ChainHarness {
        try chain("    acl {\n" + lines.map { "        \($0)\n" }.joined() + "    }").0
    }

    /// What a query meets: whoami's answer (allowed), REFUSED (blocked), an empty NOERROR
    /// (filtered) or nothing (dropped).
    static func outcome(_ harness: ChainHarness, _ name: String = "example.org.", _ type: RecordType = .a,
                        from source: String) throws -> Outcome {
        let peer = try #require(IPAddress(source))
        guard let wire = harness.exchange(try DomainName(name), type, peer: peer) else {
            #expect(harness.sink.delivered.isEmpty)
            return .dropped
        }
        let reply = try Message(parsing: wire)
        #expect(reply.header.id == 4242)
        switch reply.rcode {
        case .refused: return .blocked
        case .noError where reply.answers.isEmpty && reply.additionals.isEmpty: return .filtered
        case .noError:
            // whoami's answer (the client's address and port in the additional section).
            #expect(reply.additionals.contains { $0.type == .srv }, "\(reply)")
            return .allowed
        default:
            Issue.record("unexpected rcode \(reply.rcode)")
            return .allowed
        }
    }

    // MARK: Syntax

    @Test("lines parse into actions, query types and networks; a bare address is /32 or /128; host bits are cleared")
    func parses() throws {
        let (_, configuration) = try Self.chain("""
                acl example.org {
                    allow type A AAAA net 10.1.2.3/8 192.0.2.7
                    block net 2001:db8::/32 ::1
                    filter type MX
                    drop
                }
            """)
        let plugin = try #require(configuration.blocks.first?.factories.compactMap { $0 as? ACLPlugin }.first)
        let config = plugin.config
        #expect(config.zones == [try DomainName("example.org.")])
        #expect(config.policies.map(\.action) == [.allow, .block, .filter, .drop])
        let allow = config.policies[0]
        #expect(allow.types == [.a, .aaaa] && !allow.anySource)
        #expect(allow.v4.map(\.base) == [0x0A00_0000, 0xC000_0207])
        #expect(allow.v4.map(\.mask) == [0xFF00_0000, 0xFFFF_FFFF])
        let block = config.policies[1]
        #expect(block.types.isEmpty && block.v4.isEmpty && !block.anySource)
        #expect(block.v6.map(\.high) == [0x2001_0DB8_0000_0000, 0])
        #expect(block.v6.map(\.low) == [0, 1])
        #expect(block.v6.map(\.maskHigh) == [0xFFFF_FFFF_0000_0000, ~0])
        #expect(block.v6.map(\.maskLow) == [0, ~0])
        #expect(config.policies[2].types == [.mx] && config.policies[2].anySource)
        #expect(config.policies[3].types.isEmpty && config.policies[3].anySource)
    }

    @Test("without zones an acl takes the server block's")
    func defaultZones() throws {
        let configuration = try Self.configure("example.org example.net:1053 {\n    acl {\n        block\n    }\n    whoami\n}\n")
        let plugin = try #require(configuration.blocks.first?.factories.compactMap { $0 as? ACLPlugin }.first)
        #expect(plugin.config.zones == [try DomainName("example.org."), try DomainName("example.net.")])
    }

    @Test("a bad line is refused with the line it is on and plugin/acl", arguments: [
        ("permit net 10.0.0.0/8", "unknown action 'permit' (allow, block, filter or drop)"),
        ("allow net 10.0.0.0/33", "invalid network '10.0.0.0/33'"),
        ("allow net 2001:db8::/129", "invalid network '2001:db8::/129'"),
        ("allow net 10.0.0.256", "invalid network '10.0.0.256'"),
        ("allow net example.org", "invalid network 'example.org'"),
        ("allow net 10.0.0.0/", "invalid network '10.0.0.0/'"),
        ("block type NOPE", "unknown query type 'NOPE'"),
        ("block 10.0.0.0/8", "expected 'type' or 'net' before '10.0.0.0/8'"),
        ("drop A", "expected 'type' or 'net' before 'A'"),
    ])
    func errors(line: String, message: String) throws {
        // The bad line is the block's second (line 4): the error names it, not the directive.
        let text = ".:1053 {\n    acl {\n        allow net 127.0.0.1\n        \(line)\n    }\n    whoami\n}\n"
        let error = try #require(throws: CorefileError.self) { try Self.configure(text) }
        // Nested lines are named by their first word, as every plugin's properties are.
        let action = line.prefix { $0 != " " }
        #expect(error.description == "Corefile:4: plugin/acl: \(action): \(message)")
    }

    // MARK: Matching

    @Test("sources: IPv4 and IPv6 networks, bare addresses, prefixes past 64 bits, mapped IPv4, and no family crossing",
          arguments: [
        ("block net 10.0.0.0/8", "10.1.2.3", Outcome.blocked),
        ("block net 10.0.0.0/8", "11.0.0.1", .allowed),
        ("block net 10.1.2.3/8", "10.200.0.1", .blocked),          // host bits cleared, as Go's ParseCIDR
        ("block net 192.0.2.7", "192.0.2.7", .blocked),
        ("block net 192.0.2.7", "192.0.2.8", .allowed),
        ("block net 10.0.0.0/8 192.168.0.0/16", "192.168.4.4", .blocked),
        ("block net 10.0.0.0/8 192.168.0.0/16", "172.16.0.1", .allowed),
        ("block net 2001:db8::/32", "2001:db8:ffff::1", .blocked),
        ("block net 2001:db8::/32", "2001:db9::1", .allowed),
        ("block net 2001:db8::1", "2001:db8::1", .blocked),
        ("block net 2001:db8::1", "2001:db8::2", .allowed),
        ("block net 2001:db8::8000:0:0:0/65", "2001:db8::8000:0:0:1", .blocked),
        ("block net 2001:db8::8000:0:0:0/65", "2001:db8::7fff:0:0:1", .allowed),
        ("block net 10.0.0.0/8", "::ffff:10.9.9.9", .blocked),     // a v4 client on a dual-stack socket
        ("block net ::ffff:0:0/96", "::ffff:10.9.9.9", .allowed),   // ... is matched as the IPv4 address it is
        ("block net 0.0.0.0/0", "2001:db8::1", .allowed),
        ("block net ::/0", "10.0.0.1", .allowed),
        ("block net ::/0", "2001:db8::1", .blocked),
        ("block net *", "2001:db8::1", .blocked),
        ("block net 10.0.0.0/8 *", "192.0.2.1", .blocked),         // `*` beside networks: every source
    ])
    func sources(line: String, source: String, expected: Outcome) throws {
        let harness = try Self.chain(lines: [line])
        #expect(try Self.outcome(harness, from: source) == expected, "\(line) from \(source)")
    }

    @Test("query types: a list matches any of its types; with net, both must match")
    func types() throws {
        let list = try Self.chain(lines: ["block type A AAAA"])
        #expect(try Self.outcome(list, "x.example.", .a, from: "10.0.0.1") == .blocked)
        #expect(try Self.outcome(list, "x.example.", .aaaa, from: "10.0.0.1") == .blocked)
        #expect(try Self.outcome(list, "x.example.", .mx, from: "10.0.0.1") == .allowed)
        let both = try Self.chain(lines: ["block type MX net 10.0.0.0/8"])
        #expect(try Self.outcome(both, "x.example.", .mx, from: "10.0.0.1") == .blocked)
        #expect(try Self.outcome(both, "x.example.", .a, from: "10.0.0.1") == .allowed)
        #expect(try Self.outcome(both, "x.example.", .mx, from: "11.0.0.1") == .allowed)
        let every = try Self.chain(lines: ["block type * net 10.0.0.0/8"])
        #expect(try Self.outcome(every, "x.example.", .txt, from: "10.0.0.1") == .blocked)
    }

    @Test("each action: block is REFUSED, filter an empty NOERROR, drop no answer, allow goes on down the chain")
    func actions() throws {
        let harness = try Self.chain(lines: ["allow net 10.0.0.1", "block net 10.0.0.2", "filter net 10.0.0.3", "drop net 10.0.0.4"])
        #expect(try Self.outcome(harness, from: "10.0.0.1") == .allowed)
        #expect(try Self.outcome(harness, from: "10.0.0.2") == .blocked)
        #expect(try Self.outcome(harness, from: "10.0.0.3") == .filtered)
        #expect(try Self.outcome(harness, from: "10.0.0.4") == .dropped)
        #expect(try Self.outcome(harness, from: "10.0.0.5") == .allowed)   // no line matches: allowed
    }

    @Test("within one acl the first matching line decides: the same lines in the other order decide otherwise")
    func firstMatchWins() throws {
        let allowFirst = try Self.chain(lines: ["allow net 10.0.0.1", "block net 10.0.0.0/8"])
        #expect(try Self.outcome(allowFirst, from: "10.0.0.1") == .allowed)
        #expect(try Self.outcome(allowFirst, from: "10.0.0.2") == .blocked)
        let blockFirst = try Self.chain(lines: ["block net 10.0.0.0/8", "allow net 10.0.0.1"])
        #expect(try Self.outcome(blockFirst, from: "10.0.0.1") == .blocked)
        let filterThenDrop = try Self.chain(lines: ["filter type AAAA", "drop"])
        #expect(try Self.outcome(filterThenDrop, "x.example.", .aaaa, from: "10.0.0.1") == .filtered)
        #expect(try Self.outcome(filterThenDrop, "x.example.", .a, from: "10.0.0.1") == .dropped)
    }

    @Test("several acls: an allow is final, a name outside an acl's zones skips it, the next acl decides the rest")
    func severalACLs() throws {
        let (harness, _) = try Self.chain("""
                acl example.org {
                    allow net 10.0.0.1
                    filter net 10.0.0.0/8
                }
                acl {
                    block net 10.0.0.0/8
                }
            """)
        #expect(try Self.outcome(harness, "www.example.org.", from: "10.0.0.1") == .allowed)   // allowed by the first, final
        #expect(try Self.outcome(harness, "www.example.org.", from: "10.0.0.2") == .filtered)  // the first decides
        #expect(try Self.outcome(harness, "www.example.net.", from: "10.0.0.1") == .blocked)   // outside the first's zone
        #expect(try Self.outcome(harness, "example.org.", from: "10.0.0.3") == .filtered)      // the zone apex is in it
        #expect(try Self.outcome(harness, "notexample.org.", from: "10.0.0.3") == .blocked)    // a suffix is not a zone
        #expect(try Self.outcome(harness, "www.example.net.", from: "192.0.2.1") == .allowed)  // no acl decides
    }

    @Test("counts go to the zone of the acl that decided, allowed once per query whichever acl let it through")
    func metrics() throws {
        let (harness, configuration) = try Self.chain("""
                acl example.org {
                    block net 10.0.0.0/8
                }
                acl example.net {
                    filter net 10.0.0.0/8
                    drop net 192.0.2.0/24
                }
            """)
        _ = try Self.outcome(harness, "a.example.org.", from: "10.0.0.1")    // blocked, example.org
        _ = try Self.outcome(harness, "b.example.org.", from: "10.0.0.2")    // blocked, example.org
        _ = try Self.outcome(harness, "a.example.net.", from: "10.0.0.1")    // filtered, example.net
        _ = try Self.outcome(harness, "a.example.net.", from: "192.0.2.1")   // dropped, example.net
        _ = try Self.outcome(harness, "a.example.org.", from: "192.0.2.1")   // allowed
        _ = try Self.outcome(harness, "a.example.com.", from: "10.0.0.1")    // allowed (no acl's zone)
        let plugin = try #require(configuration.blocks.first?.factories.compactMap { $0 as? ACLPlugin }.first)
        var report = MetricsReport()
        plugin.reportMetrics(into: &report)
        func value(_ name: String, zone: String?) -> Double? {
            report.families.first { $0.name == name }?.samples.first { sample in
                zone.map { zone in sample.labels.contains { $0 == ("zone", zone) } } ?? true
            }?.value
        }
        #expect(value("coredns_acl_blocked_requests_total", zone: "example.org.") == 2)
        #expect(value("coredns_acl_blocked_requests_total", zone: "example.net.") == 0)
        #expect(value("coredns_acl_filtered_requests_total", zone: "example.net.") == 1)
        #expect(value("coredns_acl_filtered_requests_total", zone: "example.org.") == 0)
        #expect(value("coredns_acl_dropped_requests_total", zone: "example.net.") == 1)
        #expect(value("coredns_acl_allowed_requests_total", zone: nil) == 2)
    }
}
