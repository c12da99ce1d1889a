import Testing
@testable import Corefile

/// The Corefiles real clusters run (coredns-behaviour.md §4), rendered with cluster.local.
@Suite struct ReferenceCorefileTests {
    static let kubeadm = """
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

        """

    static let kubeadmBareCache = """
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
            cache 30
            loop
            reload
            loadbalance
        }
        """

    /// coredns/deployment kubernetes/coredns.yaml.sed after deploy.sh, with one stub domain.
    static let deploymentTemplate = """
        .:53 {
            errors
            health {
              lameduck 5s
            }
            ready
            kubernetes cluster.local in-addr.arpa ip6.arpa {
              fallthrough in-addr.arpa ip6.arpa
            }
            prometheus :9153
            forward . /etc/resolv.conf {
              max_concurrent 1000
            }
            cache 30
            loop
            reload
            loadbalance
        }
        acme.local:53 {
            errors
            cache 30
            forward . 1.2.3.4
        }
        """

    /// kubernetes cluster/addons/dns/nodelocaldns/nodelocaldns.yaml with its placeholders filled
    /// (note the closing braces indented like the directives, as in the original).
    static let nodeLocalDNSCache = """
        cluster.local:53 {
            errors
            cache {
                    success 9984 30
                    denial 9984 5
            }
            reload
            loop
            bind 169.254.20.10 10.96.0.10
            forward . 10.96.0.11 {
                    force_tcp
            }
            prometheus :9253
            health 169.254.20.10:8080
            }
        in-addr.arpa:53 {
            errors
            cache 30
            reload
            loop
            bind 169.254.20.10 10.96.0.10
            forward . 10.96.0.11 {
                    force_tcp
            }
            prometheus :9253
            }
        ip6.arpa:53 {
            errors
            cache 30
            reload
            loop
            bind 169.254.20.10 10.96.0.10
            forward . 10.96.0.11 {
                    force_tcp
            }
            prometheus :9253
            }
        .:53 {
            errors
            cache 30
            reload
            loop
            bind 169.254.20.10 10.96.0.10
            forward . /etc/resolv.conf
            prometheus :9253
            }
        """

    @Test("parses the kubeadm Corefile with the cache disable block, every line where it was written")
    func kubeadmCorefile() throws {
        let corefile = try Fixture.parse(Self.kubeadm)
        #expect(corefile.serverBlocks.count == 1)
        let block = try #require(corefile.serverBlocks.first)
        #expect(block.keys == [ServerKey(zone: ".", port: 53, original: ".:53", location: block.location)])
        #expect(block.location == SourceLocation(file: "Corefile", line: 1))
        #expect(block.directives.map(Shape.init) == [
            Shape("errors"),
            Shape("health", [], [Shape("lameduck", ["5s"])]),
            Shape("ready"),
            Shape("kubernetes", ["cluster.local", "in-addr.arpa", "ip6.arpa"], [
                Shape("pods", ["insecure"]),
                Shape("fallthrough", ["in-addr.arpa", "ip6.arpa"]),
                Shape("ttl", ["30"]),
            ]),
            Shape("prometheus", [":9153"]),
            Shape("forward", [".", "/etc/resolv.conf"], [Shape("max_concurrent", ["1000"])]),
            Shape("cache", ["30"], [
                Shape("disable", ["success", "cluster.local"]),
                Shape("disable", ["denial", "cluster.local"]),
            ]),
            Shape("loop"),
            Shape("reload"),
            Shape("loadbalance"),
        ])
        #expect(block.directives.map(\.location.line) == [2, 3, 6, 7, 12, 13, 16, 20, 21, 22])
        let kubernetes = block.directives[3]
        #expect(kubernetes.properties.map(\.location.line) == [8, 9, 10])
        #expect(kubernetes.properties.allSatisfy { $0.plugin == "kubernetes" && $0.isNested })
        #expect(kubernetes.arguments.map(\.location.line) == [7, 7, 7])
        #expect(!kubernetes.isNested)
    }

    @Test("parses the older kubeadm Corefile with a bare 'cache 30'")
    func kubeadmBareCache() throws {
        let corefile = try Fixture.parse(Self.kubeadmBareCache)
        let cache = try #require(corefile.serverBlocks.first?.directives(named: "cache").first)
        #expect(Shape(cache) == Shape("cache", ["30"]))
        #expect(cache.block == nil)
        #expect(cache.location.line == 16)
    }

    @Test("parses the coredns/deployment template with a stub-domain block")
    func deploymentTemplate() throws {
        let corefile = try Fixture.parse(Self.deploymentTemplate)
        #expect(corefile.serverBlocks.map { $0.keys.map(\.description) } == [[".:53"], ["acme.local.:53"]])
        #expect(corefile.serverBlocks[1].directives.map(Shape.init) == [
            Shape("errors"), Shape("cache", ["30"]), Shape("forward", [".", "1.2.3.4"]),
        ])
        #expect(corefile.serverBlocks[1].location.line == 19)
    }

    @Test("parses the NodeLocal DNSCache Corefile: four blocks, indented closing braces")
    func nodeLocalDNSCache() throws {
        let corefile = try Fixture.parse(Self.nodeLocalDNSCache)
        #expect(corefile.serverBlocks.map { $0.keys.map(\.description) } == [
            ["cluster.local.:53"], ["in-addr.arpa.:53"], ["ip6.arpa.:53"], [".:53"],
        ])
        #expect(corefile.serverBlocks.map(\.location.line) == [1, 16, 27, 38])
        let cache = try #require(corefile.serverBlocks[0].directives(named: "cache").first)
        #expect(Shape(cache) == Shape("cache", [], [Shape("success", ["9984", "30"]), Shape("denial", ["9984", "5"])]))
        #expect(corefile.serverBlocks.allSatisfy { $0.directives(named: "bind").first?.arguments.map(\.text) == ["169.254.20.10", "10.96.0.10"] })
    }

    @Test("CoreDNS's built-in default Corefile and the manual's examples parse", arguments: [
        ". {\n    whoami\n    log\n}\n",
        ". {\n   chaos CoreDNS-001\n}\n",
        "example.org {\n    whoami\n}\norg {\n    whoami\n}\n",
        "example.org org {\n    whoami\n}\n",
        "0.0.10.in-addr.arpa {\n    whoami\n}\n",
        "10.0.0.0/24 {\n    whoami\n}\n",
        "10.0.0.0/27 {\n    whoami\n}\n",
        "(mysnippet) {\n    log\n    whoami\n}\n\n. {\n    import mysnippet\n}\n",
    ])
    func manualExamples(_ text: String) throws {
        let corefile = try Fixture.parse(text)
        #expect(!corefile.serverBlocks.isEmpty)
        #expect(corefile.serverBlocks.allSatisfy { !$0.directives.isEmpty })
    }
}
