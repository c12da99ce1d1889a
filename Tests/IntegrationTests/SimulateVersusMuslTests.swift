import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The musl model checked against real musl 1.2.3 (Debian's musl-tools): a static getaddrinfo
/// client (Tests/Fixtures/simulator/stub/lookup.c, built with musl-gcc) and `clusterdns simulate
/// --resolver musl` against the same dnsmasq, in a private network namespace (see
/// `SimulateVersusGlibcTests`). Skipped without root, unshare, ip, dnsmasq or musl-gcc.
@Suite(.serialized, .enabled(if: muslCrossCheckAvailable, "needs root, unshare, ip, dnsmasq and musl-gcc"))
struct SimulateVersusMuslTests {
    static let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/simulator/stub/lookup.c").path

    /// Builds the client once per test (a fraction of a second).
    static func buildClient() throws -> String {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("lookup-musl-\(UUID().uuidString)").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/musl-gcc")
        process.arguments = ["-static", "-O1", "-o", output, source]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        return output
    }

    static func compare(_ name: String, resolvConf: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let client = try buildClient()
        defer { try? FileManager.default.removeItem(atPath: client) }
        let real = try SimulateVersusGlibcTests.inNamespace(resolvConf: resolvConf, "\(client) \(name)")
        let simulatedRun = try SimulateVersusGlibcTests.inNamespace(resolvConf: resolvConf, """
            \(ServerProcess.binary) simulate \(name) --resolver musl --resolv-conf /etc/resolv.conf --server 127.0.0.1:53 --json
            """)
        #expect(!real.queries.isEmpty, "\(real.output)", sourceLocation: sourceLocation)
        #expect(try SimulateVersusGlibcTests.simulated(simulatedRun.output) == real.queries, "\(name)",
                sourceLocation: sourceLocation)
    }

    @Test("search, NODATA stopping the search, a second-domain name: the same queries as musl",
          arguments: ["api.example.com", "db", "web-app.production", "nothere.example.com"])
    func sameQueries(_ name: String) throws {
        try Self.compare(name, resolvConf: SimulateVersusGlibcTests.podResolvConf)
    }

    @Test("ndots:2: no search at all for a name with two dots, as musl")
    func noSearch() throws {
        try Self.compare("api.example.com", resolvConf: """
            search production.svc.cluster.local svc.cluster.local cluster.local
            nameserver 127.0.0.1
            options ndots:2

            """)
    }

    @Test("REFUSED on a search domain: musl ignores it and resends on its schedule until the timeout, as simulated")
    func refused() throws {
        try Self.compare("x", resolvConf: """
            search production.svc.cluster.local elsewhere.test cluster.local
            nameserver 127.0.0.1
            options ndots:5 timeout:1

            """)
    }
}

let muslCrossCheckAvailable: Bool = glibcCrossCheckAvailable && FileManager.default.isExecutableFile(atPath: "/usr/bin/musl-gcc")
