import Testing
@testable import Corefile

/// The helpers plugin config parsers call, and the errors they produce.
@Suite struct DirectiveHelperTests {
    /// The first directive of `. { <line> }`, parsed from file `Zones/Corefile` (line 2).
    func directive(_ line: String) throws -> Directive {
        let parsed = try Fixture.parse(".:53 {\n\(line)\n}\n", fileName: "Zones/Corefile")
        return try #require(parsed.serverBlocks.first?.directives.first)
    }

    func message(_ body: () throws(CorefileError) -> Void) -> String? {
        do {
            try body()
            return nil
        } catch {
            return error.description
        }
    }

    @Test("argument(_:) is nil past the end")
    func argumentAccess() throws {
        let cache = try directive("cache 30 cluster.local")
        #expect(cache.argument(0)?.text == "30")
        #expect(cache.argument(1)?.text == "cluster.local")
        #expect(cache.argument(2) == nil)
        #expect(cache.argument(-1) == nil)
    }

    @Test("argument-count checks say what was expected, at the right line", arguments: [
        ("loop extra", 0, 0, "Zones/Corefile:2: plugin/loop: expected no arguments, found 1 ('extra' is one too many)"),
        ("cache", 1, 1, "Zones/Corefile:2: plugin/cache: expected 1 argument, found 0"),
        ("cache 1 2", 1, 1, "Zones/Corefile:2: plugin/cache: expected 1 argument, found 2 ('2' is one too many)"),
        ("forward .", 2, nil, "Zones/Corefile:2: plugin/forward: expected at least 2 arguments, found 1"),
        ("health a b c", 0, 1, "Zones/Corefile:2: plugin/health: expected at most 1 argument, found 3 ('b' is one too many)"),
        ("bind", 1, 3, "Zones/Corefile:2: plugin/bind: expected 1 to 3 arguments, found 0"),
    ] as [(String, Int, Int?, String)])
    func counts(_ line: String, _ min: Int, _ max: Int?, _ expected: String) throws {
        let d = try directive(line)
        #expect(message { () throws(CorefileError) in try d.requireArguments(min: min, max: max) } == expected)
    }

    @Test("argument-count checks pass and return the arguments")
    func countsPass() throws {
        let d = try directive("forward . 1.1.1.1 8.8.8.8")
        #expect(try d.requireArguments(min: 2).map(\.text) == [".", "1.1.1.1", "8.8.8.8"])
        #expect(try d.requireArguments(exactly: 3).count == 3)
        let loop = try directive("loop")
        try loop.noArguments()
        try loop.noBlock()
    }

    @Test("noBlock rejects a block")
    func noBlock() throws {
        let d = try directive("ready {\n}")
        #expect(message { () throws(CorefileError) in try d.noBlock() } == "Zones/Corefile:2: plugin/ready: unexpected block — 'ready' takes no '{ … }'")
    }

    @Test("errors about a property name the plugin, then the property", arguments: [
        ("ttl 30 40", "Zones/Corefile:4: plugin/kubernetes: ttl: expected 1 argument, found 2 ('40' is one too many)"),
    ])
    func propertyErrors(_ property: String, _ expected: String) throws {
        let k = try directive("kubernetes cluster.local {\n  pods insecure\n  \(property)\n}")
        let ttl = k.properties[1]
        #expect(message { () throws(CorefileError) in try ttl.requireArguments(exactly: 1) } == expected)
        #expect(k.properties[0].unknownProperty().description == "Zones/Corefile:3: plugin/kubernetes: unknown property 'pods'")
    }

    @Test("integer arguments are range-checked and name the bad text", arguments: [
        ("ttl 30", 30, nil),
        ("ttl 0", 0, nil),
        ("ttl 3600", 3600, nil),
        ("ttl +7", 7, nil),
        ("ttl 3601", nil, "Zones/Corefile:2: plugin/ttl: 3601 is out of range — expected an integer in 0...3600"),
        ("ttl -1", nil, "Zones/Corefile:2: plugin/ttl: -1 is out of range — expected an integer in 0...3600"),
        ("ttl abc", nil, "Zones/Corefile:2: plugin/ttl: 'abc' is not an integer — expected one in 0...3600"),
        ("ttl 1.5", nil, "Zones/Corefile:2: plugin/ttl: '1.5' is not an integer — expected one in 0...3600"),
        ("ttl", nil, "Zones/Corefile:2: plugin/ttl: missing integer (argument 1)"),
    ] as [(String, Int?, String?)])
    func integers(_ line: String, _ value: Int?, _ error: String?) throws {
        let d = try directive(line)
        var parsed: Int?
        #expect(message { () throws(CorefileError) in parsed = try d.integer(at: 0, in: 0...3600) } == error)
        #expect(parsed == value)
    }

    @Test("duration arguments use Go syntax and an optional range")
    func durations() throws {
        let d = try directive("health :8080 {\n  lameduck 5s\n}")
        let lameduck = try #require(d.properties.first)
        #expect(try lameduck.duration(at: 0) == .seconds(5))
        #expect(message { () throws(CorefileError) in _ = try lameduck.duration(at: 0, in: .zero ... .seconds(1)) }
            == "Zones/Corefile:3: plugin/health: lameduck: duration 5s is out of range — expected 0s to 1s")
        let bad = try directive("reload 5x")
        #expect(message { () throws(CorefileError) in _ = try bad.duration(at: 0) }
            == "Zones/Corefile:2: plugin/reload: invalid duration '5x': unknown unit 'x' — expected ns, us, ms, s, m or h")
    }

    @Test("boolean arguments accept Go's spellings", arguments: [
        ("true", true), ("True", true), ("1", true), ("t", true), ("yes", true), ("on", true),
        ("false", false), ("FALSE", false), ("0", false), ("f", false), ("no", false), ("off", false),
    ])
    func booleans(_ text: String, _ value: Bool) throws {
        let d = try directive("x \(text)")
        #expect(try d.boolean(d.arguments[0]) == value)
    }

    @Test("a non-boolean is rejected naming the text")
    func notBoolean() throws {
        let d = try directive("x maybe")
        #expect(message { () throws(CorefileError) in _ = try d.boolean(d.arguments[0]) }
            == "Zones/Corefile:2: plugin/x: 'maybe' is not a boolean — expected true or false")
    }

    @Test("error(_:) and error(_:at:) locate at the directive and at the argument")
    func customErrors() throws {
        let d = try directive("forward . \"1.1.1.1\nbad\"")
        #expect(d.error("no upstreams").description == "Zones/Corefile:2: plugin/forward: no upstreams")
        #expect(d.error("bad address", at: d.arguments[1]).description == "Zones/Corefile:2: plugin/forward: bad address")
        #expect(d.error("x").kind == .argument)
    }

    @Test("zone arguments normalize like keys and fall back to the server block's zones")
    func zones() throws {
        let parsed = try Fixture.parse("cluster.local 10.0.0.0/8 {\n  kubernetes Cluster.Local 10.0.0.0/15 dns://x.org:53\n  k8s_external\n}\n")
        let block = try #require(parsed.serverBlocks.first)
        let kubernetes = block.directives[0]
        #expect(try kubernetes.zones(from: kubernetes.arguments, orServerBlock: block.zones)
            == ["cluster.local.", "0.10.in-addr.arpa.", "1.10.in-addr.arpa.", "x.org."])
        let external = block.directives[1]
        #expect(try external.zones(from: external.arguments, orServerBlock: block.zones) == ["cluster.local.", "10.in-addr.arpa."])
        let bad = try directive("kubernetes a..b")
        #expect(message { () throws(CorefileError) in _ = try bad.zones(bad.arguments[0]) }
            == "Zones/Corefile:2: plugin/kubernetes: 'a..b' is not a zone: 'a..b' is not a valid zone: it has an empty label (two dots in a row, or a leading dot)")
    }
}
