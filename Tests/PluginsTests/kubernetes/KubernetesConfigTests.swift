import ClusterRegistry
import Corefile
import DNSWire
import Foundation
import Testing
@testable import Plugins

/// `kubernetes` directive parsing: defaults, every option, and every error at file:line.
@Suite struct KubernetesConfigTests {
    /// Parses `text` as a whole Corefile (file `Corefile`, base directory /base) and returns the
    /// kubernetes configuration of its first block.
    static func config(_ text: String, manifests: String? = nil) throws -> KubernetesConfig {
        let corefile = try Corefile.parse(text: text, fileName: "Corefile", baseDirectory: "/base")
        let configuration = try ServerConfiguration.build(corefile, manifestsDirectory: manifests, baseDirectory: "/base")
        let plugin = try #require(configuration.blocks.first?.factories.first { $0.name == "kubernetes" } as? KubernetesPlugin)
        return plugin.config
    }

    /// The error `text` produces, as printed.
    static func error(_ text: String, manifests: String? = nil) -> String? {
        do {
            let corefile = try Corefile.parse(text: text, fileName: "Corefile", baseDirectory: "/base")
            _ = try ServerConfiguration.build(corefile, manifestsDirectory: manifests, baseDirectory: "/base")
            return nil
        } catch {
            return "\(error)"
        }
    }

    static func block(_ body: String, zones: String = "cluster.local in-addr.arpa ip6.arpa") -> String {
        ".:53 {\n    kubernetes \(zones) {\n        manifests m\n\(body.split(separator: "\n").map { "        " + $0 }.joined(separator: "\n"))\n    }\n}\n"
    }

    @Test("defaults: CoreDNS's (ttl 5, pods disabled, no options), zones as given, the first forward zone primary")
    func defaults() throws {
        let config = try Self.config(Self.block(""))
        #expect(config.zones.map(\.description) == ["cluster.local.", "in-addr.arpa.", "ip6.arpa."])
        #expect(config.primaryZone.description == "cluster.local.")
        #expect(config.ttl == 5)
        #expect(config.pods == .disabled)
        #expect(!config.endpointPodNames && !config.noEndpoints && !config.ignoreEmptyService)
        #expect(config.namespaces == nil && config.namespaceLabels == nil && config.labels == nil)
        #expect(config.fallthroughZones == nil)
        #expect(config.manifests == "/base/m")
    }

    @Test("zones default to the server block's; the primary zone is the first forward one; zones are lowercased")
    func zones() throws {
        let fromBlock = try Self.config("Cluster.Local:53 in-addr.arpa:53 {\n kubernetes {\n  manifests /m\n }\n}\n")
        #expect(fromBlock.zones.map(\.description) == ["cluster.local.", "in-addr.arpa."])
        let reverseFirst = try Self.config(Self.block("", zones: "in-addr.arpa Example.ORG cluster.local"))
        #expect(reverseFirst.primaryZone.description == "example.org.")
    }

    @Test("every option parses into the typed configuration")
    func everyOption() throws {
        let config = try Self.config(Self.block("""
            pods verified
            endpoint_pod_names
            ttl 3600
            namespaces Prod staging
            labels app=web,tier!=db
            noendpoints
            fallthrough in-addr.arpa ip6.arpa
            ignore empty_service
            startup_timeout 10s
            """))
        #expect(config.pods == .verified)
        #expect(config.endpointPodNames && config.noEndpoints && config.ignoreEmptyService)
        #expect(config.ttl == 3600)
        #expect(config.namespaces == ["prod", "staging"])
        #expect(config.labels != nil)
        #expect(config.fallthroughZones?.map(\.description) == ["in-addr.arpa.", "ip6.arpa."])
        #expect(try Self.config(Self.block("ttl 0")).ttl == 0)
        #expect(try Self.config(Self.block("pods insecure")).pods == .insecure)
        #expect(try Self.config(Self.block("pods disabled")).pods == .disabled)
        #expect(try Self.config(Self.block("namespace_labels team in (a,b)")).namespaceLabels != nil)
        // `fallthrough` alone: every zone of the plugin.
        #expect(try Self.config(Self.block("fallthrough")).fallthroughZones?.map(\.description)
                == ["cluster.local.", "in-addr.arpa.", "ip6.arpa."])
    }

    @Test("the API as a source: endpoint with tls files relative to the Corefile; kubeconfig errors at its line; startup_timeout")
    func apiSource() throws {
        let config = try Self.config(".:53 {\n kubernetes cluster.local {\n  endpoint https://127.0.0.1:6443/\n  tls c.pem k.pem /ca.pem\n  startup_timeout 2s\n }\n}\n")
        guard case .api(let settings) = config.source else {
            Issue.record("expected the API source, found \(config.source)")
            return
        }
        #expect(settings.server == "https://127.0.0.1:6443")
        #expect(settings.clientCertificateFile == "/base/c.pem" && settings.clientKeyFile == "/base/k.pem")
        #expect(settings.certificateAuthorityFile == "/ca.pem")
        #expect(config.startupTimeout == .seconds(2))
        #expect(config.manifests == nil)
        let missing = Self.error(".:53 {\n kubernetes cluster.local {\n  kubeconfig /nonexistent/kubeconfig\n }\n}\n")
        #expect(missing?.hasPrefix("Corefile:3: plugin/kubernetes: kubeconfig: kubeconfig /nonexistent/kubeconfig: cannot read") == true, "\(missing ?? "")")
        // --manifests wins over the in-cluster default (how tests and `make serve` run the kubeadm Corefile).
        #expect(try Self.config(".:53 {\n kubernetes cluster.local\n}\n", manifests: "/cli").source == .manifests("/cli"))
    }

    @Test("the manifest directory: relative to the Corefile, absolute as given, else --manifests")
    func manifests() throws {
        #expect(try Self.config(".:53 {\n kubernetes cluster.local {\n  manifests /abs/dir\n }\n}\n").manifests == "/abs/dir")
        #expect(try Self.config(".:53 {\n kubernetes cluster.local\n}\n", manifests: "/cli").manifests == "/cli")
        #expect(try Self.config(".:53 {\n kubernetes cluster.local {\n  manifests rel\n }\n}\n", manifests: "/cli").manifests == "/base/rel")
    }

    /// (Corefile body inside the kubernetes block, expected error text after `Corefile:<line>: `).
    static let errors: [(String, String)] = [
        ("ttl 3601", "plugin/kubernetes: ttl: 3601 is out of range — expected an integer in 0...3600"),
        ("ttl -1", "plugin/kubernetes: ttl: -1 is out of range — expected an integer in 0...3600"),
        ("ttl five", "plugin/kubernetes: ttl: 'five' is not an integer — expected one in 0...3600"),
        ("ttl", "plugin/kubernetes: ttl: expected 1 argument, found 0"),
        ("ttl 1 2", "plugin/kubernetes: ttl: expected 1 argument, found 2 ('2' is one too many)"),
        ("pods bogus", "plugin/kubernetes: pods: expected disabled, insecure or verified, found 'bogus'"),
        ("pods", "plugin/kubernetes: pods: expected 1 argument, found 0"),
        ("endpoint_pod_names yes", "plugin/kubernetes: endpoint_pod_names: expected no arguments, found 1 ('yes' is one too many)"),
        ("noendpoints yes", "plugin/kubernetes: noendpoints: expected no arguments, found 1 ('yes' is one too many)"),
        ("namespaces", "plugin/kubernetes: namespaces: expected at least 1 argument, found 0"),
        ("namespace_labels", "plugin/kubernetes: namespace_labels: expected at least 1 argument, found 0"),
        ("labels", "plugin/kubernetes: labels: expected at least 1 argument, found 0"),
        ("ignore", "plugin/kubernetes: ignore: expected 1 argument, found 0"),
        ("ignore empty", "plugin/kubernetes: ignore: expected 'empty_service', found 'empty'"),
        ("manifests", "plugin/kubernetes: manifests: expected 1 argument, found 0"),
        ("manifests a b", "plugin/kubernetes: manifests: expected 1 argument, found 2 ('b' is one too many)"),
        ("startup_timeout soon", "plugin/kubernetes: startup_timeout:"),
        ("endpoint https://10.0.0.1:6443", "plugin/kubernetes: endpoint: cannot be combined with `manifests`"),
        ("kubeconfig /root/.kube/config", "plugin/kubernetes: kubeconfig: cannot be combined with `manifests`"),
        ("tls cert key ca", "plugin/kubernetes: tls: cannot be combined with `manifests`"),
        ("endpoint ftp://10.0.0.1", "plugin/kubernetes: endpoint: expected an http:// or https:// URL, found 'ftp://10.0.0.1'"),
        ("endpoint", "plugin/kubernetes: endpoint: expected 1 argument, found 0"),
        ("tls cert key", "plugin/kubernetes: tls: expected 3 arguments, found 2"),
        ("kubeconfig a b c", "plugin/kubernetes: kubeconfig: expected KUBECONFIG [CONTEXT], found 3 arguments"),
        ("apiserver_qps 10", "plugin/kubernetes: apiserver_qps: not supported yet by ClusterDNS"),
        ("multicluster clusterset.local", "plugin/kubernetes: multicluster: not supported yet by ClusterDNS"),
        ("zonal", "plugin/kubernetes: zonal: not supported yet by ClusterDNS"),
        ("upstream", "plugin/kubernetes: unknown property 'upstream'"),
        ("resyncperiod 30s", "plugin/kubernetes: unknown property 'resyncperiod'"),
        ("frobnicate", "plugin/kubernetes: unknown property 'frobnicate'"),
    ]

    @Test("every property's error names the Corefile line, the plugin and the property")
    func propertyErrors() {
        for (body, expected) in Self.errors {
            // The property is on line 4: `.:53 {`, `kubernetes … {`, `manifests m`, then it.
            let text = Self.error(Self.block(body))
            #expect(text?.hasPrefix("Corefile:4: " + expected) == true, "\(body): \(text ?? "no error")")
        }
    }

    @Test("bad label selectors are reported with the selector's own reason")
    func badSelectors() {
        for body in ["labels app in", "namespace_labels team notin (", "labels !!"] {
            let text = Self.error(Self.block(body))
            #expect(text?.hasPrefix("Corefile:4: plugin/kubernetes:") == true && text?.contains("bad label selector") == true,
                    "\(body): \(text ?? "no error")")
        }
    }

    @Test("block-level errors: no source, both namespace filters, no forward zone, twice in a block, a bad zone")
    func blockErrors() {
        #expect(Self.error(".:53 {\n    kubernetes cluster.local\n}\n")
                == "Corefile:2: plugin/kubernetes: no object source: looked for `manifests DIR`, `endpoint URL` or `kubeconfig FILE` in the block, --manifests DIR on the command line, and in-cluster configuration (not running in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set)")
        #expect(Self.error(Self.block("namespaces a\nnamespace_labels team=a"))
                == "Corefile:2: plugin/kubernetes: namespaces and namespace_labels cannot both be set")
        #expect(Self.error(Self.block("", zones: "in-addr.arpa ip6.arpa"))
                == "Corefile:2: plugin/kubernetes: at least one zone must be a forward zone (not in-addr.arpa or ip6.arpa)")
        let twice = Self.error(".:53 {\n kubernetes cluster.local {\n  manifests m\n }\n kubernetes example.org {\n  manifests m\n }\n}\n")
        #expect(twice?.hasPrefix("Corefile:5: plugin/kubernetes: this plugin can only be used once per server block") == true, "\(twice ?? "")")
        let badZone = Self.error(Self.block("", zones: "cluster..local"))
        #expect(badZone?.hasPrefix("Corefile:2: plugin/kubernetes:") == true, "\(badZone ?? "")")
        let badFallthrough = Self.error(Self.block("fallthrough a..b"))
        #expect(badFallthrough?.hasPrefix("Corefile:4: plugin/kubernetes: fallthrough:") == true, "\(badFallthrough ?? "")")
    }
}
