import Foundation
import Testing

/// The hard cases of both models against the real libraries: SERVFAIL on a search domain and a
/// lost AAAA reply, served by a scripted responder (Tests/Fixtures/simulator/stub/responder.py)
/// in a private network namespace. glibc is this machine's (2.36); musl is Debian's 1.2.3.
@Suite(.serialized, .enabled(if: muslCrossCheckAvailable, "needs root, unshare, ip, python3, dnsmasq and musl-gcc"))
struct SimulateVersusLibcFaultsTests {
    static let conf = """
        search fail.test production.svc.cluster.local cluster.local
        nameserver 127.0.0.1
        options ndots:5 timeout:1

        """

    static let rules = [
        "x.fail.test/*=servfail",
        "x.production.svc.cluster.local/A=10.0.0.7", "x.production.svc.cluster.local/AAAA=nodata",
        "y.fail.test/A=10.0.0.8", "y.fail.test/AAAA=drop",
    ]

    static func compare(_ name: String, resolver: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let realCommand: String
        var client: String? = nil
        if resolver == "musl" {
            let built = try SimulateVersusMuslTests.buildClient()
            client = built
            realCommand = "\(built) \(name)"
        } else {
            realCommand = "getent ahosts \(name) > /dev/null"
        }
        defer { if let client { try? FileManager.default.removeItem(atPath: client) } }
        let real = try SimulateVersusGlibcTests.inNamespace(resolvConf: conf, server: .responder(rules), realCommand)
        let simulatedRun = try SimulateVersusGlibcTests.inNamespace(resolvConf: conf, server: .responder(rules), """
            \(ServerProcess.binary) simulate \(name) --resolver \(resolver) --resolv-conf /etc/resolv.conf --server 127.0.0.1:53 --json
            """)
        #expect(!real.queries.isEmpty, "\(real.output)", sourceLocation: sourceLocation)
        #expect(try SimulateVersusGlibcTests.simulated(simulatedRun.output) == real.queries, "\(resolver) \(name)",
                sourceLocation: sourceLocation)
        #expect(simulatedRun.queries == real.queries, "the simulation's own packets", sourceLocation: sourceLocation)
    }

    @Test("SERVFAIL on the first search domain: glibc resends once and goes on; musl resends at once and per interval, then fails")
    func servfail() throws {
        try Self.compare("x", resolver: "glibc")
        try Self.compare("x", resolver: "musl")
    }

    @Test("A answered, AAAA never: glibc's single-request(-reopen) fallback; musl resends AAAA and fails")
    func lostAAAA() throws {
        try Self.compare("y", resolver: "glibc")
        try Self.compare("y", resolver: "musl")
    }
}
