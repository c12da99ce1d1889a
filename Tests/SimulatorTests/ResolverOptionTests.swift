import DNSWire
import Testing
@testable import Simulator

/// resolv.conf options and nameserver lists: sockets, ordering, failover, TCP.
@Suite struct ResolverOptionTests {
    static let first = "db.production.svc.cluster.local."

    static func conf(_ options: String = "", nameservers: [String] = ["10.96.0.10"],
                     resolver: StubResolverKind = .glibc) -> ResolvConf {
        var conf = ResolvConf.testPod()
        conf.nameservers = nameservers
        conf.apply(options: options, source: "test", resolver: resolver)
        return conf
    }

    /// `db` resolves on its first name, A only.
    static func aOnly() -> ScriptedResolver {
        let resolver = ScriptedResolver()
        resolver.on(first, .a, .address("10.0.0.7"))
        resolver.on(first, .aaaa, .nodata)
        return resolver
    }

    @Test("by default glibc sends A and AAAA together from one socket")
    func parallel() {
        let report = simulate("db", conf: Self.conf(), using: Self.aOnly())
        #expect(report.trace.attempts.map(\.sentAt) == [.zero, .zero])
        #expect(report.trace.attempts.map(\.socket) == [1, 1])
    }

    @Test("single-request: AAAA leaves once the A reply is in, from the same socket")
    func singleRequest() {
        let report = simulate("db", conf: Self.conf("single-request"), using: Self.aOnly())
        #expect(report.trace.attempts.map(\.qtype) == [.a, .aaaa])
        #expect(report.trace.attempts.map(\.sentAt) == [.zero, .milliseconds(1)])
        #expect(report.trace.attempts.map(\.socket) == [1, 1])
    }

    @Test("single-request-reopen: AAAA leaves from a new socket")
    func singleRequestReopen() {
        let report = simulate("db", conf: Self.conf("single-request-reopen"), using: Self.aOnly())
        #expect(report.trace.attempts.map(\.sentAt) == [.zero, .milliseconds(1)])
        #expect(report.trace.attempts.map(\.socket) == [1, 2])
    }

    @Test("musl ignores single-request and warns that it does")
    func muslIgnoresSingleRequest() {
        let conf = Self.conf("single-request", resolver: .musl)
        #expect(conf.options.isEmpty)
        #expect(conf.warnings.contains { $0.message.contains("no effect on musl") })
        let report = simulate("db", resolver: .musl, conf: conf, using: Self.aOnly())
        #expect(report.trace.attempts.map(\.sentAt) == [.zero, .zero])
    }

    @Test("a lost AAAA after an A answer: glibc falls back to single-request, then -reopen, and returns the A answer after 3 timeouts")
    func lostAAAA() {
        let resolver = ScriptedResolver()
        resolver.on(Self.first, .a, .address("10.0.0.7"))
        resolver.on(Self.first, .aaaa, .timeout)
        let report = simulate("db", conf: Self.conf("timeout:1 attempts:1"), using: resolver)
        #expect(report.resolvedName?.description == Self.first)
        #expect(report.trace.attempts.map(\.qtype) == [.a, .aaaa, .a, .aaaa, .a, .aaaa])
        #expect(report.trace.attempts.map(\.socket) == [1, 1, 1, 1, 2, 3])
        #expect(report.trace.attempts.map(\.sentAt) == [.zero, .zero, .seconds(1), .milliseconds(1001),
                                                        .seconds(2), .milliseconds(2001)])
        #expect(report.trace.elapsed == .seconds(3))
        #expect(report.trace.notes.count == 2)
    }

    @Test("after the fallback glibc keeps single-request-reopen for the next names of the same lookup")
    func fallbackPersists() {
        let resolver = ScriptedResolver()
        resolver.on(Self.first, .a, .nxdomain)
        resolver.on(Self.first, .aaaa, .timeout)
        resolver.on("db.svc.cluster.local", .a, .address("10.0.0.8"))
        resolver.on("db.svc.cluster.local", .aaaa, .nodata)
        let report = simulate("db", conf: Self.conf("timeout:1 attempts:1"), using: resolver)
        #expect(report.resolvedName?.description == "db.svc.cluster.local.")
        let second = report.trace.attempts.filter { $0.candidate == 1 }
        #expect(second.map(\.qtype) == [.a, .aaaa])
        #expect(second[1].sentAt > second[0].sentAt)
        #expect(second[1].socket == second[0].socket + 1)
    }

    @Test("a lost AAAA after an A answer: musl fails EAI_AGAIN after the timeout and discards the A answer")
    func muslLostAAAA() {
        let resolver = ScriptedResolver()
        resolver.on(Self.first, .a, .address("10.0.0.7"))
        resolver.on(Self.first, .aaaa, .timeout)
        let report = simulate("db", resolver: .musl, conf: Self.conf(resolver: .musl), using: resolver)
        #expect(report.trace.outcome == .failed(.eaiAgain))
        #expect(report.trace.elapsed == .seconds(5))
        // A accepted in round 1; only AAAA is resent at 2.5 s.
        #expect(report.trace.attempts.map(\.qtype) == [.a, .aaaa, .aaaa])
    }

    @Test("rotate: each name starts at the next nameserver; without it every name starts at the first")
    func rotate() {
        let plain = ScriptedResolver()
        _ = simulate("db", .family(.a), conf: Self.conf(nameservers: ["10.0.0.1", "10.0.0.2"]), using: plain)
        #expect(plain.sent.map(\.server) == [0, 0, 0, 0])
        let rotating = ScriptedResolver()
        _ = simulate("db", .family(.a), conf: Self.conf("rotate", nameservers: ["10.0.0.1", "10.0.0.2"]), using: rotating)
        #expect(rotating.sent.map(\.server) == [0, 1, 0, 1])
    }

    @Test("glibc fails over to the next nameserver after the timeout; musl asks all of them at once")
    func failover() {
        let glibc = Self.aOnly()
        glibc.on(nil, nil, server: 0, .timeout)
        let g = simulate("db", conf: Self.conf(nameservers: ["10.0.0.1", "10.0.0.2"]), using: glibc)
        #expect(glibc.sent.map(\.server) == [0, 0, 1, 1])
        #expect(g.resolvedName?.description == Self.first)
        #expect(g.trace.attempts[2].sentAt == .seconds(5))

        let musl = Self.aOnly()
        musl.on(nil, nil, server: 0, .timeout)
        let m = simulate("db", resolver: .musl, conf: Self.conf(nameservers: ["10.0.0.1", "10.0.0.2"], resolver: .musl),
                         using: musl)
        #expect(musl.sent.map(\.server) == [0, 0, 1, 1])
        #expect(m.resolvedName?.description == Self.first)
        #expect(m.trace.elapsed == .milliseconds(1))
    }

    @Test("glibc waits timeout<<ns/nscount on later servers: 5 s, then 3 s and 6 s with three servers")
    func perServerTimeout() {
        let resolver = ScriptedResolver()
        resolver.on(nil, nil, .timeout)
        let report = simulate("db", .family(.a), conf: Self.conf("attempts:1", nameservers: ["10.0.0.1", "10.0.0.2", "10.0.0.3"]),
                              using: resolver)
        let firstName = report.trace.attempts.filter { $0.candidate == 0 }
        #expect(firstName.map(\.sentAt) == [.zero, .seconds(5), .seconds(8)])
    }

    @Test("a truncated UDP reply makes glibc ask the same server again over TCP; musl 1.2.3 uses it as is")
    func truncation() {
        let glibc = ScriptedResolver()
        glibc.on(Self.first, nil, transport: .udp, .truncated)
        glibc.on(Self.first, nil, transport: .tcp, .address("10.0.0.9"))
        let g = simulate("db", conf: Self.conf(), using: glibc)
        #expect(glibc.sent.map(\.transport) == [.udp, .udp, .tcp, .tcp])
        #expect(g.resolvedName?.description == Self.first)
        #expect(g.text().contains("via"))

        let musl = ScriptedResolver()
        musl.on(Self.first, nil, transport: .udp, .truncated)
        let m = simulate("db", resolver: .musl, conf: Self.conf(resolver: .musl), using: musl)
        #expect(musl.sent.allSatisfy { $0.transport == .udp })
        #expect(m.trace.outcome == .failed(.eaiNoName))
    }

    @Test("use-vc sends every query over TCP")
    func useVC() {
        let resolver = Self.aOnly()
        _ = simulate("db", conf: Self.conf("use-vc"), using: resolver)
        #expect(resolver.sent.map(\.transport) == [.tcp, .tcp])
    }

    @Test("no-tld-query: glibc never asks for a dotless name as written")
    func noTLDQuery() {
        let plain = ScriptedResolver()
        _ = simulate("db", .family(.a), conf: Self.conf(), using: plain)
        #expect(plain.sent.count == 4)
        let noTLD = ScriptedResolver()
        let report = simulate("db", .family(.a), conf: Self.conf("no-tld-query"), using: noTLD)
        #expect(noTLD.sent.map(\.name) == ["db.production.svc.cluster.local.", "db.svc.cluster.local.", "db.cluster.local."])
        #expect(report.trace.outcome == .failed(.eaiNoName))
    }

    @Test("no-aaaa: glibc asks only for A, even for AF_UNSPEC")
    func noAAAA() {
        let resolver = Self.aOnly()
        let report = simulate("db", conf: Self.conf("no-aaaa"), using: resolver)
        #expect(resolver.sent.map(\.type) == [.a])
        #expect(report.resolvedName?.description == Self.first)
    }

    @Test("SRV through res_search: glibc applies the search list, musl asks for the name as given only")
    func srv() {
        let glibc = ScriptedResolver()
        glibc.on("_http._tcp.web.production.svc.cluster.local", .srv,
                 .records(["_http._tcp.web.production.svc.cluster.local. 5 IN SRV 0 100 80 web.production.svc.cluster.local."]))
        let g = simulate("_http._tcp.web", .records(.srv), using: glibc)
        #expect(glibc.sent.map(\.name) == ["_http._tcp.web.production.svc.cluster.local."])
        #expect(g.resolvedName?.description == "_http._tcp.web.production.svc.cluster.local.")

        let musl = ScriptedResolver()
        let m = simulate("_http._tcp.web", .records(.srv), resolver: .musl, using: musl)
        #expect(musl.sent.map(\.name) == ["_http._tcp.web."])
        #expect(m.trace.outcome == .failed(.hostNotFound))
    }

    @Test("musl sends each query to every nameserver, up to three")
    func muslAllServers() {
        let resolver = Self.aOnly()
        let conf = Self.conf(nameservers: ["10.0.0.1", "10.0.0.2", "10.0.0.3"], resolver: .musl)
        _ = simulate("db", resolver: .musl, conf: conf, using: resolver)
        #expect(resolver.sent.map(\.server) == [0, 0, 1, 1, 2, 2])
    }

    @Test("single-request and a SERVFAIL for A: glibc never sends the AAAA and waits out the timeout on every try")
    func singleRequestServfail() {
        let resolver = ScriptedResolver()
        resolver.on(Self.first, .a, .servfail)
        resolver.on("db.svc.cluster.local", .a, .address("10.0.0.8"))
        let report = simulate("db", .addresses, conf: Self.conf("single-request timeout:1"), using: resolver)
        let firstName = report.trace.attempts.filter { $0.candidate == 0 }
        #expect(firstName.map(\.qtype) == [.a, .a])
        #expect(firstName.map(\.sentAt) == [.zero, .seconds(1)])
        #expect(report.resolvedName?.description == "db.svc.cluster.local.")
    }
}
