import DNSWire
import Testing
@testable import Simulator

/// What stops the search and what continues it, for glibc and musl, one reply kind at a time:
/// the rows of the table in stub-resolvers.md, pinned against scripted servers.
@Suite struct StoppingRuleTests {
    static let first = "db.production.svc.cluster.local"
    static let second = "db.svc.cluster.local"
    static let third = "db.cluster.local"

    /// `db` exists only as `db.cluster.local` (the third name): anything odd on the first
    /// name shows whether the library reaches it.
    static func server(firstName: ScriptedResolver.Response) -> ScriptedResolver {
        let resolver = ScriptedResolver()
        resolver.on(third, .a, .address("10.0.0.3"))
        resolver.on(third, .aaaa, .nodata)
        resolver.on(first, nil, firstName)
        return resolver
    }

    // MARK: NXDOMAIN

    @Test("NXDOMAIN on a search domain: both libraries go on to the next name")
    func nxdomainContinues() {
        for kind in StubResolverKind.allCases {
            let resolver = Self.server(firstName: .nxdomain)
            let report = simulate("db", resolver: kind, using: resolver)
            #expect(report.resolvedName?.description == "\(Self.third).", "\(kind)")
            #expect(report.queryCount == 6, "\(kind)")
        }
    }

    // MARK: NODATA

    @Test("NODATA for A and AAAA on a search domain: glibc continues and resolves; musl stops with EAI_NONAME")
    func nodata() {
        let glibc = Self.server(firstName: .nodata)
        let g = simulate("db", using: glibc)
        #expect(g.resolvedName?.description == "\(Self.third).")
        #expect(g.queryCount == 6)
        // autopath would stop at the NODATA too: no autopath advice.
        #expect(!g.advice.contains { $0.kind == .autopath })
        #expect(simulate("db", using: Self.server(firstName: .nxdomain)).advice.contains { $0.kind == .autopath })

        let musl = Self.server(firstName: .nodata)
        let m = simulate("db", resolver: .musl, using: musl)
        #expect(m.trace.outcome == .failed(.eaiNoName))
        #expect(musl.sent.map(\.name) == ["\(Self.first).", "\(Self.first)."])
        #expect(m.advice.contains { $0.kind == .muslStopped })
    }

    @Test("glibc: a lookup where every name is NODATA fails with EAI_NODATA, not EAI_NONAME")
    func glibcAllNodata() {
        let resolver = ScriptedResolver()
        resolver.on(nil, nil, .nodata)
        let report = simulate("db", using: resolver)
        #expect(report.trace.outcome == .failed(.eaiNoData))
        #expect(report.queryCount == 8)
    }

    // MARK: SERVFAIL

    @Test("SERVFAIL on a search domain: glibc resends once, then continues and resolves")
    func glibcServfail() {
        let resolver = Self.server(firstName: .servfail)
        let report = simulate("db", using: resolver)
        #expect(resolver.sentSummary.prefix(4) == [
            "\(Self.first). A", "\(Self.first). AAAA", "\(Self.first). A", "\(Self.first). AAAA",
        ])
        #expect(report.trace.attempts[2].note == "attempt 2 of 2")
        #expect(report.resolvedName?.description == "\(Self.third).")
        #expect(report.queryCount == 8)
    }

    @Test("SERVFAIL on a search domain: musl resends at once and at 2.5 s, then fails EAI_AGAIN at 5 s")
    func muslServfail() {
        let resolver = Self.server(firstName: .servfail)
        let report = simulate("db", resolver: .musl, using: resolver)
        #expect(report.trace.outcome == .failed(.eaiAgain))
        #expect(report.trace.elapsed == .seconds(5))
        #expect(resolver.sent.allSatisfy { $0.name == "\(Self.first)." })
        // Round 1 at 0 s: A and AAAA plus 4 immediate resends (2 × queries); round 2 at 2.5 s: the same.
        #expect(report.queryCount == 12)
        let rounds = Set(report.trace.attempts.map { $0.sentAt < .milliseconds(2500) ? 1 : 2 })
        #expect(rounds == [1, 2])
        #expect(report.trace.attempts.contains { $0.note?.hasPrefix("resent after SERVFAIL") == true })
    }

    @Test("glibc: SERVFAIL for A but an answer for AAAA counts as resolved")
    func glibcServfailThenAnswer() {
        let resolver = ScriptedResolver()
        resolver.on(Self.first, .a, .servfail)
        resolver.on(Self.first, .aaaa, .address("fd00::1"))
        let report = simulate("db", using: resolver)
        #expect(report.resolvedName?.description == "\(Self.first).")
        #expect(report.queryCount == 2)
        #expect(report.trace.attempts.map(\.used) == [false, true])
    }

    // MARK: REFUSED and timeouts

    @Test("REFUSED on a search domain: glibc resends once, abandons the list and tries only the bare name")
    func glibcRefused() {
        let resolver = Self.server(firstName: .refused)
        let report = simulate("db", using: resolver)
        #expect(resolver.sentSummary == [
            "\(Self.first). A", "\(Self.first). AAAA", "\(Self.first). A", "\(Self.first). AAAA",
            "db. A", "db. AAAA",
        ])
        // The bare name is NXDOMAIN: the failure reads as "not found".
        #expect(report.trace.outcome == .failed(.eaiNoName))
    }

    @Test("REFUSED on a search domain: musl ignores it, resends at 2.5 s and fails EAI_AGAIN after the timeout")
    func muslRefused() {
        let resolver = Self.server(firstName: .refused)
        let report = simulate("db", resolver: .musl, using: resolver)
        #expect(report.trace.outcome == .failed(.eaiAgain))
        #expect(report.trace.elapsed == .seconds(5))
        #expect(report.queryCount == 4)
        #expect(report.trace.attempts[2].sentAt == .milliseconds(2500))
    }

    @Test("a timeout on a search domain: glibc waits attempts × timeout, then tries only the bare name")
    func glibcTimeout() {
        let resolver = Self.server(firstName: .timeout)
        let report = simulate("db", using: resolver)
        #expect(resolver.sent.map(\.name) == ["\(Self.first).", "\(Self.first).", "\(Self.first).", "\(Self.first).",
                                              "db.", "db."])
        #expect(report.trace.attempts[2].sentAt == .seconds(5))
        #expect(report.trace.elapsed >= .seconds(10))
        #expect(report.advice.contains { $0.kind == .timeout })
    }

    @Test("a timeout on a search domain: musl fails EAI_AGAIN at the timeout")
    func muslTimeout() {
        let resolver = Self.server(firstName: .timeout)
        let report = simulate("db", resolver: .musl, using: resolver)
        #expect(report.trace.outcome == .failed(.eaiAgain))
        #expect(report.trace.elapsed == .seconds(5))
        #expect(report.queryCount == 4)
    }

    @Test("nothing listening (ICMP unreachable): glibc gives up at once with EAI_AGAIN, without the bare name")
    func glibcUnreachable() {
        let resolver = ScriptedResolver()
        resolver.on(nil, nil, .unreachable)
        let report = simulate("db", using: resolver)
        #expect(report.trace.outcome == .failed(.eaiAgain))
        #expect(resolver.sent.map(\.name) == ["\(Self.first).", "\(Self.first).", "\(Self.first).", "\(Self.first)."])
    }

    @Test("glibc: a reply without AA, RA or records is a 'referral': retried like SERVFAIL, then the list is abandoned")
    func glibcReferral() {
        let resolver = Self.server(firstName: .referral)
        let report = simulate("db", using: resolver)
        // Its rcode is NOERROR, not SERVFAIL, so __res_context_search stops searching.
        #expect(resolver.sent.map(\.name) == ["\(Self.first).", "\(Self.first).", "\(Self.first).", "\(Self.first).",
                                              "db.", "db."])
        #expect(report.trace.outcome == .failed(.eaiNoName))
    }

    // MARK: dots ≥ ndots

    @Test("dots ≥ ndots and not found as written: glibc goes on through the search list; musl never searches")
    func asIsFirstThenSearch() {
        let glibc = ScriptedResolver()
        glibc.on("web.production.svc.cluster.local", .a, .address("10.0.0.9"))
        let g = simulate("web.production", .family(.a), conf: .testPod(ndots: 1), using: glibc)
        #expect(glibc.sent.map(\.name) == ["web.production.", "web.production.production.svc.cluster.local.",
                                           "web.production.svc.cluster.local."])
        #expect(g.resolvedName?.description == "web.production.svc.cluster.local.")

        let musl = ScriptedResolver()
        musl.on("web.production.svc.cluster.local", .a, .address("10.0.0.9"))
        let m = simulate("web.production", .family(.a), resolver: .musl, conf: .testPod(ndots: 1), using: musl)
        #expect(musl.sent.map(\.name) == ["web.production."])
        #expect(m.trace.outcome == .failed(.eaiNoName))
    }

    @Test("glibc: when the name as written was tried first and every name fails, its h_errno is the result")
    func glibcSavedHErrno() {
        let resolver = ScriptedResolver()
        resolver.on("a.b.c", nil, .nodata)
        let report = simulate("a.b.c", conf: .testPod(ndots: 2), using: resolver)
        // a.b.c. answered NODATA first; the search list is NXDOMAIN; the saved NO_DATA wins.
        #expect(report.trace.outcome == .failed(.eaiNoData))
        #expect(report.queryCount == 8)
    }

    // MARK: musl pair rules

    @Test("musl: A answered but AAAA NXDOMAIN reads as 'not here', the search goes on")
    func muslAaaaNxdomain() {
        let resolver = ScriptedResolver()
        resolver.on(Self.first, .a, .address("10.0.0.1"))
        resolver.on(Self.first, .aaaa, .nxdomain)
        resolver.on(Self.second, nil, .nodata)
        let report = simulate("db", resolver: .musl, using: resolver)
        #expect(report.trace.outcome == .failed(.eaiNoName))
        #expect(resolver.sent.map(\.name) == ["\(Self.first).", "\(Self.first).", "\(Self.second).", "\(Self.second)."])
    }

    @Test("musl: an A-only name resolves; its NODATA AAAA is sent but not used")
    func muslAOnly() {
        let resolver = StoppingRuleTests.server(firstName: .nxdomain)
        let report = simulate("db", resolver: .musl, using: resolver)
        #expect(report.resolvedName?.description == "\(Self.third).")
        #expect(report.trace.attempts.filter(\.used).map(\.qtype) == [.a])
        #expect(report.advice.contains { $0.kind == .aaaaNoData })
    }
}
