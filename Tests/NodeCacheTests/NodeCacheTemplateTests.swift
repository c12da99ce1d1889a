import Corefile
import DNSWire
import Foundation
import NodeCache
import Plugins
import Testing

@Suite struct NodeCacheTemplateTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let template = NodeCacheTemplate(
        localIPs: [IPAddress("169.254.20.10")!, IPAddress("10.96.0.10")!], clusterDNS: "10.96.0.11",
        upstreamServers: "/etc/resolv.conf", clusterDomain: "cluster.local")

    /// The ConfigMap's Corefile under deploy/kubernetes/node-cache, unindented.
    static func configMapCorefile() throws -> String {
        let text = try String(contentsOf: root.appendingPathComponent("deploy/kubernetes/node-cache/02-configmap.yaml"), encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let start = try #require(lines.firstIndex { $0.trimmingCharacters(in: .whitespaces) == "Corefile: |" })
        return lines[(start + 1)...].prefix { $0.hasPrefix("    ") || $0.isEmpty }
            .map { $0.isEmpty ? "" : String($0.dropFirst(4)) }.joined(separator: "\n")
    }

    @Test("the placeholders of node-cache's template are filled as node-cache fills them")
    func placeholders() throws {
        let text = """
            __PILLAR__DNS__DOMAIN__:53 {
                bind __PILLAR__LOCAL__DNS__ __PILLAR__DNS__SERVER__
                forward . __PILLAR__CLUSTER__DNS__ {
                    force_tcp
                }
                health __PILLAR__LOCAL__DNS__:8080
            }
            .:53 {
                forward . __PILLAR__UPSTREAM__SERVERS__
            }
            """
        let rendered = try Self.template.render(text)
        #expect(rendered == """
            cluster.local:53 {
                bind 169.254.20.10 10.96.0.10 \("")
                forward . 10.96.0.11 {
                    force_tcp
                }
                health 169.254.20.10:8080
            }
            .:53 {
                forward . /etc/resolv.conf
            }
            """)
    }

    @Test("a template that forwards to the cluster tier needs one; a template that does not, does not")
    func clusterDNSRequired() throws {
        var template = Self.template
        template.clusterDNS = nil
        #expect(throws: NodeCacheError.noClusterDNS) { try template.render("forward . __PILLAR__CLUSTER__DNS__") }
        #expect(try template.render(". {\n  whoami\n}\n") == ". {\n  whoami\n}\n")
    }

    @Test("the built-in Corefile renders into a valid configuration: four blocks, TCP to the tier, serve_stale")
    func builtIn() throws {
        let text = try Self.template.render(NodeCacheTemplate.builtIn(port: 53, healthPort: 8080, metricsAddress: ":9253"))
        #expect(!text.contains("__PILLAR__"))
        #expect(text.contains("bind 169.254.20.10 10.96.0.10\n"))
        #expect(text.contains("health 169.254.20.10:8080\n"))
        #expect(text.contains("success 9984 30"))
        #expect(text.contains("denial 9984 5"))
        #expect(text.components(separatedBy: "serve_stale 1h").count == 5)
        #expect(text.components(separatedBy: "force_tcp").count == 4)
        let corefile = try Corefile.parse(text: text, fileName: "Corefile", baseDirectory: "/")
        let configuration = try ServerConfiguration.build(corefile, manifestsDirectory: nil, baseDirectory: "/")
        #expect(configuration.blocks.count == 4)
    }

    @Test("deploy/kubernetes/node-cache's ConfigMap is node-cache's template and renders into a valid configuration")
    func deployConfigMap() throws {
        let text = try Self.configMapCorefile()
        for placeholder in ["__PILLAR__DNS__DOMAIN__", "__PILLAR__LOCAL__DNS__", "__PILLAR__DNS__SERVER__",
                            "__PILLAR__CLUSTER__DNS__", "__PILLAR__UPSTREAM__SERVERS__"] {
            #expect(text.contains(placeholder), "\(placeholder)")
        }
        let rendered = try Self.template.render(text)
        let corefile = try Corefile.parse(text: rendered, fileName: "Corefile", baseDirectory: "/")
        let configuration = try ServerConfiguration.build(corefile, manifestsDirectory: nil, baseDirectory: "/")
        #expect(configuration.blocks.count == 4)
    }

    @Test("the cluster tier comes from the Service's environment variables, as the kubelet names them")
    func clusterTier() throws {
        #expect(ClusterTier.hostVariable(service: "kube-dns-upstream") == "KUBE_DNS_UPSTREAM_SERVICE_HOST")
        let env = ["KUBE_DNS_UPSTREAM_SERVICE_HOST": "10.96.0.11", "KUBE_DNS_UPSTREAM_SERVICE_PORT": "53"]
        #expect(try ClusterTier.target(override: nil, service: "kube-dns-upstream", environment: env) == "10.96.0.11")
        let v6 = ["KUBE_DNS_SERVICE_HOST": "fd00::a", "KUBE_DNS_SERVICE_PORT": "5353"]
        #expect(try ClusterTier.target(override: nil, service: "kube-dns", environment: v6) == "[fd00::a]:5353")
        #expect(try ClusterTier.target(override: nil, service: "kube-dns", environment: [:]) == nil)
        #expect(try ClusterTier.target(override: "10.0.2.2:5300", service: "kube-dns", environment: env) == "10.0.2.2:5300")
        #expect(throws: NodeCacheError.badClusterDNS(variable: "KUBE_DNS_SERVICE_HOST", value: "kube-dns")) {
            try ClusterTier.target(override: nil, service: "kube-dns", environment: ["KUBE_DNS_SERVICE_HOST": "kube-dns"])
        }
        #expect(throws: NodeCacheError.badClusterDNS(variable: "--cluster-dns", value: "10.0.0.1:x")) {
            try ClusterTier.target(override: "10.0.0.1:x", service: "kube-dns", environment: [:])
        }
    }
}
