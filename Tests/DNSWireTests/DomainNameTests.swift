import Testing
@testable import DNSWire

@Suite struct DomainNameTests {
    @Test("parses and prints presentation text with escapes", arguments: [
        ("www.example.com", "www.example.com."),
        ("www.example.com.", "www.example.com."),
        (".", "."),
        ("a\\.b.example.", "a\\.b.example."),
        ("\\065bc.example.", "Abc.example."),
        ("sp\\032ace.example.", "sp\\032ace.example."),
        ("semi\\;colon.", "semi\\;colon."),
    ])
    func presentationRoundTrip(input: String, printed: String) throws {
        let name = try DomainName(input)
        #expect(name.description == printed)
        #expect(try DomainName(name.description) == name)
    }

    @Test("rejects empty labels, long labels, long names and bad escapes", arguments: [
        "a..b", "..", "\\25", "\\256x.", String(repeating: "a", count: 64) + ".com",
        Array(repeating: String(repeating: "a", count: 63), count: 4).joined(separator: "."),
    ])
    func rejectsInvalid(input: String) {
        #expect(throws: NameError.self) { try DomainName(input) }
    }

    @Test("a 255-octet name is accepted and a 256-octet one is not")
    func lengthLimit() throws {
        // 3 × 63-octet labels (192) + one 61-octet label (62) + root = 255.
        let ok = [String](repeating: String(repeating: "a", count: 63), count: 3) + [String(repeating: "b", count: 61)]
        let name = try DomainName(ok.joined(separator: "."))
        #expect(name.wireLength == 255)
        let tooLong = [String](repeating: String(repeating: "a", count: 63), count: 3) + [String(repeating: "b", count: 62)]
        #expect(throws: NameError.nameTooLong(256)) { try DomainName(tooLong.joined(separator: ".")) }
    }

    @Test("compares and hashes without regard to case but keeps the case it was given")
    func caseInsensitive() throws {
        let a = try DomainName("Web-App.Production.svc.CLUSTER.local.")
        let b = try DomainName("web-app.production.svc.cluster.local.")
        #expect(a == b)
        #expect(a.hashValue == b.hashValue)
        #expect(!a.exactlyEquals(b))
        #expect(a.description == "Web-App.Production.svc.CLUSTER.local.")
        #expect(Set([a, b]).count == 1)
    }

    @Test("knows subdomains on label boundaries only")
    func subdomains() throws {
        let zone = try DomainName("cluster.local.")
        #expect(DomainName("a.svc.Cluster.Local.").isSubdomain(of: zone))
        #expect(zone.isSubdomain(of: zone))
        #expect(!DomainName("xcluster.local.").isSubdomain(of: zone))
        #expect(try DomainName("anything.").isSubdomain(of: .root))
        let rel = try #require(try DomainName("a.b.cluster.local.").labels(relativeTo: zone))
        #expect(rel.map { String(decoding: $0, as: UTF8.self) } == ["a", "b"])
    }

    @Test("the SWAR hash and compare agree with byte-wise case folding")
    func swarAgreesWithBytewise() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let n = Int.random(in: 0...40, using: &generator)
            let a = (0..<n).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let b = a.map { byte -> UInt8 in
                let flip = Bool.random(using: &generator)
                if flip, (65...90).contains(byte) { return byte | 0x20 }
                if flip, (97...122).contains(byte) { return byte & ~0x20 }
                return byte
            }
            a.withUnsafeBytes { ra in
                b.withUnsafeBytes { rb in
                    #expect(WireName.equalIgnoringCase(ra, rb))
                    #expect(WireName.hashIgnoringCase(ra) == WireName.hashIgnoringCase(rb))
                }
            }
            var c = a
            if !c.isEmpty {
                let i = Int.random(in: 0..<c.count, using: &generator)
                c[i] = c[i] == 0x41 ? 0x42 : (c[i] &+ 1 == 0x61 ? 0x62 : c[i] &+ 1)
                let differs = zip(a, c).contains { WireName.lowercase($0) != WireName.lowercase($1) }
                a.withUnsafeBytes { ra in
                    c.withUnsafeBytes { rc in #expect(WireName.equalIgnoringCase(ra, rc) == !differs) }
                }
            }
        }
    }
}

@Suite struct AddressTests {
    @Test("IPv4 text", arguments: [("10.96.0.10", true), ("0.0.0.0", true), ("255.255.255.255", true),
                                    ("256.1.1.1", false), ("1.2.3", false), ("01.2.3.4", false), ("1.2.3.4.", false), ("", false)])
    func ipv4(text: String, valid: Bool) {
        let a = IPv4Address(text)
        #expect((a != nil) == valid)
        if let a { #expect(a.description == text) }
    }

    @Test("IPv6 text is parsed and printed canonically (RFC 5952)", arguments: [
        ("2001:db8::1", "2001:db8::1"), ("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
        ("::", "::"), ("::1", "::1"), ("fd00:10:96::a", "fd00:10:96::a"), ("::ffff:10.0.0.1", "::ffff:a00:1"),
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"), ("1:0:0:2:0:0:0:3", "1:0:0:2::3"),
        ("2001:db8:1:1:1:1:1:1", "2001:db8:1:1:1:1:1:1"),
    ])
    func ipv6(text: String, canonical: String) throws {
        let a = try #require(IPv6Address(text))
        #expect(a.description == canonical)
        #expect(IPv6Address(canonical) == a)
    }

    @Test("IPv6 rejects malformed text", arguments: ["1::2::3", ":1", "1:", "12345::", "g::1", "1:2:3:4:5:6:7:8:9", "fe80::1%eth0"])
    func ipv6Invalid(text: String) { #expect(IPv6Address(text) == nil) }

    @Test("reverse names map both ways")
    func reverse() throws {
        let v4 = try #require(IPAddress("10.96.0.10"))
        #expect(v4.reverseName.description == "10.0.96.10.in-addr.arpa.")
        #expect(IPAddress(reverseName: v4.reverseName) == v4)
        let v6 = try #require(IPAddress("2001:db8::567:89ab"))
        #expect(v6.reverseName.description == "b.a.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.")
        #expect(IPAddress(reverseName: v6.reverseName) == v6)
        #expect(IPAddress(reverseName: try DomainName("96.10.in-addr.arpa.")) == nil)
    }
}
