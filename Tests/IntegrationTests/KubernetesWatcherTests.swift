import DNSWire
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The manifest directory is watched: edits are served without a restart, the SOA serial moves,
/// and a broken edit keeps the last good objects of that file serving.
@Suite(.serialized) struct KubernetesWatcherTests {
    /// Writes `text` to `directory/name` atomically: a hidden temporary file (the watcher skips
    /// names starting with `.`), then rename(2) over the target, as editors and ConfigMaps do.
    static func write(_ text: String, to name: String, in directory: URL) throws {
        let temporary = directory.appendingPathComponent(".\(name).tmp")
        try text.write(to: temporary, atomically: false, encoding: .utf8)
        guard rename(temporary.path, directory.appendingPathComponent(name).path) == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "rename: \(String(cString: strerror(errno)))"])
        }
    }

    static func service(_ name: String, ip: String) -> String {
        """
        apiVersion: v1
        kind: Service
        metadata: {name: \(name), namespace: testns}
        spec:
          clusterIP: \(ip)
          ports: [{name: http, port: 80, protocol: TCP}]

        """
    }

    static func serial(_ server: ServerProcess) throws -> UInt32? {
        let reply = try server.client.query("cluster.local.", .soa)
        if case .soa(let soa)? = reply.answers.first?.rdata { return soa.serial }
        return nil
    }

    static func addresses(_ server: ServerProcess, _ name: String) throws -> [String] {
        let reply = try server.client.query(svc(name), .a)
        return reply.rcode == .nameError ? ["NXDOMAIN"] : reply.answers.map(\.rdata.presentation)
    }

    static func start() throws -> (ServerProcess, URL) {
        let server = try ServerProcess(corefile: KubernetesFixtures.corefile(),
                                       files: try KubernetesFixtures.files(["namespaces.yaml", "services.yaml"]))
        return (server, server.directory.appendingPathComponent("cluster"))
    }

    @Test("a new file is served, a changed IP is served, a deleted file's names are gone; the serial moves each time")
    func addChangeDelete() throws {
        let (server, directory) = try Self.start()
        let first = try #require(try Self.serial(server))
        #expect(try Self.addresses(server, "added") == ["NXDOMAIN"])
        // The serial has one-second resolution: let a second pass so a change must move it.
        usleep(1_100_000)
        try Self.write(Self.service("added", ip: "10.0.5.1"), to: "added.yaml", in: directory)
        #expect(try ServerProcess.eventually { try Self.addresses(server, "added") == ["10.0.5.1"] }, "the new service resolves")
        let second = try #require(try Self.serial(server))
        #expect(second > first, "serial moved on add: \(first) → \(second)")
        #expect(try Self.addresses(server, "svc1") == ["10.0.0.1"], "the rest keeps serving")

        usleep(1_100_000)
        try Self.write(Self.service("added", ip: "10.0.5.2"), to: "added.yaml", in: directory)
        #expect(try ServerProcess.eventually { try Self.addresses(server, "added") == ["10.0.5.2"] }, "the changed IP is served")
        let third = try #require(try Self.serial(server))
        #expect(third > second, "serial moved on change")
        let ptr = try server.client.query("2.5.0.10.in-addr.arpa.", .ptr)
        #expect(ptr.answers.first?.rdata == .ptr(try DomainName(svc("added"))), "PTR follows the new IP")

        usleep(1_100_000)
        #expect(unlink(directory.appendingPathComponent("added.yaml").path) == 0)
        #expect(try ServerProcess.eventually { try Self.addresses(server, "added") == ["NXDOMAIN"] }, "deleted file: NXDOMAIN")
        let fourth = try #require(try Self.serial(server))
        #expect(fourth > third, "serial moved on delete")
        #expect(try Self.addresses(server, "svc1") == ["10.0.0.1"])
    }

    @Test("a file that stops parsing, or gains an invalid object, keeps its last good objects; fixing it serves the new content")
    func brokenFile() throws {
        let (server, directory) = try Self.start()
        try Self.write(Self.service("keep", ip: "10.0.6.1") + "---\n" + Self.service("keep2", ip: "10.0.6.2"), to: "edit.yaml", in: directory)
        #expect(try ServerProcess.eventually { try Self.addresses(server, "keep2") == ["10.0.6.2"] })

        // A YAML syntax error: the whole previous version of the file stays.
        try Self.write(Self.service("keep", ip: "10.0.6.9") + "---\n" + Self.service("fresh", ip: "10.0.6.4")
                       + "  broken: [unclosed\n", to: "edit.yaml", in: directory)
        #expect(ServerProcess.eventually { server.log.contains("edit.yaml") }, "the error is logged\n\(server.log)")
        #expect(try Self.addresses(server, "keep") == ["10.0.6.1"])
        #expect(try Self.addresses(server, "keep2") == ["10.0.6.2"])
        #expect(try Self.addresses(server, "fresh") == ["NXDOMAIN"])
        #expect(try Self.addresses(server, "svc1") == ["10.0.0.1"])

        // One invalid object: that object's last good version stays, the rest of the file is new.
        try Self.write(Self.service("keep", ip: "10.0.6.300") + "---\n" + Self.service("keep2", ip: "10.0.6.3")
                       + "---\n" + Self.service("fresh", ip: "10.0.6.4"), to: "edit.yaml", in: directory)
        #expect(try ServerProcess.eventually { try Self.addresses(server, "fresh") == ["10.0.6.4"] }, "the valid objects are served")
        #expect(try Self.addresses(server, "keep") == ["10.0.6.1"], "the invalid object's last good version is kept")
        #expect(try Self.addresses(server, "keep2") == ["10.0.6.3"])
        #expect(server.log.contains("10.0.6.300"), "the invalid object is reported\n\(server.log)")

        // Fixed: the new content is served.
        try Self.write(Self.service("keep", ip: "10.0.6.5") + "---\n" + Self.service("keep2", ip: "10.0.6.3"), to: "edit.yaml", in: directory)
        #expect(try ServerProcess.eventually { try Self.addresses(server, "keep") == ["10.0.6.5"] }, "the fixed object is served")
        #expect(try ServerProcess.eventually { try Self.addresses(server, "fresh") == ["NXDOMAIN"] }, "removed from the file: gone")
    }

    @Test("endpoints follow their slice: a headless service gains and loses addresses, and readiness changes are served")
    func endpointChanges() throws {
        let (server, directory) = try Self.start()
        func slice(_ endpoints: String) -> String {
            """
            apiVersion: v1
            kind: Service
            metadata: {name: grow, namespace: testns}
            spec:
              clusterIP: None
              ports: [{name: http, port: 80, protocol: TCP}]
            ---
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata: {name: grow-1, namespace: testns, labels: {kubernetes.io/service-name: grow}}
            addressType: IPv4
            ports: [{name: http, port: 80, protocol: TCP}]
            endpoints:
            \(endpoints)
            """
        }
        try Self.write(slice("- addresses: [10.0.7.1]"), to: "grow.yaml", in: directory)
        #expect(try ServerProcess.eventually { try Self.addresses(server, "grow") == ["10.0.7.1"] })
        try Self.write(slice("- addresses: [10.0.7.1]\n- addresses: [10.0.7.2]"), to: "grow.yaml", in: directory)
        #expect(try ServerProcess.eventually { try Self.addresses(server, "grow").sorted() == ["10.0.7.1", "10.0.7.2"] })
        try Self.write(slice("- addresses: [10.0.7.1]\n  conditions: {ready: false}\n- addresses: [10.0.7.2]"), to: "grow.yaml", in: directory)
        #expect(try ServerProcess.eventually { try Self.addresses(server, "grow") == ["10.0.7.2"] })
        try Self.write(slice("- addresses: [10.0.7.2]\n  conditions: {ready: false}"), to: "grow.yaml", in: directory)
        #expect(try ServerProcess.eventually { try Self.addresses(server, "grow") == ["NXDOMAIN"] }, "no ready endpoint left")
    }

    @Test("pods verified follows pods: one being deleted or finished stops answering; an unchanged rewrite keeps answering")
    func podChanges() throws {
        let server = try ServerProcess(corefile: KubernetesFixtures.corefile("pods verified"),
                                       files: try KubernetesFixtures.files(["namespaces.yaml"]))
        let directory = server.directory.appendingPathComponent("cluster")
        func pod(_ extra: String = "", phase: String = "Running", node: String = "n1") -> String {
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: testns\(extra)}\nspec: {nodeName: \(node)}\nstatus: {phase: \(phase), podIP: 10.244.5.5}\n"
        }
        let name = "10-244-5-5.testns.pod.cluster.local."
        func answered() throws -> Bool { try server.client.query(name, .a).answers.count == 1 }
        try Self.write(pod(), to: "pod.yaml", in: directory)
        #expect(try ServerProcess.eventually { try answered() })
        // Same DNS content (another node): still answered.
        try Self.write(pod(node: "n2"), to: "pod.yaml", in: directory)
        try Self.write(pod(node: "n2") + "---\n" + Self.service("marker", ip: "10.0.8.1"), to: "pod.yaml", in: directory)
        #expect(try ServerProcess.eventually { try Self.addresses(server, "marker") == ["10.0.8.1"] })
        #expect(try answered())
        try Self.write(pod(", deletionTimestamp: \"2024-05-01T10:00:00Z\""), to: "pod.yaml", in: directory)
        #expect(try ServerProcess.eventually { try !answered() }, "a pod being deleted is no longer answered")
        try Self.write(pod(), to: "pod.yaml", in: directory)
        #expect(try ServerProcess.eventually { try answered() })
        try Self.write(pod(phase: "Succeeded"), to: "pod.yaml", in: directory)
        #expect(try ServerProcess.eventually { try !answered() }, "a finished pod is no longer answered")
    }

    @Test("clusterdns check reports a kubernetes configuration error at file:line and exits 1")
    func checkReportsErrors() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("k8s-check-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("Corefile").path
        try ".:53 {\n    kubernetes cluster.local {\n        manifests /m\n        ttl 3601\n    }\n}\n".write(toFile: path, atomically: true, encoding: .utf8)
        let (code, output) = try runClusterDNS(["check", "--conf", path])
        #expect(code == 1)
        #expect(output.contains("Corefile:4: plugin/kubernetes: ttl: 3601 is out of range"), "\(output)")
        try ".:53 {\n    kubernetes cluster.local\n}\n".write(toFile: path, atomically: true, encoding: .utf8)
        let (code2, output2) = try runClusterDNS(["check", "--conf", path])
        #expect(code2 == 1 && output2.contains("Corefile:2: plugin/kubernetes: no object source"), "\(output2)")
        let (code3, output3) = try runClusterDNS(["check", "--conf", path, "--manifests", directory.path])
        #expect(code3 == 0, "\(output3)")
    }
}
