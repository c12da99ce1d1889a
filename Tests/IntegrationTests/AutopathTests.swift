import DNSWire
import Foundation
import Testing

/// `autopath` in the real binary. Until `hosts`, `file` or `kubernetes` are on main the plugin
/// after it is `whoami`, which answers every name: the walk's first candidate (the name asked)
/// is the answer, through the server's subrequest path. The full walk (NXDOMAIN steps, CNAME
/// answers) is covered in-process by PluginsTests/autopath.
/// TODO(hosts/file/kubernetes): a real-binary walk over NXDOMAIN candidates with a CNAME answer.
@Suite(.serialized) struct AutopathIntegrationTests {
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
