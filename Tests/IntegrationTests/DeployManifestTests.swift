import Foundation
import Testing

/// What the files under deploy/ promise each other: the image's default Corefile and the
/// ConfigMap's are the stock kubeadm Corefile, and the Deployment serves the file the ConfigMap
/// is mounted as. (Schema validation of the manifests is `make validate-manifests`, run by
/// `make test`, with the kubernetes-validate schemas.)
@Suite struct DeployManifestTests {
    static let deploy = StaticClosureTests.root.appendingPathComponent("deploy")

    static func read(_ path: String) throws -> String {
        try String(contentsOf: deploy.appendingPathComponent(path), encoding: .utf8)
    }

    @Test("deploy/Corefile and the ConfigMap's Corefile are the stock kubeadm Corefile, byte for byte")
    func corefiles() throws {
        #expect(try Self.read("Corefile") == KubeadmCorefileTests.kubeadm)
        let configMap = try Self.read("kubernetes/02-configmap.yaml")
        let lines = configMap.split(separator: "\n", omittingEmptySubsequences: false)
        let start = try #require(lines.firstIndex { $0.trimmingCharacters(in: .whitespaces) == "Corefile: |" })
        let body = lines[(start + 1)...].prefix { $0.hasPrefix("    ") || $0.isEmpty }
            .map { $0.isEmpty ? "" : String($0.dropFirst(4)) }
        #expect(body.joined(separator: "\n") == KubeadmCorefileTests.kubeadm)
    }

    @Test("the Deployment serves the mounted ConfigMap's Corefile, and the Containerfile's default is the same path")
    func commandLine() throws {
        let deployment = try Self.read("kubernetes/03-deployment.yaml")
        #expect(deployment.contains("args: [\"serve\", \"--conf\", \"/etc/clusterdns/Corefile\"]"))
        #expect(deployment.contains("mountPath: /etc/clusterdns"))
        #expect(deployment.contains("path: Corefile"))
        let containerfile = try Self.read("Containerfile")
        #expect(containerfile.contains("CMD [\"serve\", \"--conf\", \"/etc/clusterdns/Corefile\"]"))
        #expect(containerfile.contains("scripts/closure.sh .build-static/release/clusterdns /rootfs"))
    }
}
