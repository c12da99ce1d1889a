import Corefile
import DNSWire
import SystemCalls
import Foundation
import Testing
@testable import Plugins

@Suite("forward configuration")
struct ForwardConfigTests {
    @Test("a bare forward has CoreDNS's defaults")
    func defaults() throws {
        let config = try ForwardFixture.config("forward . 127.0.0.1")
        #expect(config.from == .root)
        #expect(config.upstreams.map(\.description) == ["127.0.0.1:53"])
        #expect(config.expire == .seconds(10))
        #expect(config.maxFails == 2)
        #expect(config.healthCheckInterval == .milliseconds(500))
        #expect(config.healthCheckRecursionDesired)
        #expect(config.healthCheckDomain == .root)
        #expect(config.policy == .random)
        #expect(config.readTimeout == .seconds(2))
        #expect(config.maxConcurrent == 0)
        #expect(config.effectiveMaxConnectAttempts == 2)
        #expect(!config.forceTCP && !config.preferUDP && !config.failfastAllUnhealthyUpstreams && !config.randomizeCase)
        #expect(config.nextRcodes.isEmpty && config.failoverRcodes.isEmpty)
    }

    @Test("TO addresses in every accepted form", arguments: [
        ("1.2.3.4", "1.2.3.4:53"),
        ("1.2.3.4:5353", "1.2.3.4:5353"),
        ("dns://1.2.3.4", "1.2.3.4:53"),
        ("dns://1.2.3.4:54", "1.2.3.4:54"),
        ("[::1]:5353", "[::1]:5353"),
        ("::1", "[::1]:53"),
        ("dns://[2001:db8::1]:53", "[2001:db8::1]:53"),
    ])
    func upstreamForms(text: String, expected: String) throws {
        let config = try ForwardFixture.config("forward . \(text)")
        #expect(config.upstreams.map(\.description) == [expected])
    }

    @Test("FROM is normalized to a lowercase zone and duplicates among TOs are dropped")
    func fromAndDuplicates() throws {
        let config = try ForwardFixture.config("forward Example.ORG 1.2.3.4 1.2.3.4:53 dns://1.2.3.4 5.6.7.8")
        #expect(config.from == (try DomainName("example.org.")))
        #expect(config.from.exactlyEquals(try DomainName("example.org.")))
        #expect(config.upstreams.map(\.description) == ["1.2.3.4:53", "5.6.7.8:53"])
    }

    @Test("a resolv.conf TO contributes its nameserver lines, in order, relative to the Corefile")
    func resolvConf() throws {
        let dir = try ForwardFixture.directory(["resolv.conf": "# node resolver\nsearch example.com\nnameserver 10.0.0.10\nnameserver ::1 ; local\noptions ndots:2\nnameserver 10.0.0.11\n"])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let absolute = try ForwardFixture.config("forward . \(dir)/resolv.conf 9.9.9.9", directory: dir)
        #expect(absolute.upstreams.map(\.description) == ["10.0.0.10:53", "[::1]:53", "10.0.0.11:53", "9.9.9.9:53"])
        let relative = try ForwardFixture.config("forward . ./resolv.conf", directory: dir)
        #expect(relative.upstreams.count == 3)
    }

    @Test("every property is read")
    func properties() throws {
        let config = try ForwardFixture.config("""
            forward . 1.2.3.4 5.6.7.8 {
                except Internal.Example.com other.test
                force_tcp
                prefer_udp
                expire 30s
                max_age 1m
                max_idle_conns 4
                max_fails 3
                max_connect_attempts 5
                health_check 1s no_rec domain example.org
                policy round_robin
                max_concurrent 1000
                read_timeout 500ms
                next NXDOMAIN servfail
                next_on_nodata
                failover REFUSED
                failfast_all_unhealthy_upstreams
                randomize_case
            }
            """)
        #expect(config.except == [try DomainName("internal.example.com."), try DomainName("other.test.")])
        #expect(config.forceTCP && config.preferUDP)
        #expect(config.expire == .seconds(30))
        #expect(config.maxAge == .seconds(60))
        #expect(config.maxIdleConnections == 4)
        #expect(config.maxFails == 3)
        #expect(config.effectiveMaxConnectAttempts == 5)
        #expect(config.healthCheckInterval == .seconds(1))
        #expect(!config.healthCheckRecursionDesired)
        #expect(config.healthCheckDomain == (try DomainName("example.org.")))
        #expect(config.policy == .roundRobin)
        #expect(config.maxConcurrent == 1000)
        #expect(config.readTimeout == .milliseconds(500))
        #expect(config.nextRcodes == [.nameError, .serverFailure])
        #expect(config.nextOnNoData)
        #expect(config.failoverRcodes == [.refused])
        #expect(config.failfastAllUnhealthyUpstreams)
        #expect(config.randomizeCase)
    }

    @Test("mistakes are reported with file:line and what was expected", arguments: [
        ("forward .", "Corefile:2: plugin/forward: expected at least 2 arguments, found 1"),
        ("forward . tls://1.1.1.1", "Corefile:2: plugin/forward: 'tls://' upstreams are not supported yet by ClusterDNS"),
        ("forward . https://dns.example/dns-query", "Corefile:2: plugin/forward: 'https://' upstreams are not supported yet by ClusterDNS"),
        ("forward . dns.google", "Corefile:2: plugin/forward: 'dns.google' is not an IP address"),
        ("forward . /nonexistent/resolv.conf", "Corefile:2: plugin/forward: cannot read resolv.conf '/nonexistent/resolv.conf'"),
        ("forward . 1.2.3.4 {\n    bogus\n}", "Corefile:3: plugin/forward: unknown property 'bogus'"),
        ("forward . 1.2.3.4 {\n    policy fastest\n}", "Corefile:3: plugin/forward: policy: unknown policy 'fastest'"),
        ("forward . 1.2.3.4 {\n    max_fails -1\n}", "Corefile:3: plugin/forward: max_fails: -1 is out of range"),
        ("forward . 1.2.3.4 {\n    health_check 1s fast\n}", "Corefile:3: plugin/forward: health_check: unknown option 'fast'"),
        ("forward . 1.2.3.4 {\n    health_check soon\n}", "Corefile:3: plugin/forward: health_check:"),
        ("forward . 1.2.3.4 {\n    next NOPE\n}", "Corefile:3: plugin/forward: next: 'NOPE' is not a valid rcode"),
        ("forward . 1.2.3.4 {\n    failover NOERROR\n}", "Corefile:3: plugin/forward: failover: NOERROR cannot be used in failover"),
        ("forward . 1.2.3.4 {\n    force_tcp yes\n}", "Corefile:3: plugin/forward: force_tcp: expected no arguments"),
        ("forward . 1.2.3.4 {\n    randomize_case on\n}", "Corefile:3: plugin/forward: randomize_case: expected no arguments"),
        ("forward . 1.2.3.4 {\n    max_age 5s\n}", "Corefile:2: plugin/forward: max_age (5s) must not be less than expire (10s)"),
        ("forward . 1.2.3.4 {\n    tls cert.pem key.pem\n}", "Corefile:3: plugin/forward: tls: not supported yet by ClusterDNS"),
        ("forward . 1.2.3.4 {\n    read_timeout 0s\n}", "Corefile:3: plugin/forward: read_timeout:"),
    ])
    func errors(body: String, expected: String) {
        let message = ForwardFixture.error(body)
        #expect(message?.hasPrefix(expected) == true, "got \(message ?? "no error")")
    }

    @Test("at most 15 upstreams")
    func tooManyUpstreams() {
        let sixteen = (1...16).map { "10.0.0.\($0)" }.joined(separator: " ")
        #expect(ForwardFixture.error("forward . \(sixteen)") == "Corefile:2: plugin/forward: more than 15 TOs configured: 16")
        let fifteen = (1...15).map { "10.0.0.\($0)" }.joined(separator: " ")
        #expect(ForwardFixture.error("forward . \(fifteen)") == nil)
    }

    @Test("a resolv.conf without nameservers is an error")
    func emptyResolvConf() throws {
        let dir = try ForwardFixture.directory(["resolv.conf": "search example.com\n"])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(ForwardFixture.error("forward . \(dir)/resolv.conf", directory: dir) == "Corefile:2: plugin/forward: no nameservers found in '\(dir)/resolv.conf'")
    }

    @Test("several forward directives in one block run in line order, and the chain accepts them")
    func multipleForwards() throws {
        let corefile = try Corefile.parse(text: ".:1053 {\n    forward . 1.2.3.4 {\n        next NXDOMAIN\n    }\n    forward . 5.6.7.8\n}\n",
                                          fileName: "Corefile", baseDirectory: "/")
        let configuration = try ServerConfiguration.build(corefile, manifestsDirectory: nil, baseDirectory: "/")
        let forwards = configuration.blocks[0].factories.compactMap { $0 as? ForwardPlugin }
        #expect(forwards.map { $0.config.upstreams.map(\.description) } == [["1.2.3.4:53"], ["5.6.7.8:53"]])
    }
}

@Suite("forward upstream TO classification")
struct UpstreamSpecTests {
    @Test("addresses, files and unsupported schemes are told apart")
    func classify() throws {
        #expect(UpstreamSpec.classify("10.0.0.1") == .address(try SocketAddress(parsing: "10.0.0.1:53")))
        #expect(UpstreamSpec.classify("dns://10.0.0.1/") == .address(try SocketAddress(parsing: "10.0.0.1:53")))
        #expect(UpstreamSpec.classify("/etc/resolv.conf") == .resolvConf(path: "/etc/resolv.conf"))
        #expect(UpstreamSpec.classify("conf/resolv.conf") == .resolvConf(path: "conf/resolv.conf"))
        #expect(UpstreamSpec.classify("tls://1.1.1.1") == .unsupported(transport: "tls"))
        #expect(UpstreamSpec.classify("grpc://1.1.1.1") == .unsupported(transport: "grpc"))
        #expect(UpstreamSpec.classify("resolver.example") == .hostname)
    }
}

@Suite("resolv.conf nameservers")
struct ResolvConfNameserversTests {
    @Test("nameserver lines in order, comments and other keywords ignored, bad values reported")
    func parse() throws {
        let text = """
            # generated
            domain example.com
            nameserver 10.96.0.10
            nameserver\t10.96.0.11   # second
            ; nameserver 1.1.1.1
            nameserver 2001:db8::53
            nameserver fe80::1%1
            nameserver 10.96.0.10
            nameserver 10.0.0.1:53
            nameserver [::1]
            nameserver resolver.example
            nameserver
            options ndots:5
            """
        let result = ResolvConfNameservers.parse(text)
        #expect(result.nameservers.map(\.description) == ["10.96.0.10:53", "10.96.0.11:53", "[2001:db8::53]:53", "[fe80::1%1]:53"])
        #expect(result.skipped.map(\.line) == [9, 10, 11])
        #expect(result.skipped.map(\.text) == ["10.0.0.1:53", "[::1]", "resolver.example"])
    }

    @Test("an empty or comment-only file has no nameservers")
    func empty() {
        #expect(ResolvConfNameservers.parse("").nameservers.isEmpty)
        #expect(ResolvConfNameservers.parse("# nothing\n\n").nameservers.isEmpty)
    }

    @Test("reading a file that does not exist says why")
    func missing() {
        let (result, error) = ResolvConfNameservers.read(path: "/nonexistent/resolv.conf")
        #expect(result == nil)
        #expect(error == "No such file or directory")
    }
}
