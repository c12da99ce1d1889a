import Foundation
import Testing
@testable import Simulator

/// resolv.conf as glibc and musl read it, from the files in Tests/Fixtures/simulator/resolv.
@Suite struct ResolvConfTests {
    static func fixture(_ name: String) throws -> String {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/simulator/resolv/\(name)")
        return try String(contentsOf: url, encoding: .utf8)
    }

    @Test("a kubelet pod resolv.conf: four search domains, ndots 5, one nameserver, for both libraries")
    func podFile() throws {
        let text = try Self.fixture("pod-production.conf")
        for kind in StubResolverKind.allCases {
            let conf = ResolvConf.parse(text, source: "pod-production.conf", resolver: kind)
            #expect(conf.search == ["production.svc.cluster.local", "svc.cluster.local", "cluster.local", "ec2.internal"])
            #expect(conf.ndots == 5)
            #expect(conf.nameservers == ["10.96.0.10"])
            #expect(conf.timeoutSeconds == 5)
            #expect(conf.attempts == 2)
            #expect(conf.warnings.isEmpty, "\(kind): \(conf.warnings)")
        }
    }

    @Test("glibc: the last search line wins, limits are clamped, option words match as prefixes, indented lines are ignored")
    func glibcQuirks() throws {
        let conf = ResolvConf.parse(try Self.fixture("quirks.conf"), source: "quirks.conf", resolver: .glibc)
        #expect(conf.search == ["c.example", "d.example"])
        #expect(conf.nameservers == ["10.0.0.1", "fe80::1", "10.0.0.2", "10.0.0.3"])
        #expect(conf.effectiveNameservers == ["10.0.0.1", "fe80::1", "10.0.0.2"])
        #expect(conf.ndots == 15)
        #expect(conf.timeoutSeconds == 30)
        #expect(conf.attempts == 5)
        #expect(conf.options == [.rotate, .singleRequestReopen, .edns0])
        let messages = conf.warnings.map(\.description)
        #expect(messages.contains("quirks.conf:8: nameserver 'not-an-ip' is not an IP address: ignored"))
        #expect(messages.contains("quirks.conf:11: 'rotatex' is read by glibc as 'rotate' (prefix match)"))
        #expect(messages.contains("quirks.conf:11: unknown option 'bogus': ignored by glibc"))
        #expect(messages.contains("quirks.conf:12: line starts with a blank: glibc ignores it"))
        #expect(messages.contains { $0.contains("only the first 3 are used") })
    }

    @Test("musl: whole-line search, at most 3 nameservers, higher limits, every option flag ignored")
    func muslQuirks() throws {
        let conf = ResolvConf.parse(try Self.fixture("quirks.conf"), source: "quirks.conf", resolver: .musl)
        #expect(conf.search == ["c.example", "d.example"])
        #expect(conf.nameservers == ["10.0.0.1", "fe80::1%eth0", "10.0.0.2"])
        #expect(conf.ndots == 15)
        #expect(conf.timeoutSeconds == 45)
        #expect(conf.attempts == 9)
        #expect(conf.options.isEmpty)
        let messages = conf.warnings.map(\.description)
        #expect(messages.contains("quirks.conf:10: nameserver 10.0.0.3: musl uses at most 3"))
        #expect(messages.contains("quirks.conf:11: option 'rotate' has no effect on musl"))
        #expect(messages.contains("quirks.conf:12: line ignored by musl"))
    }

    @Test("domain after search replaces the list: glibc keeps its first word, musl the whole line")
    func domainLine() throws {
        let text = try Self.fixture("domain-last.conf")
        #expect(ResolvConf.parse(text, source: "f", resolver: .glibc).search == ["corp.example"])
        #expect(ResolvConf.parse(text, source: "f", resolver: .musl).search == ["corp.example", "other.example"])
    }

    @Test("a NodeLocal DNSCache pod file: timeout, attempts and single-request-reopen")
    func nodeLocal() throws {
        let conf = ResolvConf.parse(try Self.fixture("nodelocal.conf"), source: "f", resolver: .glibc)
        #expect(conf.timeoutSeconds == 1)
        #expect(conf.attempts == 3)
        #expect(conf.options == [.singleRequestReopen])
        #expect(conf.options.words == ["single-request-reopen"])
    }

    @Test("no nameserver means 127.0.0.1; no file means ndots 1, timeout 5, attempts 2")
    func defaults() {
        let conf = ResolvConf.parse("", source: "empty", resolver: .glibc)
        #expect(conf.effectiveNameservers == ["127.0.0.1"])
        #expect(conf.ndots == 1)
        #expect(conf.timeoutSeconds == 5)
        #expect(conf.attempts == 2)
        #expect(conf.search.isEmpty)
    }

    @Test("--options words: atoi semantics for glibc, strstr semantics for musl")
    func optionWords() {
        var glibc = ResolvConf()
        glibc.apply(options: "ndots:2x attempts:0 timeout:0", source: "--options", resolver: .glibc)
        #expect(glibc.ndots == 2)
        #expect(glibc.attempts == 1)
        #expect(glibc.timeoutSeconds == 0)
        #expect(glibc.warnings.count == 2)
        var musl = ResolvConf()
        musl.apply(options: "xndots:3", source: "--options", resolver: .musl)
        #expect(musl.ndots == 3)
    }

    @Test("the kubelet default for a namespace")
    func podDefault() {
        let conf = ResolvConf.pod(namespace: "team-a", zone: "example.internal.")
        #expect(conf.search == ["team-a.svc.example.internal", "svc.example.internal", "example.internal"])
        #expect(conf.ndots == 5)
    }
}
