import Foundation
import Testing
@testable import ClusterRegistry

/// In-cluster and kubeconfig resolution: what is taken, what is refused, and errors that say
/// what was looked for.
@Suite struct APIServerSettingsTests {
    static func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("api-settings-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test("in-cluster: server from the service environment, token and CA from the service-account directory")
    func inCluster() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try "tok\n".write(to: dir.appendingPathComponent("token"), atomically: true, encoding: .utf8)
        try "ca".write(to: dir.appendingPathComponent("ca.crt"), atomically: true, encoding: .utf8)
        let settings = try APIServerSettings.inCluster(
            environment: ["KUBERNETES_SERVICE_HOST": "fd00::1", "KUBERNETES_SERVICE_PORT": "443"], directory: dir.path)
        #expect(settings.server == "https://[fd00::1]:443")
        #expect(settings.tokenFile == dir.path + "/token")
        #expect(settings.certificateAuthorityFile == dir.path + "/ca.crt")
        #expect(settings.origin == "in-cluster")
        let token = BearerTokenSource(inline: nil, file: settings.tokenFile)
        #expect(token.current() == "tok")
    }

    @Test("in-cluster errors name the missing variable or file")
    func inClusterErrors() throws {
        #expect(throws: APIConfigError.self) { try APIServerSettings.inCluster(environment: [:], directory: "/nonexistent") }
        do {
            _ = try APIServerSettings.inCluster(environment: ["KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443"],
                                                directory: "/nonexistent")
            Issue.record("expected an error")
        } catch {
            #expect(error.message.contains("/nonexistent/token"))
        }
    }

    @Test("a rotated token file is read again after invalidate (a 401), not only every minute")
    func tokenRotation() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("token")
        try "one".write(to: file, atomically: true, encoding: .utf8)
        let source = BearerTokenSource(inline: nil, file: file.path)
        #expect(source.current() == "one")
        try "two".write(to: file, atomically: true, encoding: .utf8)
        #expect(source.current() == "one", "cached for up to a minute")
        source.invalidate()
        #expect(source.current() == "two")
    }

    static let kubeconfig = """
        apiVersion: v1
        kind: Config
        current-context: dev
        clusters:
        - name: c1
          cluster:
            server: https://127.0.0.1:6443/
            certificate-authority: certs/ca.pem
        - name: c2
          cluster:
            server: https://10.1.1.1
            certificate-authority-data: \(Data("PEM".utf8).base64EncodedString())
            insecure-skip-tls-verify: true
        users:
        - name: u1
          user:
            token: abc
        - name: u2
          user:
            client-certificate: /abs/cert.pem
            client-key-data: \(Data("KEY".utf8).base64EncodedString())
        - name: u3
          user:
            exec:
              command: aws
        contexts:
        - name: dev
          context: {cluster: c1, user: u1}
        - name: prod
          context: {cluster: c2, user: u2}
        - name: cloud
          context: {cluster: c1, user: u3}
        """

    @Test("kubeconfig: the current context or a named one; relative files from the kubeconfig's directory; data decoded")
    func kubeconfig() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("config").path
        try Self.kubeconfig.write(toFile: path, atomically: true, encoding: .utf8)
        let dev = try APIServerSettings.kubeconfig(path: path)
        #expect(dev.server == "https://127.0.0.1:6443")
        #expect(dev.certificateAuthorityFile == dir.path + "/certs/ca.pem")
        #expect(dev.token == "abc")
        let prod = try APIServerSettings.kubeconfig(path: path, context: "prod")
        #expect(prod.certificateAuthorityData == Array("PEM".utf8))
        #expect(prod.insecureSkipTLSVerify)
        #expect(prod.clientCertificateFile == "/abs/cert.pem")
        #expect(prod.clientKeyData == Array("KEY".utf8))
    }

    @Test("kubeconfig refusals: exec plugins, unknown contexts, missing files — each names the file")
    func kubeconfigErrors() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("config").path
        try Self.kubeconfig.write(toFile: path, atomically: true, encoding: .utf8)
        for (context, expected) in [("cloud", "exec credential plugin"), ("nope", "no context named 'nope'")] {
            do {
                _ = try APIServerSettings.kubeconfig(path: path, context: context)
                Issue.record("expected an error for \(context)")
            } catch {
                #expect(error.message.contains(expected), "\(error.message)")
                #expect(error.message.contains(path))
            }
        }
        #expect(throws: APIConfigError.self) { try APIServerSettings.kubeconfig(path: dir.path + "/missing") }
    }
}
