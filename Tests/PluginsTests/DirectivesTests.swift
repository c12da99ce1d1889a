import Testing
@testable import Plugins

/// The one ordered directive list: every CoreDNS directive is known, so one this build lacks is
/// refused as "not supported yet" at its line, never as unknown and never ignored.
@Suite struct DirectivesTests {
    @Test("geoip and quic, CoreDNS directives, are refused as not supported yet at their line", arguments: [
        ("geoip /db/GeoLite2-City.mmdb", "geoip"), ("quic", "quic"), ("dnssec", "dnssec"),
    ])
    func notSupportedYet(line: String, name: String) {
        let error = OpsFixture.error(".:53 {\n \(line)\n}\n")
        #expect(error == "Corefile:2: plugin/\(name): not supported yet by ClusterDNS", "\(error ?? "accepted")")
    }

    @Test("a name CoreDNS does not know is an unknown directive")
    func unknown() {
        #expect(OpsFixture.error(".:53 {\n geoipx\n}\n") == "Corefile:2: unknown directive 'geoipx'")
    }

    @Test("CoreDNS's plugin.cfg order: geoip right after metadata, quic right after tls")
    func order() throws {
        let geoip = try #require(Directives.rank(of: "geoip"))
        let quic = try #require(Directives.rank(of: "quic"))
        #expect(geoip == (try #require(Directives.rank(of: "metadata"))) + 1)
        #expect(quic == (try #require(Directives.rank(of: "tls"))) + 1)
    }
}
