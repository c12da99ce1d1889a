import DNSWire
import Foundation
import Testing
import ZoneFile

/// `$INCLUDE`, which libldns 1.8.3 does not implement in its zone reader: handled by ours.
@Suite struct IncludeTests {
    @Test("an included file is read in place, relative to the including file, with the includer's origin and $TTL")
    func relativeInclude() throws {
        let dir = try ZoneDirectory([
            "zones/db.zone": zoneHead + "before IN A 192.0.2.10\n$INCLUDE parts/hosts.inc\nafter IN A 192.0.2.12\n",
            "zones/parts/hosts.inc": "; hosts\ninside IN A 192.0.2.11\n",
        ])
        let zone = try dir.load("zones/db.zone")
        #expect(zone.rrset("inside.example.test.", .a)?.ttl == 300)
        #expect(zone.rrset("before.example.test.", .a) != nil)
        #expect(zone.rrset("after.example.test.", .a) != nil)
        #expect(zone.files == [dir.path("zones/db.zone"), dir.path("zones/parts/hosts.inc")])
    }

    @Test("$INCLUDE with an origin reads the file under it; the includer's origin and TTL are restored after")
    func includeWithOrigin() throws {
        let dir = try ZoneDirectory([
            "db.zone": zoneHead + "$INCLUDE sub.inc sub\nafter IN A 192.0.2.12\n",
            "sub.inc": "$TTL 42\n@ IN TXT \"apex of sub\"\nhost IN A 192.0.2.11\n$ORIGIN elsewhere.example.test.\nx IN A 192.0.2.13\n",
        ])
        let zone = try dir.load()
        #expect(zone.rrset("sub.example.test.", .txt)?.ttl == 42)
        #expect(zone.rrset("host.sub.example.test.", .a) != nil)
        #expect(zone.rrset("x.elsewhere.example.test.", .a) != nil)
        let after = try #require(zone.rrset("after.example.test.", .a))
        #expect(after.ttl == 300)
    }

    @Test("an absolute include path is used as is; an absolute origin operand too")
    func absoluteInclude() throws {
        let dir = try ZoneDirectory(["other.inc": "@ IN A 192.0.2.44\n"])
        try dir.write("db.zone", zoneHead + "$INCLUDE \(dir.path("other.inc")) abs.example.test.\n")
        let zone = try dir.load()
        #expect(zone.rrset("abs.example.test.", .a)?.rdata == [.a(IPv4Address(192, 0, 2, 44))])
    }

    @Test("a file that includes itself, directly or through another, is an error at the $INCLUDE line")
    func cycles() throws {
        let dir = try ZoneDirectory([
            "self.zone": zoneHead + "$INCLUDE self.zone\n",
            "a.zone": zoneHead + "$INCLUDE b.inc\n",
            "b.inc": "x IN A 192.0.2.1\n$INCLUDE a.zone\n",
        ])
        let direct = #expect(throws: ZoneFileError.self) { try dir.load("self.zone") }
        #expect(direct?.line == 6)
        #expect(direct?.message.hasPrefix("$INCLUDE cycle") == true)
        let indirect = #expect(throws: ZoneFileError.self) { try dir.load("a.zone") }
        #expect(indirect?.file == dir.path("b.inc"))
        #expect(indirect?.line == 2)
    }

    @Test("includes nest at most seven deep")
    func depthLimit() throws {
        var files = ["db.zone": zoneHead + "$INCLUDE 1.inc\n"]
        for i in 1...8 { files["\(i).inc"] = "h\(i) IN A 192.0.2.\(i)\n$INCLUDE \(i + 1).inc\n" }
        files["9.inc"] = "last IN A 192.0.2.99\n"
        let dir = try ZoneDirectory(files)
        let error = #expect(throws: ZoneFileError.self) { try dir.load() }
        #expect(error?.message == "$INCLUDE nested more than 7 deep")
    }
}
