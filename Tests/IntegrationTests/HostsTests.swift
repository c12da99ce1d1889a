import DNSWire
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The `hosts` plugin in the real server, and the truncation → TCP retry path with a large answer.
@Suite(.serialized) struct HostsTests {
    static let hostsFile = "192.168.1.10 example.org alias.example.org\n2001:db8::10 example.org\n"
        + (1...100).map { "10.1.\($0 / 200).\($0 % 200 + 1) big.example.org\n" }.joined()

    static let corefile = """
        .:{PORT} {
            hosts hosts.txt example.org {
                10.0.0.5 inline.example.org
                ttl 60
                reload 200ms
                fallthrough
            }
            whoami
        }
        """

    @Test("lines of the hosts file that cannot be read are reported once each with file:line, and the rest is served")
    func skippedLines() throws {
        let text = "192.168.1.10 example.org\nnot-an-address example.org\n\n# comment\n10.0.0.9\n10.0.0.7 good.example.org\n"
        let server = try ServerProcess(corefile: Self.corefile, files: ["hosts.txt": text])
        #expect(try server.client.query("good.example.org.", .a).answers.map(\.rdata) == [.a(IPv4Address(10, 0, 0, 7))])
        let path = server.directory.appendingPathComponent("hosts.txt").path
        let first = "plugin/hosts: \(path):2: line skipped: 'not-an-address' is not an IP address"
        let second = "plugin/hosts: \(path):5: line skipped: no host name after '10.0.0.9'"
        #expect(ServerProcess.eventually { server.log.contains(first) && server.log.contains(second) }, "\(server.log)")
        // Reported once: the reload timer (200ms) re-reads nothing while the file is unchanged.
        usleep(600_000)
        #expect(server.log.components(separatedBy: first).count == 2, "\(server.log)")
    }

    @Test("file and inline entries, AAAA, PTR, NODATA for known names, fallthrough to the next plugin")
    func answers() throws {
        let server = try ServerProcess(corefile: Self.corefile, files: ["hosts.txt": Self.hostsFile])
        let client = server.client
        let a = try client.query("example.org.", .a)
        #expect(a.header.authoritative)
        #expect(a.answers.map(\.rdata) == [.a(IPv4Address(192, 168, 1, 10))])
        #expect(a.answers.first?.ttl == 60)
        #expect(try client.query("example.org.", .aaaa).answers.map(\.rdata) == [.aaaa(IPv6Address("2001:db8::10") ?? IPv6Address(high: 0, low: 0))])
        #expect(try client.query("inline.example.org.", .a).answers.map(\.rdata) == [.a(IPv4Address(10, 0, 0, 5))])
        let ptr = try client.query("10.1.168.192.in-addr.arpa.", .ptr)
        #expect(ptr.answers.map(\.rdata) == [.ptr("example.org."), .ptr("alias.example.org.")])
        let nodata = try client.query("example.org.", .mx)
        #expect(nodata.rcode == .noError && nodata.answers.isEmpty && nodata.header.authoritative)
        // Unknown name: falls through to whoami, which answers with the client's address.
        let next = try client.query("unknown.example.org.", .a)
        #expect(next.answers.isEmpty)
        #expect(next.additionals.first?.rdata == .a(IPv4Address(127, 0, 0, 1)))
    }

    @Test("without fallthrough an unknown name is SERVFAIL (as CoreDNS); no_reverse drops PTR")
    func noFallthrough() throws {
        let server = try ServerProcess(corefile: ".:{PORT} {\n    hosts hosts.txt example.org {\n        no_reverse\n    }\n}\n",
                                       files: ["hosts.txt": Self.hostsFile])
        #expect(try server.client.query("unknown.example.org.", .a).rcode == .serverFailure)
        // No PTR and no other plugin: the chain runs out (SERVFAIL), as in CoreDNS.
        #expect(try server.client.query("10.1.168.192.in-addr.arpa.", .ptr).answers.isEmpty)
        #expect(try server.client.query("example.org.", .a).answers.count == 1)
    }

    @Test("100 addresses: a 512-octet client and an EDNS 1232 client get TC and no partial RRset; TCP gets all 100")
    func truncationThenTCP() throws {
        let server = try ServerProcess(corefile: Self.corefile, files: ["hosts.txt": Self.hostsFile])
        let client = server.client
        let plain = try client.query("big.example.org.", .a, edns: nil)
        #expect(plain.header.truncated)
        #expect(plain.answers.isEmpty)
        #expect(plain.edns == nil)
        let edns = try client.query("big.example.org.", .a, edns: EDNS(udpPayloadSize: 1232))
        #expect(edns.header.truncated)
        #expect(edns.answers.isEmpty)
        #expect(edns.edns != nil)
        let big = try client.query("big.example.org.", .a, edns: EDNS(udpPayloadSize: 4096))
        #expect(big.header.truncated)
        // The retry a resolver makes after TC: TCP, whole answer.
        let tcp = try client.queryTCP("big.example.org.", .a)
        #expect(!tcp.header.truncated)
        #expect(tcp.answers.count == 100)
        #expect(Set(tcp.answers.map(\.rdata)).count == 100)
        let tcpPlain = try client.queryTCP("big.example.org.", .a, edns: nil)
        #expect(tcpPlain.answers.count == 100)
    }

    @Test("dig retries over TCP after TC and shows all 100 records", .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/dig")))
    func digRetry() throws {
        let server = try ServerProcess(corefile: Self.corefile, files: ["hosts.txt": Self.hostsFile])
        let (code, output) = try runTool("/usr/bin/dig", ["@127.0.0.1", "-p", String(server.port), "big.example.org", "A",
                                                           "+noall", "+answer", "+comments", "+tries=1", "+time=3"])
        #expect(code == 0)
        #expect(output.contains("Truncated, retrying in TCP mode"))
        #expect(output.split(separator: "\n").filter { $0.hasPrefix("big.example.org.") }.count == 100)
    }

    @Test("a changed hosts file is picked up by the reload timer")
    func reload() throws {
        let server = try ServerProcess(corefile: Self.corefile, files: ["hosts.txt": Self.hostsFile])
        #expect(try server.client.query("fresh.example.org.", .a).additionals.first?.type == .a)   // whoami
        let path = server.directory.appendingPathComponent("hosts.txt")
        try (Self.hostsFile + "192.168.9.9 fresh.example.org\n").write(to: path, atomically: true, encoding: .utf8)
        #expect(try ServerProcess.eventually {
            try server.client.query("fresh.example.org.", .a).answers.map(\.rdata) == [.a(IPv4Address(192, 168, 9, 9))]
        })
    }
}

/// Runs a tool to completion; returns its exit code and combined output.
func runTool(_ path: String, _ arguments: [String]) throws -> (Int32, String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}
