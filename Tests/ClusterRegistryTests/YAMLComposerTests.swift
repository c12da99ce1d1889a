import DNSWire
import Foundation
import Testing
@testable import ClusterRegistry

/// The one-pass YAML composer (libyaml's events into a `ManifestTree`) and the decoder over it:
/// YAML as Kubernetes' own decoder reads it, and the errors Yams used to report, in its words.
@Suite("YAML composer")
struct YAMLComposerTests {
    static func decode(_ yaml: String) -> Result<DecodedManifest, ManifestSyntaxError> {
        ManifestDecoder(interner: StringInterner()).decode(yaml, file: "test.yaml")
    }

    static func services(_ yaml: String) throws -> [Service] {
        let decoded = try decode(yaml).get()
        #expect(decoded.issues.filter { $0.severity == .error }.isEmpty, "\(decoded.issues)")
        return ClusterObjects(decoded.objects).services
    }

    static func root(_ yaml: String) throws -> ManifestValue {
        var yaml = yaml
        let (tree, roots) = try yaml.withUTF8 { YAMLComposer.compose($0) }.get()
        return ManifestValue(tree: tree, id: try #require(roots.first))
    }

    static let block = """
        apiVersion: v1
        kind: Service
        metadata:
          name: web
          namespace: prod
          labels:
            app: web
        spec:
          clusterIP: 10.96.0.20
          ports:
          - name: http
            port: 80
          - name: dns
            port: 53
            protocol: UDP
        """

    @Test("block and flow styles compose to the same object")
    func blockAndFlow() throws {
        let flow = """
            {apiVersion: v1, kind: Service, metadata: {name: web, namespace: prod, labels: {app: web}},
             spec: {clusterIP: 10.96.0.20, ports: [{name: http, port: 80}, {name: dns, port: 53, protocol: UDP}]}}
            """
        let json = """
            {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "prod", "labels": {"app": "web"}},
             "spec": {"clusterIP": "10.96.0.20", "ports": [{"name": "http", "port": 80}, {"name": "dns", "port": 53, "protocol": "UDP"}]}}
            """
        let expected = try Self.services(Self.block)
        #expect(expected.count == 1)
        #expect(try Self.services(flow) == expected)
        #expect(try Self.services(json) == expected)
    }

    @Test("anchors and aliases: a value, a mapping and a list are shared where they are referred to")
    func anchorsAndAliases() throws {
        let yaml = """
            apiVersion: v1
            kind: Service
            metadata:
              name: &name web
              namespace: prod
              labels: &labels {app: *name, tier: front}
            spec:
              clusterIP: 10.96.0.20
              selector: *labels
              ports: &ports
              - {name: http, port: 80}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: api, namespace: prod}
            spec: {clusterIP: 10.96.0.21, ports: *ports}
            """
        let services = try Self.services(yaml)
        #expect(services.count == 2)
        #expect(services[0].selector == Labels(["app": "web", "tier": "front"]))
        #expect(services[0].labels == Labels(["app": "web", "tier": "front"]))
        #expect(services[1].ports.map(\.port) == [80])
    }

    @Test("a merge key is an ordinary key, as with the basic resolver before (not merged)")
    func mergeKeyIsAKey() throws {
        let root = try Self.root("base: &b {port: 80}\nport: {<<: *b, name: http}\n")
        let port = try #require(root.member("port"))
        #expect(port.member("<<")?.member("port")?.text == "80")
        #expect(port.member("port") == nil)
    }

    @Test("quoted scalars are text: \"null\", '~' and \"\" are not null; escapes are decoded")
    func quotedScalars() throws {
        let root = try Self.root(#"a: "null"\#nb: '~'\#nc: ""\#nd: "\x41\u00e9\n"\#ne: 'it''s'\#nf: null\#ng: ~\#nh:\#ni: NULL\#n"#)
        #expect(root.member("a")?.text == "null")
        #expect(root.member("b")?.text == "~")
        #expect(root.member("c")?.text == "")
        #expect(root.member("d")?.text == "Aé\n")
        #expect(root.member("e")?.text == "it's")
        for key in ["f", "g", "h", "i"] {
            #expect(try #require(root.member(key)).isNull, "\(key)")
        }
    }

    @Test("block scalars keep their text (literal and folded)")
    func blockScalars() throws {
        let root = try Self.root("a: |\n  one\n  two\nb: >\n  one\n  two\n")
        #expect(root.member("a")?.text == "one\ntwo\n")
        #expect(root.member("b")?.text == "one two\n")
    }

    @Test("tags: !!str makes null text, !!null keeps it null, !!int and other tags read the text")
    func tags() throws {
        let root = try Self.root("a: !!str null\nb: !!null null\nc: !!int 80\nd: !custom x\n")
        #expect(root.member("a")?.text == "null")
        #expect(try #require(root.member("b")).isNull)
        #expect(root.member("c")?.text == "80")
        #expect(root.member("d")?.text == "x")
        let tagged = Self.block.replacingOccurrences(of: "port: 80", with: "port: !!int 80")
            .replacingOccurrences(of: "name: web", with: "name: !!str web")
        #expect(try Self.services(tagged) == Self.services(Self.block))
    }

    @Test("null, booleans and numbers as Kubernetes' YAML reads them")
    func resolution() throws {
        var yaml = Self.block + "\n  publishNotReadyAddresses: on\n  externalName: ~\n"
        #expect(try Self.services(yaml).first?.publishNotReadyAddresses == true)
        yaml = Self.block + "\n  publishNotReadyAddresses: False\n"
        #expect(try Self.services(yaml).first?.publishNotReadyAddresses == false)
        yaml = Self.block.replacingOccurrences(of: "port: 53", with: "port: '53'")
        #expect(try Self.services(yaml).first?.ports.map(\.port) == [80, 53])
        let decoded = try Self.decode(Self.block.replacingOccurrences(of: "port: 53", with: "port: 0x35")).get()
        #expect(decoded.issues.first?.message == "spec.ports[1].port: expected a number, found \"0x35\"")
        #expect(decoded.issues.first?.line == 14)
    }

    @Test("a duplicate key is an error at its first occurrence, as Yams reported it")
    func duplicateKeys() throws {
        guard case .failure(let error) = Self.decode("a: 1\nb: 2\nb: 3\na: 4\n") else {
            Issue.record("duplicate keys were accepted")
            return
        }
        #expect(error.message == "duplicate key(s) a, b in a mapping")
        #expect(error.line == 1 && error.column == 1)
        // Many keys (the hashed path), one duplicate.
        let many = (0..<40).map { "k\($0): v" }.joined(separator: "\n") + "\n  \nk7: again\n"
        guard case .failure(let manyError) = Self.decode(many) else {
            Issue.record("a duplicate among 40 keys was accepted")
            return
        }
        #expect(manyError.message == "duplicate key(s) k7 in a mapping")
        #expect(manyError.line == 8)
        // The same key in different mappings is fine.
        #expect(throws: Never.self) { try Self.decode("a: {x: 1}\nb: {x: 2}\n").get() }
    }

    @Test("an undefined alias, and an alias to its own anchor, are errors with their place")
    func undefinedAlias() {
        for (yaml, line, column) in [("a: *nope\n", 1, 4), ("a: &x [1, *x]\n", 1, 11)] {
            guard case .failure(let error) = Self.decode(yaml) else {
                Issue.record("\(yaml) composed")
                continue
            }
            #expect(error.message == "found undefined alias")
            #expect(error.line == line && error.column == column, "\(yaml)")
        }
    }

    @Test("syntax errors carry libyaml's problem, context and position")
    func syntaxErrors() {
        guard case .failure(let error) = Self.decode("a: [1, 2\nb: 3\n") else {
            Issue.record("an unclosed flow sequence composed")
            return
        }
        #expect(error.line == 2)
        #expect(error.message.contains("while parsing a flow sequence at line 1, column 4"), "\(error.message)")
        guard case .failure(let tab) = Self.decode("a:\n\tb: 1\n") else {
            Issue.record("a tab indentation composed")
            return
        }
        #expect(tab.line == 2 && tab.column == 1, "\(tab)")
    }

    @Test("a stream with no documents, and empty documents, decode to nothing")
    func emptyStreams() throws {
        for yaml in ["", "# only a comment\n", "---\n", "---\n...\n", "--- ~\n"] {
            let decoded = try Self.decode(yaml).get()
            #expect(decoded.objects.isEmpty && decoded.issues.isEmpty, "\(yaml)")
        }
    }
}
