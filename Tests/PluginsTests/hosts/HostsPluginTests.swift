import Corefile
import DNSWire
import Foundation
import Logging
import Testing
@testable import Plugins

let hostsFileText = """
# The following lines are desirable for IPv4 capable hosts
127.0.0.1       localhost
192.168.1.10    example.org            alias.example.org   # trailing comment
192.168.1.11    example.org
192.168.1.10    example.org
10.0.0.1        outside.net
fe80::1%eth0    example.org
::ffff:10.9.8.7 mapped.example.org
not-an-address  broken.example.org
192.168.1.99
2001:db8::1     v6only.example.org
192.168.1.20    *.wild.example.org
192.168.1.21    exact.wild.example.org

"""

@Suite struct HostsPluginTests {
    static func chain(_ body: String = "", file: String = hostsFileText, args: String = "hosts example.org") throws -> InProcessChain {
        let corefile = ". {\n    \(args.replacingOccurrences(of: "hosts", with: "hosts hostsfile", options: .anchored))"
            + (body.isEmpty ? "" : " {\n\(body)\n    }") + "\n    erratic\n}\n"
        return try InProcessChain(corefile: corefile, files: ["hostsfile": file], extra: ["erratic": StubNextPlugin.spec])
    }

    @Test("unparsable lines are kept as skipped with their line numbers; blank, comment and out-of-zone lines are not")
    func skippedLines() throws {
        let table = HostsTable(texts: [hostsFileText, ""], zones: [try DomainName("example.org.")], reverse: true)
        #expect(table.skipped == [
            HostsTable.SkippedLine(text: 0, line: 9, reason: "'not-an-address' is not an IP address"),
            HostsTable.SkippedLine(text: 0, line: 10, reason: "no host name after '192.168.1.99'"),
        ])
        let crlf = HostsTable(texts: ["10.0.0.1 a.example.org\r\nbad\r\n"], zones: [try DomainName("example.org.")], reverse: true)
        #expect(crlf.skipped.map(\.line) == [2])
        #expect(crlf.entryCount == 2)
    }

    @Test("A and AAAA answers from the file, authoritative, TTL 3600, an address listed twice kept once")
    func fileAnswers() throws {
        let chain = try Self.chain()
        let a = try chain.query("example.org.", .a)
        #expect(a.rcode == .noError)
        #expect(a.header.authoritative)
        #expect(a.answerLines == ["example.org. 3600 IN A 192.168.1.10", "example.org. 3600 IN A 192.168.1.11"])
        #expect(a.authorities.isEmpty)
        let aaaa = try chain.query("EXAMPLE.org.", .aaaa)
        #expect(aaaa.answerLines == ["EXAMPLE.org. 3600 IN AAAA fe80::1"])
        #expect(try chain.query("alias.example.org.", .a).answerLines == ["alias.example.org. 3600 IN A 192.168.1.10"])
        #expect(try chain.query("mapped.example.org.", .a).answerLines == ["mapped.example.org. 3600 IN A 10.9.8.7"])
    }

    @Test("inline entries are served after the file's, with the configured TTL")
    func inlineEntries() throws {
        let chain = try Self.chain("        10.0.0.5 example.org inline.example.org\n        ttl 60\n        fallthrough")
        #expect(try chain.query("example.org.", .a).answerLines == [
            "example.org. 60 IN A 192.168.1.10", "example.org. 60 IN A 192.168.1.11", "example.org. 60 IN A 10.0.0.5"])
        #expect(try chain.query("inline.example.org.", .a).answerLines == ["inline.example.org. 60 IN A 10.0.0.5"])
    }

    @Test("PTR records come from every name of an address, for IPv4 and IPv6, whatever the zones")
    func reverse() throws {
        let chain = try Self.chain()
        let ptr = try chain.query("10.1.168.192.in-addr.arpa.", .ptr)
        #expect(ptr.header.authoritative)
        #expect(ptr.answerLines == ["10.1.168.192.in-addr.arpa. 3600 IN PTR example.org.",
                                    "10.1.168.192.in-addr.arpa. 3600 IN PTR alias.example.org."])
        let v6 = try chain.query("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.", .ptr)
        #expect(v6.answers.first?.rdata == .ptr("v6only.example.org."))
        // outside.net is not in the plugin's zones, so neither its name nor its address is served.
        #expect(try chain.query("1.0.0.10.in-addr.arpa.", .ptr).cameFromStub)
        // Wildcards get no PTR; unknown addresses go to the next plugin even without fallthrough.
        #expect(try chain.query("20.1.168.192.in-addr.arpa.", .ptr).cameFromStub)
        #expect(try chain.query("99.99.99.99.in-addr.arpa.", .ptr).cameFromStub)
    }

    @Test("no_reverse generates no PTR records")
    func noReverse() throws {
        let chain = try Self.chain("        no_reverse")
        #expect(try chain.query("10.1.168.192.in-addr.arpa.", .ptr).cameFromStub)
        #expect(try chain.query("example.org.", .a).answers.count == 2)
    }

    @Test("known names with other types get NODATA; unknown names SERVFAIL, or the next plugin with fallthrough")
    func negativeAnswers() throws {
        let chain = try Self.chain()
        let nodata = try chain.query("example.org.", .mx)
        #expect(nodata.rcode == .noError)
        #expect(nodata.header.authoritative)
        #expect(nodata.answers.isEmpty && nodata.authorities.isEmpty)
        #expect(try chain.query("v6only.example.org.", .a).answers.isEmpty)
        #expect(try chain.query("unknown.example.org.", .a).rcode == .serverFailure)
        #expect(try chain.query("broken.example.org.", .a).rcode == .serverFailure)
        // Names outside the zones are never ours.
        #expect(try chain.query("outside.net.", .a).cameFromStub)

        let falling = try Self.chain("        fallthrough")
        #expect(try falling.query("unknown.example.org.", .a).cameFromStub)
        #expect(!(try falling.query("example.org.", .mx).cameFromStub))
        let unsupported = try Self.chain("        fallthrough\n        fallthrough_unsupported")
        #expect(try unsupported.query("example.org.", .mx).cameFromStub)
        #expect(!(try unsupported.query("example.org.", .a).cameFromStub))
        let scoped = try Self.chain("        fallthrough sub.example.org")
        #expect(try scoped.query("x.sub.example.org.", .a).cameFromStub)
        #expect(try scoped.query("unknown.example.org.", .a).rcode == .serverFailure)
    }

    @Test("a wildcard entry covers exactly one more label, and an exact entry wins over it")
    func wildcards() throws {
        let chain = try Self.chain()
        #expect(try chain.query("app.wild.example.org.", .a).answerLines == ["app.wild.example.org. 3600 IN A 192.168.1.20"])
        #expect(try chain.query("exact.wild.example.org.", .a).answerLines == ["exact.wild.example.org. 3600 IN A 192.168.1.21"])
        #expect(try chain.query("wild.example.org.", .a).rcode == .serverFailure)
        #expect(try chain.query("a.b.wild.example.org.", .a).rcode == .serverFailure)
    }

    @Test("the default zones are the server block's, and the default file is /etc/hosts")
    func defaults() throws {
        let chain = try InProcessChain(corefile: "example.org {\n    hosts hostsfile\n}\n", files: ["hostsfile": hostsFileText])
        #expect(try chain.query("example.org.", .a).answers.count == 2)
        let plugin = try #require(chain.configuration.blocks.first?.factories.first as? HostsPlugin)
        #expect(plugin.config.zones == ["example.org."])
        let bare = try InProcessChain(corefile: ". {\n    hosts\n}\n")
        let etc = try #require(bare.configuration.blocks.first?.factories.first as? HostsPlugin)
        #expect(etc.config.path == "/etc/hosts")
        #expect(etc.config.reload == .seconds(5))
        #expect(etc.config.ttl == 3600)
    }

    @Test("100 addresses for one name: TC without a partial RRset over UDP (512 and EDNS 1232), all of them over TCP")
    func largeAnswer() throws {
        var file = ""
        for i in 0..<100 { file += "10.1.\(i / 250).\(i % 250 + 1) big.example.org\n" }
        let chain = try Self.chain(file: file)
        let plain = try chain.query("big.example.org.", .a, edns: nil)
        #expect(plain.header.truncated)
        #expect(plain.answers.isEmpty)
        let edns = try chain.query("big.example.org.", .a, edns: EDNS(udpPayloadSize: 1232))
        #expect(edns.header.truncated)
        #expect(edns.answers.isEmpty)
        let tcp = try chain.query("big.example.org.", .a, transport: .tcp)
        #expect(!tcp.header.truncated)
        #expect(tcp.answers.count == 100)
        #expect(Set(tcp.answers.map(\.rdata)).count == 100)
        let large = try chain.query("big.example.org.", .a, edns: EDNS(udpPayloadSize: 4096))
        // The server caps UDP answers at 1232 octets whatever the client offers.
        #expect(large.header.truncated)
        #expect(large.answers.isEmpty)
    }

    @Test("a reload picks up a changed file; a deleted file keeps the last entries")
    func reload() throws {
        let chain = try Self.chain()
        let plugin = try #require(chain.configuration.blocks.first?.factories.compactMap { $0 as? HostsPlugin }.first)
        let logger = Logger(label: "test")
        try chain.write("hostsfile", "192.168.7.7 example.org\n192.168.7.8 new.example.org\n")
        plugin.reloadIfChanged(logger: logger)
        #expect(try chain.query("example.org.", .a).answerLines == ["example.org. 3600 IN A 192.168.7.7"])
        #expect(try chain.query("new.example.org.", .a).answers.count == 1)
        try FileManager.default.removeItem(atPath: chain.path("hostsfile"))
        plugin.reloadIfChanged(logger: logger)
        #expect(try chain.query("new.example.org.", .a).answers.count == 1)
        var report = MetricsReport()
        plugin.reportMetrics(into: &report)
        #expect(report.families.map(\.name) == ["coredns_hosts_entries", "coredns_hosts_reload_timestamp_seconds"])
        #expect(report.families.first?.samples.first?.value == 4)
    }

    @Test("configuration errors name the line and the plugin")
    func configErrors() throws {
        let cases: [(String, String)] = [
            ("        ttl 0", "Corefile:3: plugin/hosts: ttl: 0 is out of range — expected an integer in 1...65535"),
            ("        reload 5", "Corefile:3: plugin/hosts: reload:"),
            ("        fallthrough\n        10.0.0.1 late.example.org", "Corefile:4: plugin/hosts: unknown property '10.0.0.1'"),
            ("        reloadd 5s", "Corefile:3: plugin/hosts: unknown property 'reloadd' (an inline hosts entry starts with an IP address)"),
            ("        10.0.0.1", "Corefile:3: plugin/hosts: inline hosts entry '10.0.0.1' has no host name"),
            ("        fallthrough_unsupported", "Corefile:2: plugin/hosts: fallthrough_unsupported requires fallthrough"),
            ("        no_reverse yes", "Corefile:3: plugin/hosts: no_reverse: expected no arguments"),
        ]
        for (body, message) in cases {
            let error = #expect(throws: CorefileError.self) { try Self.chain(body) }
            #expect(error?.description.hasPrefix(message) == true, "\(error?.description ?? "no error") ≠ \(message)")
        }
        let twice = #expect(throws: CorefileError.self) {
            try InProcessChain(corefile: ". {\n    hosts\n    hosts other\n}\n")
        }
        #expect(twice?.description.contains("only be used once") == true)
    }
}
