import Corefile
import DNSWire
import Foundation
import Logging
import Testing
@testable import Plugins

/// The zone the `file` tests answer from: every case of plugin/file's lookup.
let fileTestZone = """
$ORIGIN example.test.
$TTL 3600
@               IN SOA   ns1 hostmaster 1 7200 3600 1209600 300
                IN NS    ns1
                IN NS    ns2.example.net.
                IN MX    10 mail
ns1             IN A     192.0.2.1
mail            IN A     192.0.2.25
                IN AAAA  2001:db8::25
www        300  IN A     192.0.2.80
           300  IN A     192.0.2.81
web             IN CNAME www
chain1          IN CNAME chain2
chain2          IN CNAME www
loop1           IN CNAME loop2
loop2           IN CNAME loop1
out             IN CNAME host.elsewhere.test.
dangling        IN CNAME nothere
wild            IN CNAME x.apps
tosub           IN CNAME host.sub
_sip._tcp       IN SRV   10 5 5060 mail
*.apps          IN A     192.0.2.100
*.apps          IN TXT   "wild"
static.apps     IN A     192.0.2.101
host1.lab       IN A     192.0.2.131
*.dept          IN A     192.0.2.140
x.hr.dept       IN A     192.0.2.141
x.*.emptywild   IN A     192.0.2.150
*.cw            IN CNAME www
legacy          IN DNAME lab.example.test.
sub             IN NS    ns1.sub
                IN NS    ns.example.net.
ns1.sub         IN A     192.0.2.53
                IN AAAA  2001:db8::53

"""

let fileCorefile = """
. {
    file db.example.test example.test
    erratic
}
"""

@Suite struct FilePluginTests {
    static func chain(_ corefile: String = fileCorefile, zone: String = fileTestZone) throws -> InProcessChain {
        try InProcessChain(corefile: corefile, files: ["db.example.test": zone], extra: ["erratic": StubNextPlugin.spec])
    }

    static let nameServers = ["example.test. 3600 IN NS ns1.example.test.", "example.test. 3600 IN NS ns2.example.net."]
    static let soa = "example.test. 300 IN SOA ns1.example.test. hostmaster.example.test. 1 7200 3600 1209600 300"

    @Test("an existing name's RRset is the answer, authoritative, with the apex NS in authority")
    func exactMatch() throws {
        let reply = try Self.chain().query("www.example.test.", .a)
        #expect(reply.rcode == .noError)
        #expect(reply.header.authoritative)
        #expect(reply.answerLines == ["www.example.test. 300 IN A 192.0.2.80", "www.example.test. 300 IN A 192.0.2.81"])
        #expect(reply.authorityLines == Self.nameServers)
        #expect(!reply.cameFromStub)
    }

    @Test("the answer's owner echoes the question's case")
    func questionCase() throws {
        let reply = try Self.chain().query("WwW.Example.TEST.", .a)
        #expect(reply.answers.first?.name.exactlyEquals("WwW.Example.TEST.") == true)
    }

    @Test("NODATA and NXDOMAIN carry the SOA with TTL min(SOA TTL, MINIMUM); an empty non-terminal is NODATA")
    func negativeAnswers() throws {
        let chain = try Self.chain()
        let nodata = try chain.query("www.example.test.", .txt)
        #expect(nodata.rcode == .noError)
        #expect(nodata.header.authoritative)
        #expect(nodata.answers.isEmpty)
        #expect(nodata.authorityLines == [Self.soa])
        let nxdomain = try chain.query("nothere.example.test.", .a)
        #expect(nxdomain.rcode == .nameError)
        #expect(nxdomain.header.authoritative)
        #expect(nxdomain.authorityLines == [Self.soa])
        let ent = try chain.query("lab.example.test.", .a)
        #expect(ent.rcode == .noError)
        #expect(ent.answers.isEmpty)
        #expect(ent.authorityLines == [Self.soa])
    }

    @Test("CNAMEs are followed inside the zone; a CNAME query gets the CNAME alone")
    func inZoneAliases() throws {
        let chain = try Self.chain()
        let web = try chain.query("web.example.test.", .a)
        #expect(web.answerLines == ["web.example.test. 3600 IN CNAME www.example.test.",
                                    "www.example.test. 300 IN A 192.0.2.80", "www.example.test. 300 IN A 192.0.2.81"])
        #expect(web.header.authoritative)
        #expect(web.authorityLines == Self.nameServers)
        let two = try chain.query("chain1.example.test.", .a)
        #expect(two.answers.map(\.type) == [.cname, .cname, .a, .a])
        let cname = try chain.query("web.example.test.", .cname)
        #expect(cname.answerLines == ["web.example.test. 3600 IN CNAME www.example.test."])
        let nodataAtTarget = try chain.query("web.example.test.", .txt)
        #expect(nodataAtTarget.answerLines == ["web.example.test. 3600 IN CNAME www.example.test."])
        #expect(nodataAtTarget.authorityLines == [Self.soa])
    }

    @Test("a CNAME loop stops after eight links with what it has")
    func aliasLoop() throws {
        let reply = try Self.chain().query("loop1.example.test.", .a)
        #expect(reply.rcode == .noError)
        #expect(reply.answers.allSatisfy { $0.type == .cname })
        #expect(reply.answers.count == 9)
    }

    @Test("a CNAME leaving the zone is resolved through the server and appended")
    func outOfZoneAlias() throws {
        let reply = try Self.chain().query("out.example.test.", .a)
        #expect(reply.answerLines == ["out.example.test. 3600 IN CNAME host.elsewhere.test.", "host.elsewhere.test. 30 IN A 192.0.2.250"])
        #expect(reply.header.authoritative)
        #expect(reply.authorityLines == Self.nameServers)
    }

    @Test("a CNAME to a missing in-zone name ends in NXDOMAIN; to a wildcard-covered name, in the synthesized answer")
    func inZoneAliasThroughServer() throws {
        let chain = try Self.chain()
        let dangling = try chain.query("dangling.example.test.", .a)
        #expect(dangling.rcode == .nameError)
        #expect(dangling.answerLines == ["dangling.example.test. 3600 IN CNAME nothere.example.test."])
        #expect(dangling.authorityLines == [Self.soa])
        let wild = try chain.query("wild.example.test.", .a)
        #expect(wild.rcode == .noError)
        #expect(wild.answerLines == ["wild.example.test. 3600 IN CNAME x.apps.example.test.", "x.apps.example.test. 3600 IN A 192.0.2.100"])
    }

    @Test("a wildcard answers for missing names below its parent, with the query name as owner")
    func wildcardMatch() throws {
        let chain = try Self.chain()
        let a = try chain.query("anything.apps.example.test.", .a)
        #expect(a.answerLines == ["anything.apps.example.test. 3600 IN A 192.0.2.100"])
        #expect(a.header.authoritative)
        let deeper = try chain.query("a.b.apps.example.test.", .a)
        #expect(deeper.answerLines == ["a.b.apps.example.test. 3600 IN A 192.0.2.100"])
        let txt = try chain.query("other.apps.example.test.", .txt)
        #expect(txt.answerLines == ["other.apps.example.test. 3600 IN TXT \"wild\""])
        let nodata = try chain.query("other.apps.example.test.", .aaaa)
        #expect(nodata.rcode == .noError)
        #expect(nodata.answers.isEmpty)
        #expect(nodata.authorityLines == [Self.soa])
        let alias = try chain.query("x.cw.example.test.", .a)
        #expect(alias.answers.map(\.line).first == "x.cw.example.test. 3600 IN CNAME www.example.test.")
        #expect(alias.answers.count == 3)
    }

    @Test("no wildcard match for an existing name, below an existing name, or below an empty non-terminal")
    func wildcardNoMatch() throws {
        let chain = try Self.chain()
        let existing = try chain.query("static.apps.example.test.", .txt)
        #expect(existing.rcode == .noError)
        #expect(existing.answers.isEmpty)
        let below = try chain.query("x.static.apps.example.test.", .a)
        #expect(below.rcode == .nameError)
        let entItself = try chain.query("hr.dept.example.test.", .a)
        #expect(entItself.rcode == .noError)
        #expect(entItself.answers.isEmpty)
        let belowEnt = try chain.query("y.hr.dept.example.test.", .a)
        #expect(belowEnt.rcode == .nameError)
        let covered = try chain.query("other.dept.example.test.", .a)
        #expect(covered.answerLines == ["other.dept.example.test. 3600 IN A 192.0.2.140"])
    }

    @Test("a wildcard that is itself an empty non-terminal gives NODATA")
    func emptyWildcard() throws {
        let reply = try Self.chain().query("foo.emptywild.example.test.", .a)
        #expect(reply.rcode == .noError)
        #expect(reply.answers.isEmpty)
        #expect(reply.authorityLines == [Self.soa])
    }

    @Test("names at or below a zone cut get a referral: NS in authority, glue in additional, AA clear")
    func delegation() throws {
        let chain = try Self.chain()
        for name in ["host.sub.example.test.", "sub.example.test.", "ns1.sub.example.test."] {
            let reply = try chain.query(name, .a)
            #expect(reply.rcode == .noError, "\(name)")
            #expect(!reply.header.authoritative, "\(name)")
            #expect(reply.answers.isEmpty, "\(name)")
            #expect(reply.authorityLines == ["sub.example.test. 3600 IN NS ns1.sub.example.test.", "sub.example.test. 3600 IN NS ns.example.net."])
            #expect(reply.additionalLines == ["ns1.sub.example.test. 3600 IN A 192.0.2.53", "ns1.sub.example.test. 3600 IN AAAA 2001:db8::53"])
        }
        let ds = try chain.query("sub.example.test.", .ds)
        #expect(ds.header.authoritative)
        #expect(ds.authorityLines == [Self.soa])
        let viaAlias = try chain.query("tosub.example.test.", .a)
        #expect(viaAlias.header.authoritative)
        #expect(viaAlias.answerLines == ["tosub.example.test. 3600 IN CNAME host.sub.example.test."])
        #expect(viaAlias.authorities.map(\.type) == [.ns, .ns])
    }

    @Test("apex SOA and NS queries; MX and SRV answers bring their in-zone targets' addresses")
    func apexAndAdditional() throws {
        let chain = try Self.chain()
        let soa = try chain.query("example.test.", .soa)
        #expect(soa.answerLines == ["example.test. 3600 IN SOA ns1.example.test. hostmaster.example.test. 1 7200 3600 1209600 300"])
        #expect(soa.authorityLines == Self.nameServers)
        let ns = try chain.query("example.test.", .ns)
        #expect(ns.answerLines == Self.nameServers)
        #expect(ns.additionalLines == ["ns1.example.test. 3600 IN A 192.0.2.1"])
        let mx = try chain.query("example.test.", .mx)
        #expect(mx.answerLines == ["example.test. 3600 IN MX 10 mail.example.test."])
        #expect(mx.additionalLines == ["mail.example.test. 3600 IN A 192.0.2.25", "mail.example.test. 3600 IN AAAA 2001:db8::25"])
        let srv = try chain.query("_sip._tcp.example.test.", .srv)
        #expect(srv.additionalLines == ["mail.example.test. 3600 IN A 192.0.2.25", "mail.example.test. 3600 IN AAAA 2001:db8::25"])
    }

    @Test("a DNAME rewrites names below it: DNAME, synthesized CNAME, then the target's answer")
    func dname() throws {
        let reply = try Self.chain().query("host1.legacy.example.test.", .a)
        #expect(reply.answers.map(\.type) == [.dname, .cname, .a])
        #expect(reply.answers[1].line == "host1.legacy.example.test. 3600 IN CNAME host1.lab.example.test.")
        #expect(reply.answers[2].line == "host1.lab.example.test. 3600 IN A 192.0.2.131")
    }

    @Test("zone transfers are refused; names outside the zone go to the next plugin")
    func refusedAndOutside() throws {
        let chain = try Self.chain()
        #expect(try chain.query("example.test.", .axfr, transport: .tcp).rcode == .refused)
        let outside = try chain.query("www.example.org.", .a)
        #expect(outside.cameFromStub)
    }

    @Test("fallthrough passes NXDOMAIN and empty non-terminals on, never NODATA or answers")
    func fallthroughCases() throws {
        let chain = try Self.chain(". {\n    file db.example.test example.test {\n        fallthrough\n    }\n    erratic\n}\n")
        #expect(try chain.query("nothere.example.test.", .a).cameFromStub)
        #expect(try chain.query("lab.example.test.", .a).cameFromStub)
        let nodata = try chain.query("www.example.test.", .txt)
        #expect(!nodata.cameFromStub)
        #expect(!(try chain.query("www.example.test.", .a).cameFromStub))
        let scoped = try Self.chain(". {\n    file db.example.test example.test {\n        fallthrough other.test\n    }\n    erratic\n}\n")
        #expect(!(try scoped.query("nothere.example.test.", .a).cameFromStub))
    }

    @Test("several file directives in one block serve all their zones; one zone file may serve several origins")
    func severalZones() throws {
        let other = "@ 60 IN SOA ns hm 1 2 3 4 5\nhost 60 IN A 192.0.2.77\n"
        let chain = try InProcessChain(corefile: """
            . {
                file db.example.test example.test
                file db.other other.test third.test
                erratic
            }
            """, files: ["db.example.test": fileTestZone, "db.other": other], extra: ["erratic": StubNextPlugin.spec])
        #expect(try chain.query("www.example.test.", .a).answers.count == 2)
        #expect(try chain.query("host.other.test.", .a).answerLines == ["host.other.test. 60 IN A 192.0.2.77"])
        #expect(try chain.query("host.third.test.", .a).answerLines == ["host.third.test. 60 IN A 192.0.2.77"])
    }

    @Test("a broken zone file fails the Corefile with the directive's and the zone's file:line")
    func setupErrors() throws {
        let broken = fileTestZone + "bad IN A 1.2.3\n"
        let error = #expect(throws: CorefileError.self) { try Self.chain(zone: broken) }
        let zoneLine = broken.split(separator: "\n", omittingEmptySubsequences: false).count - 1
        #expect(error?.description.hasPrefix("Corefile:2: plugin/file: zone example.test.: ") == true)
        #expect(error?.description.hasSuffix("db.example.test:\(zoneLine): Syntax error, could not parse the RR's rdata") == true)
        let syntax = #expect(throws: CorefileError.self) {
            try Self.chain(". {\n    file db.example.test {\n        reload soon\n    }\n}\n")
        }
        #expect(syntax?.description.hasPrefix("Corefile:3: plugin/file: reload:") == true)
        let unknown = #expect(throws: CorefileError.self) {
            try Self.chain(". {\n    file db.example.test {\n        transfer to *\n    }\n}\n")
        }
        #expect(unknown?.description == "Corefile:3: plugin/file: unknown property 'transfer'")
        #expect(throws: CorefileError.self) { try Self.chain(". {\n    file\n}\n") }
    }

    @Test("a missing zone file is an error with reload 0, and SERVFAIL until it appears with reload on")
    func missingFile() throws {
        let error = #expect(throws: CorefileError.self) {
            try InProcessChain(corefile: ". {\n    file nope.zone example.test {\n        reload 0\n    }\n}\n")
        }
        #expect(error?.description.contains("cannot open: No such file or directory") == true)
        let chain = try InProcessChain(corefile: ". {\n    file late.zone example.test\n}\n")
        #expect(try chain.query("www.example.test.", .a).rcode == .serverFailure)
        try chain.write("late.zone", fileTestZone)
        try Self.plugin(chain).zones[0].reloadIfChanged(logger: Logger(label: "test"))
        #expect(try chain.query("www.example.test.", .a).answers.count == 2)
    }

    static func serial(_ chain: InProcessChain) throws -> UInt32? {
        guard case .soa(let soa)? = try chain.query("example.test.", .soa).answers.first?.rdata else { return nil }
        return soa.serial
    }

    static func plugin(_ chain: InProcessChain) throws -> FilePlugin {
        try #require(chain.configuration.blocks.first?.factories.compactMap { $0 as? FilePlugin }.first)
    }

    @Test("a reload publishes a new serial, ignores an edit that keeps the serial, keeps serving through a broken edit")
    func reload() throws {
        let chain = try Self.chain()
        let zone = try Self.plugin(chain).zones[0]
        let logger = Logger(label: "test")
        // Same serial: not reloaded (CoreDNS reloads on a serial change).
        try chain.write("db.example.test", fileTestZone + "new IN A 192.0.2.200\n")
        zone.reloadIfChanged(logger: logger)
        #expect(try chain.query("new.example.test.", .a).rcode == .nameError)
        // New serial: reloaded.
        let bumped = fileTestZone.replacingOccurrences(of: "hostmaster 1 7200", with: "hostmaster 2 7200") + "new IN A 192.0.2.200\n"
        try chain.write("db.example.test", bumped)
        zone.reloadIfChanged(logger: logger)
        #expect(try chain.query("new.example.test.", .a).answerLines == ["new.example.test. 3600 IN A 192.0.2.200"])
        #expect(try Self.serial(chain) == 2)
        // Broken edit: the serial-2 zone keeps serving.
        try chain.write("db.example.test", bumped.replacingOccurrences(of: "hostmaster 2 7200", with: "hostmaster 3 7200") + "oops IN A x\n")
        zone.reloadIfChanged(logger: logger)
        #expect(try Self.serial(chain) == 2)
        #expect(try chain.query("new.example.test.", .a).answers.count == 1)
    }

    @Test("reload_by_mtime reloads on any change, serial or not")
    func reloadByModification() throws {
        let chain = try Self.chain(". {\n    file db.example.test example.test {\n        reload_by_mtime\n    }\n    erratic\n}\n")
        try chain.write("db.example.test", fileTestZone + "new IN A 192.0.2.200\n")
        try Self.plugin(chain).zones[0].reloadIfChanged(logger: Logger(label: "test"))
        #expect(try chain.query("new.example.test.", .a).answers.count == 1)
    }
}
