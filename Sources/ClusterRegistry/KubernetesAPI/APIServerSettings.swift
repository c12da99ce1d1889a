import Foundation
import Yams

/// Where the API server is and how to prove who we are: the union of what in-cluster
/// configuration, a kubeconfig, and CoreDNS's `endpoint` + `tls` options can say.
///
/// Settings are resolved when the Corefile is read (so `clusterdns check` reports a missing
/// service-account token or a kubeconfig without the named context at the directive's line);
/// files they name (token, certificates) are read again by the client when it connects.
public struct APIServerSettings: Sendable, Hashable, CustomStringConvertible {
    /// `https://host:port` (or `http://` for a plain endpoint), without a trailing slash.
    public var server: String
    /// PEM trust anchors for the server's certificate: a file, or inline data from a kubeconfig.
    public var certificateAuthorityFile: String?
    public var certificateAuthorityData: [UInt8]?
    public var insecureSkipTLSVerify = false
    /// A client certificate and key (PEM), as files or inline data.
    public var clientCertificateFile: String?
    public var clientCertificateData: [UInt8]?
    public var clientKeyFile: String?
    public var clientKeyData: [UInt8]?
    /// A bearer token given inline (kubeconfig `token`).
    public var token: String?
    /// A bearer token read from a file, re-read at most every minute and at once after a 401:
    /// projected service-account tokens are rotated by the kubelet.
    public var tokenFile: String?
    /// Where these settings came from, for logs and errors ("in-cluster", "kubeconfig FILE").
    public var origin: String

    public init(server: String, origin: String) {
        self.server = server
        self.origin = origin
    }

    public var description: String { "\(server) (\(origin))" }

    /// The host and port of `server`, for messages and for TLS name checks.
    public var hostAndPort: (scheme: String, host: String, port: Int)? {
        guard let url = URL(string: server), let scheme = url.scheme, let host = url.host else { return nil }
        return (scheme, host, url.port ?? (scheme == "https" ? 443 : 80))
    }
}

/// Why API settings could not be resolved: says what was looked for.
public struct APIConfigError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

// MARK: - In-cluster

extension APIServerSettings {
    /// Where the kubelet mounts a pod's service-account credentials.
    public static let serviceAccountDirectory = "/var/run/secrets/kubernetes.io/serviceaccount"

    /// The API server as a pod sees it: `https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT`
    /// with the service-account token and CA (client-go's `InClusterConfig`).
    /// - Throws: naming the missing variable or file.
    public static func inCluster(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        directory: String = serviceAccountDirectory
    ) throws(APIConfigError) -> APIServerSettings {
        guard let host = environment["KUBERNETES_SERVICE_HOST"], !host.isEmpty,
              let port = environment["KUBERNETES_SERVICE_PORT"], !port.isEmpty else {
            throw APIConfigError("not running in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set")
        }
        guard let portNumber = Int(port), (1...65535).contains(portNumber) else {
            throw APIConfigError("KUBERNETES_SERVICE_PORT=\(port) is not a port number")
        }
        let token = directory + "/token"
        guard FileManager.default.isReadableFile(atPath: token) else {
            throw APIConfigError("in-cluster configuration: no service-account token at \(token)")
        }
        let bracketed = host.contains(":") ? "[\(host)]" : host
        var settings = APIServerSettings(server: "https://\(bracketed):\(portNumber)", origin: "in-cluster")
        settings.tokenFile = token
        let ca = directory + "/ca.crt"
        if FileManager.default.isReadableFile(atPath: ca) { settings.certificateAuthorityFile = ca }
        return settings
    }
}

// MARK: - kubeconfig

extension APIServerSettings {
    /// The cluster and user of `context` (or the current context) in the kubeconfig at `path`.
    ///
    /// Supports what a server can use without running programs: server, CA file or data,
    /// `insecure-skip-tls-verify`, token, `tokenFile`, client certificate and key as files or
    /// data. `exec` and `auth-provider` credentials are refused with a clear message (they run
    /// external programs). Relative paths are relative to the kubeconfig's directory.
    public static func kubeconfig(path: String, context: String? = nil) throws(APIConfigError) -> APIServerSettings {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw APIConfigError("kubeconfig \(path): cannot read: \(error.localizedDescription)")
        }
        let root: Node
        do {
            guard let parsed = try Yams.compose(yaml: text) else { throw APIConfigError("kubeconfig \(path): empty file") }
            root = parsed
        } catch let error as APIConfigError {
            throw error
        } catch {
            throw APIConfigError("kubeconfig \(path): not YAML: \(error)")
        }
        let base = (path as NSString).deletingLastPathComponent
        return try Kubeconfig(root: root, path: path, base: base.isEmpty ? "." : base).settings(context: context)
    }
}

/// Reads the parts of a kubeconfig a DNS server needs, with errors naming the file and field.
private struct Kubeconfig {
    let root: Node
    let path: String
    let base: String

    func fail(_ message: String) -> APIConfigError { APIConfigError("kubeconfig \(path): \(message)") }

    func named(_ list: String, _ name: String) throws(APIConfigError) -> Node {
        guard let items = root[list]?.sequence else { throw fail("no `\(list)` list") }
        for item in items where item["name"]?.string == name {
            let inner = String(list.dropLast())  // clusters → cluster
            guard let body = item[inner] else { throw fail("\(list) entry '\(name)' has no `\(inner)`") }
            return body
        }
        throw fail("no \(list.dropLast()) named '\(name)'")
    }

    func resolve(_ file: String) -> String { file.hasPrefix("/") ? file : base + "/" + file }

    func data(_ node: Node, _ key: String) throws(APIConfigError) -> [UInt8]? {
        guard let text = node[key]?.string else { return nil }
        guard let data = Data(base64Encoded: text.filter { !$0.isWhitespace }) else { throw fail("\(key) is not base64") }
        return Array(data)
    }

    func settings(context wanted: String?) throws(APIConfigError) -> APIServerSettings {
        guard let contextName = wanted ?? root["current-context"]?.string, !contextName.isEmpty else {
            throw fail("no context given and no current-context set")
        }
        let context = try named("contexts", contextName)
        guard let clusterName = context["cluster"]?.string else { throw fail("context '\(contextName)' names no cluster") }
        let cluster = try named("clusters", clusterName)
        guard let server = cluster["server"]?.string, !server.isEmpty else { throw fail("cluster '\(clusterName)' has no server") }
        var settings = APIServerSettings(
            server: server.hasSuffix("/") ? String(server.dropLast()) : server,
            origin: "kubeconfig \(path) context \(contextName)")
        if let file = cluster["certificate-authority"]?.string { settings.certificateAuthorityFile = resolve(file) }
        settings.certificateAuthorityData = try data(cluster, "certificate-authority-data")
        settings.insecureSkipTLSVerify = cluster["insecure-skip-tls-verify"]?.bool ?? false
        if let userName = context["user"]?.string, !userName.isEmpty {
            let user = try named("users", userName)
            if user["exec"] != nil {
                throw fail("user '\(userName)' uses an exec credential plugin, which ClusterDNS does not run; use a token, tokenFile or client certificate")
            }
            if user["auth-provider"] != nil {
                throw fail("user '\(userName)' uses an auth-provider, which ClusterDNS does not support; use a token, tokenFile or client certificate")
            }
            if user["username"] != nil || user["password"] != nil {
                throw fail("user '\(userName)' uses basic authentication, which Kubernetes removed; use a token or client certificate")
            }
            settings.token = user["token"]?.string
            if let file = user["tokenFile"]?.string { settings.tokenFile = resolve(file) }
            if let file = user["client-certificate"]?.string { settings.clientCertificateFile = resolve(file) }
            settings.clientCertificateData = try data(user, "client-certificate-data")
            if let file = user["client-key"]?.string { settings.clientKeyFile = resolve(file) }
            settings.clientKeyData = try data(user, "client-key-data")
            let hasCertificate = settings.clientCertificateFile != nil || settings.clientCertificateData != nil
            let hasKey = settings.clientKeyFile != nil || settings.clientKeyData != nil
            if hasCertificate != hasKey { throw fail("user '\(userName)' has a client certificate without its key, or a key without its certificate") }
        }
        return settings
    }
}
