import DNSWire
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `autopath` in the real binary: `@kubernetes` over a manifest directory, with queries sent from
/// a loopback address that a pod of the cluster holds (so the server finds the client's
/// namespace), and a RESOLV-CONF path in front of `whoami`.
@Suite(.serialized) struct AutopathIntegrationTests {
    static let manifests = """
        apiVersion: v1
        kind: List
        items:
        - apiVersion: v1
          kind: Namespace
          metadata: {name: default}
        - apiVersion: v1
          kind: Namespace
          metadata: {name: other}
        - apiVersion: v1
          kind: Service
          metadata: {name: web, namespace: other}
          spec:
            type: ClusterIP
            clusterIP: 10.96.1.20
            clusterIPs: [10.96.1.20]
            ports: [{name: http, port: 80, protocol: TCP}]
        - apiVersion: v1
          kind: Service
          metadata: {name: api, namespace: default}
          spec:
            type: ClusterIP
            clusterIP: 10.96.0.30
            clusterIPs: [10.96.0.30]
            ports: [{name: http, port: 80, protocol: TCP}]
        - apiVersion: v1
          kind: Pod
          metadata: {name: client, namespace: default}
          spec:
            containers: [{name: c, image: busybox}]
          status:
            phase: Running
            podIP: 127.0.0.5
            podIPs: [{ip: 127.0.0.5}]
        """

    static let corefile = """
        .:{PORT} {
            autopath @kubernetes
            cache 30
            kubernetes cluster.local in-addr.arpa ip6.arpa {
                manifests {DIR}/manifests
                pods verified
            }
        }
        """

    /// One UDP exchange sent from `source` (a loopback address) to the server.
    static func query(_ name: String, _ type: RecordType, from source: String, port: UInt16, id: UInt16 = 7) throws -> Message {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        try #require(fd >= 0)
        defer { close(fd) }
        var tv = timeval(tv_sec: 3, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var local = sockaddr_in()
        local.sin_family = sa_family_t(AF_INET)
        inet_pton(AF_INET, source, &local.sin_addr)
        let bound = withUnsafePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(bound == 0, "bind \(source): \(String(cString: strerror(errno)))")
        var server = sockaddr_in()
        server.sin_family = sa_family_t(AF_INET)
        server.sin_port = port.bigEndian
        inet_pton(AF_INET, "127.0.0.1", &server.sin_addr)
        let wire = try #require(Message.query(id: id, name: try DomainName(name), type: type).encoded())
        let sent = wire.withUnsafeBytes { raw in
            withUnsafePointer(to: &server) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, raw.baseAddress, raw.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        try #require(sent == wire.count)
        var buffer = [UInt8](repeating: 0, count: 65_535)
        let n = recv(fd, &buffer, buffer.count, 0)
        try #require(n > 0, "no reply from the server")
        return try Message(parsing: Array(buffer[0..<n]))
    }

    @Test("a pod's query on its first search step is answered with a CNAME to the service in another namespace")
    func kubernetesPath() throws {
        let server = try ServerProcess(corefile: Self.corefile, files: ["manifests/cluster.yaml": Self.manifests])
        let reply = try Self.query("web.other.default.svc.cluster.local.", .a, from: "127.0.0.5", port: server.port, id: 91)
        #expect(reply.header.id == 91)
        #expect(reply.rcode == .noError)
        #expect(reply.questions.first?.name == "web.other.default.svc.cluster.local.")
        #expect(reply.answers.first?.type == .cname)
        #expect(reply.answers.first?.rdata == .cname("web.other.svc.cluster.local."))
        #expect(reply.answers.last?.rdata == .a(IPv4Address(10, 96, 1, 20)))
        // A name of the pod's own namespace: found on the first step, no CNAME.
        let own = try Self.query("api.default.svc.cluster.local.", .a, from: "127.0.0.5", port: server.port)
        #expect(own.answers.map(\.type) == [.a])
        // Cached: the same answer again (the cache sits before autopath, as in CoreDNS).
        let again = try Self.query("web.other.default.svc.cluster.local.", .a, from: "127.0.0.5", port: server.port)
        #expect(again.answers.map(\.type) == [.cname, .a])
    }

    @Test("an external name is found upstream through forward, after the cluster steps, in one client query")
    func externalThroughForward() throws {
        let upstream = try ScriptedUpstream(marker: IPv4Address(10, 9, 9, 9))
        let corefile = """
            .:{PORT} {
                autopath @kubernetes
                kubernetes cluster.local in-addr.arpa ip6.arpa {
                    manifests {DIR}/manifests
                    pods verified
                }
                forward . \(upstream.address)
            }
            """
        let server = try ServerProcess(corefile: corefile, files: ["manifests/cluster.yaml": Self.manifests])
        let reply = try Self.query("Google.com.default.svc.cluster.local.", .a, from: "127.0.0.5", port: server.port, id: 12)
        #expect(reply.header.id == 12)
        #expect(reply.rcode == .noError)
        #expect(reply.questions.first?.name.exactlyEquals("Google.com.default.svc.cluster.local.") == true)
        #expect(reply.answers.first?.rdata == .cname("google.com."))
        #expect(reply.answers.last?.rdata == .a(IPv4Address(10, 9, 9, 9)))
        // The cluster steps were answered by kubernetes; only the bare name went upstream.
        #expect(upstream.received.filter { $0.name.lowercased() != "." }.map { $0.name.lowercased() } == ["google.com."])
    }

    @Test("a client that is no known pod gets no autopath: the plain NXDOMAIN")
    func unknownClient() throws {
        let server = try ServerProcess(corefile: Self.corefile, files: ["manifests/cluster.yaml": Self.manifests])
        let reply = try Self.query("web.other.default.svc.cluster.local.", .a, from: "127.0.0.9", port: server.port)
        #expect(reply.rcode == .nameError)
        #expect(reply.answers.isEmpty)
    }

    @Test("when no step exists the reply to the name asked comes back")
    func nothingFound() throws {
        let server = try ServerProcess(corefile: Self.corefile, files: ["manifests/cluster.yaml": Self.manifests])
        let reply = try Self.query("missing.default.svc.cluster.local.", .a, from: "127.0.0.5", port: server.port)
        #expect(reply.rcode == .nameError)
        #expect(reply.answers.isEmpty)
        #expect(reply.questions.first?.name == "missing.default.svc.cluster.local.")
    }

    @Test("a name under the first search domain is answered through autopath's subrequest, question restored")
    func subrequestPath() throws {
        let server = try ServerProcess(corefile: ".:{PORT} {\n    autopath {DIR}/resolv.conf\n    whoami\n}\n",
                                       files: ["resolv.conf": "search default.svc.cluster.local svc.cluster.local cluster.local\n"])
        let reply = try server.client.query("Web.Default.svc.cluster.local.", .a, id: 55)
        #expect(reply.header.id == 55)
        #expect(reply.rcode == .noError)
        #expect(reply.questions.first?.name.exactlyEquals("Web.Default.svc.cluster.local.") == true)
        // whoami answered the subrequest: the client's address, seen through the parent query.
        #expect(reply.additionals.contains { $0.rdata == .a(IPv4Address(127, 0, 0, 1)) })
        #expect(reply.answers.isEmpty)                     // same name: no CNAME
        let tcp = try server.client.queryTCP("web.default.svc.cluster.local.", .a)
        #expect(tcp.rcode == .noError)
    }

    @Test("autopath @kubernetes without a kubernetes plugin is refused at the autopath line")
    func missingProvider() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("autopath-check-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("Corefile")
        try ".:53 {\n    whoami\n    autopath @kubernetes\n}\n".write(to: file, atomically: true, encoding: .utf8)
        let (status, output) = try runClusterDNS(["check", "--conf", file.path])
        #expect(status != 0)
        #expect(output.contains(":3: plugin/autopath: @kubernetes: there is no 'kubernetes' plugin in this server block"), "\(output)")
    }
}
