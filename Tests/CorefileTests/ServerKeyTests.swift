import Testing
@testable import Corefile

@Suite struct ServerKeyTests {
    @Test("normalizes a written key to zone and port", arguments: [
        (".", ".", 53),
        (".:53", ".", 53),
        ("cluster.local", "cluster.local.", 53),
        ("cluster.local.", "cluster.local.", 53),
        ("Cluster.Local:1053", "cluster.local.", 1053),
        ("dns://.:5353", ".", 5353),
        ("DNS://example.org", "example.org.", 53),
        ("example.org:+53", "example.org.", 53),
        ("0.0.10.in-addr.arpa", "0.0.10.in-addr.arpa.", 53),
        ("a\\.b.example", "a\\.b.example.", 53),
        ("a/b.example", "a/b.example.", 53),
        ("10.0.0.1", "10.0.0.1.", 53),
    ])
    func normalizes(_ written: String, _ zone: String, _ port: Int) throws {
        let keys = try ServerKey.parse(written, at: SourceLocation(file: "Corefile", line: 1), defaultPort: 53)
        #expect(keys.map(\.zone) == [zone])
        #expect(keys.map(\.port) == [port])
        #expect(keys.map(\.original) == [written])
    }

    @Test("a 255-character key without its final dot is too long once normalized (fuzz finding)")
    func lengthCheckedAfterNormalizing() throws {
        // Escaped dots make the text longer than the wire form, so the wire-length check passes.
        let label = String(repeating: "a\\.", count: 16) + "aa"
        let name = [label, label, label, label, label + "b"].joined(separator: ".")
        #expect(name.utf8.count == 255)
        #expect(throws: CorefileError.self) {
            try ServerKey.parse(name, at: SourceLocation(file: "Corefile", line: 1), defaultPort: 53)
        }
        let shorter = String(name.dropLast())
        let keys = try ServerKey.parse(shorter, at: SourceLocation(file: "Corefile", line: 1), defaultPort: 53)
        #expect(keys.first?.zone.utf8.count == 255)
        #expect(try ServerKey.parse(shorter + ".", at: SourceLocation(file: "Corefile", line: 1), defaultPort: 53)
            .first?.zone == keys.first?.zone)
    }

    @Test("expands CIDR keys to reverse zones the way CoreDNS does", arguments: [
        ("10.0.0.0/8", ["10.in-addr.arpa."]),
        ("10.1.2.3/8", ["10.in-addr.arpa."]),
        ("192.168.0.0/16", ["168.192.in-addr.arpa."]),
        ("10.0.0.0/24", ["0.0.10.in-addr.arpa."]),
        ("10.0.0.0/32", ["0.0.0.10.in-addr.arpa."]),
        ("0.0.0.0/0", ["in-addr.arpa."]),
        ("10.0.0.0/15", ["0.10.in-addr.arpa.", "1.10.in-addr.arpa."]),
        ("172.16.0.0/12", (16...31).map { "\($0).172.in-addr.arpa." }),
        ("10.0.0.0/27", (0...31).map { "\($0).0.0.10.in-addr.arpa." }),
        ("10.0.0.64/26", (64...127).map { "\($0).0.0.10.in-addr.arpa." }),
        ("fd00::/64", ["0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa."]),
        ("fd00::/8", ["d.f.ip6.arpa."]),
        ("fd00::/7", ["c.f.ip6.arpa.", "d.f.ip6.arpa."]),
        ("2001:db8::/30", ["8.b.d.0.1.0.0.2.ip6.arpa.", "9.b.d.0.1.0.0.2.ip6.arpa.", "a.b.d.0.1.0.0.2.ip6.arpa.", "b.b.d.0.1.0.0.2.ip6.arpa."]),
        ("2001:DB8::/32", ["8.b.d.0.1.0.0.2.ip6.arpa."]),
        ("fd00::/64:1053", ["0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa."]),
    ])
    func cidr(_ written: String, _ zones: [String]) throws {
        let keys = try ServerKey.parse(written, at: SourceLocation(file: "Corefile", line: 1), defaultPort: 53)
        #expect(keys.map(\.zone) == zones)
    }

    @Test("a CIDR key keeps its port", arguments: [("10.0.0.0/8:1053", 1053), ("fd00::/64:1053", 1053), ("fd00::/64", 53)])
    func cidrPort(_ written: String, _ port: Int) throws {
        let keys = try ServerKey.parse(written, at: SourceLocation(file: "Corefile", line: 1), defaultPort: 53)
        #expect(keys.allSatisfy { $0.port == port })
    }

    @Test("a CIDR off a label boundary expands to at most 128 IPv4 zones")
    func largestExpansion() throws {
        let keys = try ServerKey.parse("10.0.0.0/9", at: SourceLocation(file: "C", line: 1), defaultPort: 53)
        #expect(keys.count == 128)
        #expect(keys.first?.zone == "0.10.in-addr.arpa.")
        #expect(keys.last?.zone == "127.10.in-addr.arpa.")
    }

    @Test("text that is not a valid CIDR is an ordinary zone name", arguments: [
        ("10.0.0.0/33", "10.0.0.0/33."),
        ("300.0.0.0/8", "300.0.0.0/8."),
        ("010.0.0.0/8", "010.0.0.0/8."),
        ("10.0.0/8", "10.0.0/8."),
    ])
    func notCIDR(_ written: String, _ zone: String) throws {
        let keys = try ServerKey.parse(written, at: SourceLocation(file: "C", line: 1), defaultPort: 53)
        #expect(keys.map(\.zone) == [zone])
    }

    @Test("parses IPv6 text like Go's net.ParseIP", arguments: [
        ("::", true), ("::1", true), ("fd00::", true), ("1:2:3:4:5:6:7:8", true), ("1::8", true),
        ("::ffff:10.0.0.1", true), ("1:2:3:4:5:6:7::", true), ("::1:2:3:4:5:6:7", true),
        ("1:2:3:4:5:6:7:8:9", false), ("1::2::3", false), ("12345::", false), ("1:", false), (":1", false),
        ("g::", false), ("", false), ("1:2:3:4:5:6:7:8::", false), ("::10.0.0.256", false),
    ])
    func ipv6(_ text: String, _ valid: Bool) {
        #expect((ReverseZones.parseIPv6(Substring(text)) != nil) == valid)
    }

    @Test("zone names are checked for empty labels and length", arguments: [
        ("a..b", ZoneName.Defect.emptyLabel),
        (".a", .emptyLabel),
        ("a.b..", .emptyLabel),
        ("a\\", .danglingEscape),
        (String(repeating: "a", count: 64) + ".org", .labelTooLong(octets: 64)),
        (Array(repeating: String(repeating: "a", count: 63), count: 4).joined(separator: "."), .nameTooLong(octets: 257)),
    ])
    func zoneDefects(_ zone: String, _ defect: ZoneName.Defect) {
        #expect(ZoneName.validate(zone) == defect)
    }

    @Test("longest legal names pass", arguments: [
        String(repeating: "a", count: 63) + ".org",
        [String](repeating: String(repeating: "a", count: 63), count: 3).joined(separator: ".") + "." + String(repeating: "b", count: 61),
        String(repeating: "\\065", count: 63),
    ])
    func legalNames(_ zone: String) {
        #expect(ZoneName.validate(zone) == nil)
    }
}
