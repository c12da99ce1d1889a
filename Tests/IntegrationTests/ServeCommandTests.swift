import DNSWire
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `clusterdns serve`, `check` and `version` as a user runs them: the real binary on loopback.
@Suite(.serialized) struct ServeCommandTests {
    @Test("answers over UDP and TCP, IPv4 and IPv6, echoing ID and question case")
    func answersUDPAndTCP() throws {
        let server = try ServerProcess(corefile: ".:{PORT} {\n    whoami\n}\n")
        let udp = try server.client.query("Mixed.CASE.example.", .a, id: 4321)
        #expect(udp.header.id == 4321)
        #expect(udp.questions.first?.name.exactlyEquals(try DomainName("Mixed.CASE.example.")) == true)
        #expect(udp.rcode == .noError)
        #expect(udp.additionals.first?.rdata == .a(IPv4Address(127, 0, 0, 1)))
        let tcp = try server.client.queryTCP("example.org.", .aaaa)
        #expect(tcp.additionals.contains { $0.type == .srv && $0.name.description == "_tcp.example.org." })
        let v6 = try DNSTestClient(host: "::1", port: server.port).query("example.org.", .a)
        #expect(v6.additionals.first?.rdata == .aaaa(IPv6Address("::1")!))
    }

    @Test("several pipelined queries on one TCP connection are all answered")
    func tcpPipelining() throws {
        let server = try ServerProcess(corefile: ".:{PORT} {\n    whoami\n}\n")
        let connection = try server.client.connectTCP()
        var ids: Set<UInt16> = []
        var batch: [UInt8] = []
        for i in 0..<20 {
            let id = UInt16(1000 + i)
            ids.insert(id)
            let wire = try #require(Message.query(id: id, name: try DomainName("q\(i).example."), type: .a).encoded())
            batch += [UInt8(wire.count >> 8), UInt8(wire.count & 0xFF)] + wire
        }
        try connection.sendRaw(batch)   // all twenty frames in one write
        var seen: Set<UInt16> = []
        for _ in 0..<20 { seen.insert(try Message(parsing: try connection.readFrame()).header.id) }
        #expect(seen == ids)
    }

    @Test("malformed queries get FORMERR, responses and runts get nothing, other classes REFUSED")
    func badPackets() throws {
        let server = try ServerProcess(corefile: ".:{PORT} {\n    whoami\n}\n")
        var client = server.client
        client.timeout = .milliseconds(700)
        // Header claims a question that is not there.
        let formerr = try #require(try client.exchangeRawUDP([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 5, 0x61]))
        #expect(Array(formerr.prefix(2)) == [0x12, 0x34])
        #expect(formerr[3] & 0x0F == 1)
        // A response (QR=1) and an 11-octet runt are dropped silently.
        var response = try #require(Message.query(id: 9, name: "a.example.", type: .a).encoded())
        response[2] |= 0x80
        #expect(try client.exchangeRawUDP(response, expectReply: false) == nil)
        #expect(try client.exchangeRawUDP(Array(repeating: 0, count: 11), expectReply: false) == nil)
        // CHAOS class.
        let chaos = Message.query(id: 10, name: "version.bind.", type: .txt, recordClass: .chaos)
        let chaosWire = try #require(chaos.encoded())
        let chaosReply = try #require(try client.exchangeRawUDP(chaosWire))
        let refused = try Message(parsing: chaosReply)
        #expect(refused.rcode == .refused)
        // EDNS version 1 → BADVERS.
        var v1 = EDNS()
        v1.version = 1
        let badvers = try client.query("a.example.", .a, edns: v1)
        #expect(badvers.rcode == .badVersion)
        // The server is still fine.
        #expect(try client.query("a.example.", .a).rcode == .noError)
    }

    @Test("a name outside every server block's zone is REFUSED")
    func noZoneRefused() throws {
        let server = try ServerProcess(corefile: "example.org:{PORT} {\n    whoami\n}\n")
        #expect(try server.client.query("www.example.org.", .a).rcode == .noError)
        #expect(try server.client.query("www.example.com.", .a).rcode == .refused)
    }

    @Test("SIGTERM stops the server with exit code 0")
    func sigterm() throws {
        let server = try ServerProcess(corefile: ".:{PORT} {\n    whoami\n}\n")
        #expect(try server.client.query("a.example.", .a).rcode == .noError)
        server.signal(SIGTERM)
        #expect(server.waitForExit() == 0)
    }

    @Test("an invalid Corefile stops serve with its file:line and a non-zero exit, binding nothing")
    func invalidCorefile() throws {
        let error = #expect(throws: ServerProcess.StartupError.self) {
            _ = try ServerProcess(corefile: ".:{PORT} {\n    whoami\n    nosuchplugin 1\n}\n")
        }
        #expect(error?.code == 1)
        #expect(error?.log.contains("Corefile:3: unknown directive 'nosuchplugin'") == true)
    }

    @Test("check prints the plugin chain in plugin.cfg order, whatever the Corefile order")
    func checkCommand() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("check-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("Corefile").path
        try ".:1053 {\n    whoami\n}\n".write(toFile: path, atomically: true, encoding: .utf8)
        let (code, output) = try runClusterDNS(["check", "--conf", path])
        #expect(code == 0)
        #expect(output.contains("plugin chain: whoami"))
        try ".:1053 {\n    whoami {\n    }\n}\n".write(toFile: path, atomically: true, encoding: .utf8)
        let (bad, message) = try runClusterDNS(["check", "--conf", path])
        #expect(bad != 0)
        #expect(message.contains("Corefile:2: plugin/whoami:"))
    }

    @Test("version prints the version")
    func version() throws {
        let (code, output) = try runClusterDNS(["version"])
        #expect(code == 0)
        #expect(output.hasPrefix("clusterdns "))
    }
}

/// Runs the binary to completion, returning its exit code and combined output.
func runClusterDNS(_ arguments: [String], workingDirectory: URL? = nil, timeout: Duration = .seconds(30)) throws -> (Int32, String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: ServerProcess.binary)
    process.arguments = arguments
    if let workingDirectory { process.currentDirectoryURL = workingDirectory }
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}
