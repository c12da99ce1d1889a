import DNSWire
import Foundation
import Testing
import ZoneFile

/// Loading master files into the `Zone` model: names, RRsets, cuts, wildcards, TTL rules.
@Suite struct ZoneLoadTests {
    @Test("the example zone in Zones/ loads with its SOA, RRsets, cut, glue, wildcard and empty non-terminals")
    func exampleZone() throws {
        let zone = try Zone.load(file: repositoryZones.appendingPathComponent("example.test.zone").path, origin: "example.test.")
        #expect(zone.origin == "example.test.")
        #expect(zone.serial == 2024060101)
        #expect(zone.soa.minimum == 300)
        #expect(zone.negativeTTL == 300)
        #expect(zone.warnings.isEmpty)
        let www = try #require(zone.rrset("www.example.test.", .a))
        #expect(www.ttl == 300)
        #expect(www.rdata == [.a(IPv4Address(192, 0, 2, 80)), .a(IPv4Address(192, 0, 2, 81)), .a(IPv4Address(192, 0, 2, 82))])
        #expect(zone.rrset("web.example.test.", .cname)?.rdata == [.cname("www.example.test.")])
        #expect(zone.rrset("_http._tcp.example.test.", .srv)?.rdata == [.srv(priority: 10, weight: 5, port: 80, target: "www.example.test.")])
        #expect(zone.rrset("example.test.", .txt)?.rdata == [.txt([Array("v=spf1 mx -all".utf8)])])
        #expect(zone.delegationPoints == ["sub.example.test."])
        #expect(zone.glue(at: "sub.example.test.").flatMap(\.rdata) == [.a(IPv4Address(192, 0, 2, 53))])
        #expect(zone.wildcardNames == ["*.apps.example.test."])
        let apps = try #require(zone.node(named: "apps.example.test."))
        #expect(apps.isEmptyNonTerminal)
        #expect(apps.wildcard >= 0 && zone.nodes[apps.wildcard].name == "*.apps.example.test.")
        #expect(zone.node(named: "lab.example.test.")?.isEmptyNonTerminal == true)
        #expect(zone.node(named: "nothere.example.test.") == nil)
        #expect(zone.apex.name == "example.test.")
        #expect(zone.apex.rrset(.soa) != nil)
        #expect(zone.recordCount == 26)
    }

    @Test("lookups by wire name ignore case and find every ancestor of an owner")
    func caseInsensitiveIndex() throws {
        let dir = try ZoneDirectory(["db.zone": zoneHead + "A.Deep.Name IN A 192.0.2.9\n"])
        let zone = try dir.load()
        let mixed: DomainName = "a.DEEP.name.EXAMPLE.test."
        let found = mixed.wire.withUnsafeBytes { zone.find($0) }
        #expect(found.map { zone.nodes[$0].name } == "a.deep.name.example.test.")
        #expect(zone.node(named: "deep.name.example.test.")?.isEmptyNonTerminal == true)
        #expect(zone.node(named: "name.example.test.")?.isEmptyNonTerminal == true)
        // Owners are stored lowercase, as CoreDNS does.
        #expect(zone.node(named: "a.deep.name.example.test.")?.name.exactlyEquals("a.deep.name.example.test.") == true)
    }

    @Test("$TTL is the default; without it a record takes the last TTL stated (RFC 1035 §5.1)")
    func ttlDefaults() throws {
        let dir = try ZoneDirectory(["db.zone": """
            $ORIGIN example.test.
            @ 100 IN SOA ns1 hostmaster 1 3600 600 86400 60
            a IN A 192.0.2.1
            b 200 IN A 192.0.2.2
            c IN A 192.0.2.3
            $TTL 50
            d IN A 192.0.2.4
            e 70 IN A 192.0.2.5
            f IN A 192.0.2.6
            """])
        let zone = try dir.load()
        var ttls: [UInt32?] = []
        for label in ["a", "b", "c", "d", "e", "f"] {
            ttls.append(zone.rrset(try DomainName("\(label).example.test."), .a)?.ttl)
        }
        #expect(ttls == [100, 200, 200, 50, 70, 50])
        #expect(zone.soaTTL == 100)
        #expect(zone.negativeTTL == 60)
    }

    @Test("$ORIGIN changes how relative names are completed; @ is the origin")
    func originDirective() throws {
        let dir = try ZoneDirectory(["db.zone": zoneHead + """
            $ORIGIN sub.example.test.
            host IN A 192.0.2.7
            @ IN TXT "at sub"
            $ORIGIN example.test.
            back IN CNAME host.sub
            """])
        let zone = try dir.load()
        #expect(zone.rrset("host.sub.example.test.", .a) != nil)
        #expect(zone.rrset("sub.example.test.", .txt) != nil)
        #expect(zone.rrset("back.example.test.", .cname)?.rdata == [.cname("host.sub.example.test.")])
    }

    @Test("records outside the origin are ignored with a warning naming their line")
    func outOfZone() throws {
        let dir = try ZoneDirectory(["db.zone": zoneHead + "www.example.org. IN A 192.0.2.8\nok IN A 192.0.2.9\n"])
        let zone = try dir.load()
        #expect(zone.node(named: "www.example.org.") == nil)
        #expect(zone.rrset("ok.example.test.", .a) != nil)
        #expect(zone.warnings.map(\.description) == ["\(dir.path("db.zone")):6: www.example.org. is outside the zone example.test.: record ignored"])
    }

    @Test("identical records are kept once; differing TTLs in an RRset take the first, with a warning")
    func rrsetRules() throws {
        let dir = try ZoneDirectory(["db.zone": zoneHead + "x 10 IN A 192.0.2.1\nx 10 IN A 192.0.2.1\nx 20 IN A 192.0.2.2\n"])
        let zone = try dir.load()
        let x = try #require(zone.rrset("x.example.test.", .a))
        #expect(x.ttl == 10)
        #expect(x.rdata.count == 2)
        #expect(zone.warnings.count == 1)
        #expect(zone.warnings.first?.line == 8)
    }

    @Test("types DNSWire does not model stay opaque; TXT keeps a writer-ready wire form")
    func opaqueTypes() throws {
        let dir = try ZoneDirectory(["db.zone": zoneHead + """
            caa IN CAA 0 issue "ca.example.net"
            x IN TYPE65280 \\# 3 010203
            t IN TXT "hello" "world"
            d IN DNAME target.example.net.
            """])
        let zone = try dir.load()
        #expect(zone.rrset("x.example.test.", RecordType(rawValue: 65280))?.rdata == [.unknown([1, 2, 3])])
        #expect(zone.rrset("caa.example.test.", .caa) != nil)
        let txt = try #require(zone.rrset("t.example.test.", .txt))
        #expect(txt.wireRData == [.unknown([5] + Array("hello".utf8) + [5] + Array("world".utf8))])
        let target: DomainName = "target.example.net."
        #expect(zone.rrset("d.example.test.", .dname)?.rdata == [.unknown(target.wire)])
    }

    @Test("a zone may be the root zone")
    func rootOrigin() throws {
        let dir = try ZoneDirectory(["root.zone": ". 60 IN SOA a.root. b.root. 1 2 3 4 5\n. 60 IN NS a.root.\na.root. 60 IN A 192.0.2.1\n"])
        let zone = try dir.load("root.zone", origin: .root)
        #expect(zone.origin == .root)
        #expect(zone.rrset("a.root.", .a) != nil)
        #expect(zone.node(named: "root.")?.isEmptyNonTerminal == true)
    }
}
