import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The fake Kubernetes API server (`Tests/FakeAPIServer/fake_apiserver.py`) on loopback, with
/// TLS from a CA made for the test, a bearer token, and its control API driven through curl.
final class FakeAPIServer {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let script = root.appendingPathComponent("Tests/FakeAPIServer/fake_apiserver.py").path

    static var available: Bool {
        FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl") && FileManager.default.fileExists(atPath: script)
    }

    let directory: URL
    let process = Process()
    private(set) var port: UInt16 = 0
    private(set) var controlPort: UInt16 = 0
    var token: String
    var url: String { "https://127.0.0.1:\(port)" }
    var caFile: String { directory.appendingPathComponent("ca.crt").path }
    var clientCertificate: String { directory.appendingPathComponent("client.crt").path }
    var clientKey: String { directory.appendingPathComponent("client.key").path }
    var tokenFile: String { directory.appendingPathComponent("token").path }
    var log: String { (try? String(contentsOf: directory.appendingPathComponent("fake.log"), encoding: .utf8)) ?? "" }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Starts the fake with `objects` (JSON texts of whole objects) loaded.
    init(objects: [String], token: String = "token-1", arguments: [String] = []) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("fake-api-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        self.token = token
        try Self.makeCertificates(in: directory)
        try token.write(toFile: tokenFile, atomically: true, encoding: .utf8)
        let seed = directory.appendingPathComponent("seed.json")
        try "{\"items\":[\(objects.joined(separator: ",\n"))]}".write(to: seed, atomically: true, encoding: .utf8)
        let log = directory.appendingPathComponent("fake.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Self.script, "--port", "0",
                             "--port-file", directory.appendingPathComponent("port").path,
                             "--control-port-file", directory.appendingPathComponent("control-port").path,
                             "--tls-cert", directory.appendingPathComponent("server.crt").path,
                             "--tls-key", directory.appendingPathComponent("server.key").path,
                             "--client-ca", directory.appendingPathComponent("ca.crt").path,
                             "--token", token, "--seed", seed.path] + arguments
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            if let p = Self.readPort(directory.appendingPathComponent("port")), let c = Self.readPort(directory.appendingPathComponent("control-port")) {
                port = p
                controlPort = c
                return
            }
            guard process.isRunning else { break }
            usleep(20_000)
        }
        throw Failure(description: "the fake API server did not start:\n\(self.log)")
    }

    deinit {
        if process.isRunning {
            process.terminate()
            let deadline = ContinuousClock.now + .seconds(3)
            while process.isRunning && ContinuousClock.now < deadline { usleep(20_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    private static func readPort(_ url: URL) -> UInt16? {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return nil }
        return UInt16(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// A CA, a server certificate for IP 127.0.0.1, and a client certificate, made with openssl.
    static func makeCertificates(in directory: URL) throws {
        let d = directory.path
        let script = """
            set -e
            cd '\(d)'
            openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 -subj /CN=fake-api-ca
            openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=127.0.0.1
            printf 'subjectAltName=IP:127.0.0.1\\n' > server.ext
            openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 2 -extfile server.ext
            openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj /CN=clusterdns
            openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out client.crt -days 2
            """
        let (status, output) = try Curl.run("/bin/bash", ["-c", script])
        guard status == 0 else { throw Failure(description: "openssl failed: \(output)") }
    }

    /// A kubeconfig naming this server, its CA, and the token inline or as a token file.
    func kubeconfig(tokenFromFile: Bool = false) -> String {
        """
        apiVersion: v1
        kind: Config
        current-context: test
        clusters:
        - name: fake
          cluster:
            server: \(url)
            certificate-authority: \(caFile)
        users:
        - name: clusterdns
          user:
            \(tokenFromFile ? "tokenFile: \(tokenFile)" : "token: \(token)")
        contexts:
        - name: test
          context: {cluster: fake, user: clusterdns}
        """
    }

    // MARK: Control API

    @discardableResult
    func control(_ method: String, _ path: String, _ body: String? = nil) throws -> String {
        var arguments = ["curl", "-s", "--max-time", "10", "-X", method]
        if let body { arguments += ["-H", "Content-Type: application/json", "--data-binary", "@-"] }
        arguments.append("http://127.0.0.1:\(controlPort)\(path)")
        let (status, output) = try Curl.run("/usr/bin/env", arguments, input: body.map { Data($0.utf8) })
        guard status == 0 else { throw Failure(description: "control \(method) \(path) failed: \(output)") }
        return output
    }

    func apply(_ object: String) throws { try control("POST", "/fake/objects", object) }

    func delete(_ resource: String, _ namespace: String, _ name: String) throws {
        try control("DELETE", "/fake/objects/\(resource)/\(namespace)/\(name)")
    }

    /// `/fake/stats`, parsed.
    func stats() throws -> [String: Any] {
        let text = try control("GET", "/fake/stats")
        return (try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]) ?? [:]
    }

    /// A counter of `/fake/stats` (`lists`, `watches`, `watchlists`, `pages`) for one resource.
    func count(_ counter: String, _ resource: String) throws -> Int {
        ((try stats()[counter] as? [String: Any])?[resource] as? Int) ?? 0
    }

    func rotateToken(_ new: String) throws {
        try control("POST", "/fake/token", "{\"token\": \"\(new)\"}")
        token = new
    }

    // MARK: Objects

    static func namespace(_ name: String) -> String {
        #"{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"\#(name)"}}"#
    }

    static func service(_ name: String, _ namespace: String, clusterIP: String, port: Int = 80) -> String {
        #"{"kind":"Service","apiVersion":"v1","metadata":{"name":"\#(name)","namespace":"\#(namespace)","labels":{"app":"\#(name)"}},"spec":{"type":"ClusterIP","clusterIP":"\#(clusterIP)","clusterIPs":["\#(clusterIP)"],"selector":{"app":"\#(name)"},"ports":[{"name":"http","port":\#(port),"protocol":"TCP","targetPort":8080}]}}"#
    }

    static func headless(_ name: String, _ namespace: String) -> String {
        #"{"kind":"Service","apiVersion":"v1","metadata":{"name":"\#(name)","namespace":"\#(namespace)"},"spec":{"clusterIP":"None","clusterIPs":["None"],"selector":{"app":"\#(name)"},"ports":[{"name":"tcp","port":5432,"protocol":"TCP"}]}}"#
    }

    static func slice(_ name: String, _ namespace: String, service: String, addresses: [String]) -> String {
        let endpoints = addresses.map { #"{"addresses":["\#($0)"],"conditions":{"ready":true}}"# }.joined(separator: ",")
        return #"{"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"name":"\#(name)","namespace":"\#(namespace)","labels":{"kubernetes.io/service-name":"\#(service)"}},"addressType":"IPv4","ports":[{"name":"tcp","port":5432,"protocol":"TCP"}],"endpoints":[\#(endpoints)]}"#
    }
}
