import Corefile
import DNSWire
import Foundation
import Synchronization
import Testing
@testable import Plugins

/// A test-only authority after autopath: answers the names it holds (A records), NXDOMAIN with an
/// SOA for the rest, and records what it was asked. It can hold queries (as forward does) until
/// the test releases them.
final class FakeZone: PluginHandler {
    var records: [DomainName: [String]]
    var failing: Set<DomainName> = []
    var holds = false
    private(set) var held: [Request] = []
    private(set) var asked: [String] = []

    init(_ records: [String: [String]]) {
        self.records = Dictionary(uniqueKeysWithValues: records.map { (DomainName(stringLiteral: $0.key), $0.value) })
    }

    func serve(_ request: Request, engine: QueryEngine) -> PluginResult {
        asked.append(request.questionDomainName.description)
        if holds {
            held.append(request)
            return .suspended
        }
        answer(request)
        return .answered
    }

    func answer(_ request: Request) {
        let name = request.questionDomainName
        if failing.contains(name) {
            request.respond(rcode: .serverFailure)
            return
        }
        guard request.startResponse() else { return }
        request.response.authoritative = true
        if let lines = records[name] {
            request.response.beginRRset()
            for record in Records.parse(lines) { request.response.append(record) }
            request.response.endRRset()
        } else {
            request.response.rcode = .nameError
            request.response.startSection(.authority)
            request.response.beginRRset()
            request.response.append(ResourceRecord(name: "cluster.local.", ttl: 30, rdata: .soa(SOAData(
                primaryNameServer: "ns.dns.cluster.local.", responsibleMailbox: "hostmaster.cluster.local.",
                serial: 1, refresh: 7200, retry: 1800, expire: 86400, minimum: 30))))
            request.response.endRRset()
        }
        request.finishResponse()
    }

    /// Answers the queries held now; queries they lead to wait for the next call.
    func releaseHeld(engine: QueryEngine) {
        let batch = held
        held = []
        for request in batch {
            answer(request)
            engine.resume(request, .answered)
        }
    }
}

/// A stand-in for the kubernetes plugin's factory: search paths by client address.
final class FakePathProvider: PluginFactory, AutoPathProvider, SearchPathReader, @unchecked Sendable {
    // @unchecked: immutable after init; being immutable, it is its own lock-free reader.
    let name = "kubernetes"
    let paths: [IPAddress: [DomainName]]
    init(_ paths: [IPAddress: [DomainName]]) { self.paths = paths }
    func makeHandler(worker: WorkerContext) -> (any PluginHandler)? { nil }
    func searchPath(forClient address: IPAddress) -> [DomainName]? { paths[address] }
    func makeSearchPathReader() -> any SearchPathReader { self }
}

/// A stand-in for the kubernetes plugin's factory that counts how its search paths are read: the
/// shared lookup (`searchPath(forClient:)`, which the real plugin answers under the index cell's
/// lock) apart from the per-worker readers' lookups (lock-free in the real plugin).
final class CountingPathProvider: PluginFactory, AutoPathProvider, @unchecked Sendable {
    // @unchecked: the counts are touched by the test's one thread only.
    final class Reader: SearchPathReader {
        let paths: [IPAddress: [DomainName]]
        var lookups = 0
        init(_ paths: [IPAddress: [DomainName]]) { self.paths = paths }
        func searchPath(forClient address: IPAddress) -> [DomainName]? {
            lookups += 1
            return paths[address]
        }
    }

    let name = "kubernetes"
    let paths: [IPAddress: [DomainName]]
    private(set) var sharedLookups = 0
    private(set) var readers: [Reader] = []
    init(_ paths: [IPAddress: [DomainName]]) { self.paths = paths }
    func makeHandler(worker: WorkerContext) -> (any PluginHandler)? { nil }
    func searchPath(forClient address: IPAddress) -> [DomainName]? {
        sharedLookups += 1
        return paths[address]
    }
    func makeSearchPathReader() -> any SearchPathReader {
        let reader = Reader(paths)
        readers.append(reader)
        return reader
    }
}

enum AutopathFixture {
    static let podSearch = "search default.svc.cluster.local svc.cluster.local cluster.local example.internal\noptions ndots:5\n"

    /// A resolv.conf in a fresh temporary directory; returns the directory.
    static func directory(resolvConf: String = podSearch) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("autopath-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try resolvConf.write(toFile: dir + "/resolv.conf", atomically: true, encoding: .utf8)
        return dir
    }

    static func config(_ body: String, keys: String = ".:53", directory: String) throws -> AutopathConfig {
        let (directive, zones) = try CorefileFixture.directive(body, keys: keys)
        return try AutopathConfig.parse(directive, serverBlockZones: zones, baseDirectory: directory)
    }

    /// autopath (from `body`) in front of `zone`, in a real engine.
    static func chain(_ body: String = "autopath resolv.conf", zone: FakeZone) throws -> (ChainHarness, AutopathCounters) {
        let dir = try directory()
        let config = try config(body, directory: dir)
        guard case .resolvConf(_, let search) = config.source else { throw ChainHarness.Failure.encode }
        let counters = AutopathCounters()
        let handler = AutopathHandler(zones: config.zones, searchPath: .fixed(search + [.root]), counters: counters)
        return (ChainHarness(handlers: [handler, zone], names: ["autopath", "zone"]), counters)
    }
}

@Suite struct AutopathConfigTests {
    @Test("RESOLV-CONF gives every client the file's search list, lowercased and absolute")
    func resolvConf() throws {
        let dir = try AutopathFixture.directory(resolvConf: "nameserver 10.0.0.10\nsearch Default.svc.cluster.local svc.cluster.local. # pod\n")
        let config = try AutopathFixture.config("autopath resolv.conf", directory: dir)
        #expect(config.zones == [.root])
        #expect(config.source == .resolvConf(path: dir + "/resolv.conf",
                                             search: ["default.svc.cluster.local.", "svc.cluster.local."]))
        let absolute = try AutopathFixture.config("autopath cluster.local \(dir)/resolv.conf", directory: "/elsewhere")
        #expect(absolute.zones == ["cluster.local."])
    }

    @Test("the last search or domain line wins, comments are ignored")
    func lastLineWins() {
        #expect(ResolvConfSearch.domains(in: "search a.example b.example\ndomain c.example\n") == ["c.example"])
        #expect(ResolvConfSearch.domains(in: "domain c.example\nsearch a.example b.example ; x\n") == ["a.example", "b.example"])
        #expect(ResolvConfSearch.domains(in: "# search no.example\nnameserver 1.1.1.1\n").isEmpty)
    }

    @Test("@PLUGIN names the plugin that gives search paths")
    func plugin() throws {
        let config = try AutopathFixture.config("autopath @kubernetes", directory: "/")
        #expect(config.source == .plugin("kubernetes"))
    }

    @Test("errors name the file and line", arguments: [
        ("autopath", "Corefile:2: plugin/autopath: expected at least 1 argument, found 0"),
        ("autopath /nonexistent/resolv.conf", "Corefile:2: plugin/autopath: failed to parse \"/nonexistent/resolv.conf\": No such file or directory"),
        ("autopath @", "Corefile:2: plugin/autopath: '@' must be followed by a plugin name"),
        ("autopath @kubernetes {\n}", "Corefile:2: plugin/autopath: unexpected block"),
    ])
    func errors(body: String, expected: String) throws {
        do {
            _ = try AutopathFixture.config(body, directory: "/")
            Issue.record("accepted: \(body)")
        } catch {
            #expect("\(error)".hasPrefix(expected), "got: \(error)")
        }
    }

    @Test("@kubernetes links to the block's provider at configuration time, and fails without one")
    func linking() throws {
        let provider = FakePathProvider([.v4(IPv4Address(10, 0, 0, 7)): ["default.svc.cluster.local.", "svc.cluster.local."]])
        var implemented = Directives.implemented
        implemented["kubernetes"] = DirectiveSpec { _, _ in provider }
        let corefile = try CorefileFixture.corefile(".:53 {\n autopath @kubernetes\n kubernetes\n}\n")
        let configuration = try ServerConfiguration.build(corefile, manifestsDirectory: nil, baseDirectory: "/",
                                                          implemented: implemented)
        let autopath = try #require(configuration.blocks[0].factories.first as? AutopathPlugin)
        #expect(autopath.provider.withLock { $0 } === provider)

        let lonely = try CorefileFixture.corefile(".:53 {\n whoami\n autopath @kubernetes\n}\n")
        do {
            _ = try ServerConfiguration.build(lonely, manifestsDirectory: nil, baseDirectory: "/", implemented: implemented)
            Issue.record("accepted autopath @kubernetes without kubernetes")
        } catch {
            #expect("\(error)" == "Corefile:3: plugin/autopath: @kubernetes: there is no 'kubernetes' plugin in this server block")
        }
        let wrong = try CorefileFixture.corefile(".:53 {\n whoami\n autopath @whoami\n}\n")
        #expect(throws: CorefileError.self) {
            try ServerConfiguration.build(wrong, manifestsDirectory: nil, baseDirectory: "/", implemented: implemented)
        }
    }
}

@Suite struct AutopathHandlerTests {
    static let cluster: [String: [String]] = [
        "google.com.": ["google.com. 120 IN A 142.250.0.1"],
        "web.default.svc.cluster.local.": ["web.default.svc.cluster.local. 5 IN A 10.96.0.20"],
        "web.other.svc.cluster.local.": ["web.other.svc.cluster.local. 5 IN A 10.96.1.20"],
    ]

    @Test("an external name asked on the first search step is answered with a CNAME to the name that exists")
    func external() throws {
        let zone = FakeZone(Self.cluster)
        let (harness, counters) = try AutopathFixture.chain(zone: zone)
        let reply = try harness.query("Google.com.default.svc.cluster.local.", .a, id: 31)
        #expect(reply.header.id == 31)
        #expect(reply.rcode == .noError)
        #expect(reply.questions.first?.name.exactlyEquals("Google.com.default.svc.cluster.local.") == true)
        #expect(reply.answers.count == 2)
        #expect(reply.answers.first?.type == .cname)
        #expect(reply.answers.first?.name.exactlyEquals("Google.com.default.svc.cluster.local.") == true)
        #expect(reply.answers.first?.rdata == .cname("google.com."))
        #expect(reply.answers.first?.ttl == 120)
        #expect(reply.answers.last?.rdata == .a(IPv4Address(142, 250, 0, 1)))
        #expect(zone.asked == ["Google.com.default.svc.cluster.local.", "Google.com.svc.cluster.local.",
                               "Google.com.cluster.local.", "Google.com.example.internal.", "Google.com."])
        #expect(counters.successes == 1)
    }

    @Test("a service in another namespace is found on the second step")
    func otherNamespace() throws {
        let zone = FakeZone(Self.cluster)
        let (harness, _) = try AutopathFixture.chain(zone: zone)
        let reply = try harness.query("web.other.default.svc.cluster.local.", .a)
        #expect(reply.answers.map(\.type) == [.cname, .a])
        #expect(reply.answers.first?.rdata == .cname("web.other.svc.cluster.local."))
        #expect(zone.asked.count == 2)
    }

    @Test("a name that exists as asked is answered without a CNAME after one lookup")
    func direct() throws {
        let zone = FakeZone(Self.cluster)
        let (harness, counters) = try AutopathFixture.chain(zone: zone)
        let reply = try harness.query("web.default.svc.cluster.local.", .a)
        #expect(reply.answers.map(\.type) == [.a])
        #expect(zone.asked == ["web.default.svc.cluster.local."])
        #expect(counters.successes == 1)
    }

    @Test("when every candidate is NXDOMAIN the reply to the name asked comes back and the client walks on")
    func allMissing() throws {
        let zone = FakeZone(Self.cluster)
        let (harness, counters) = try AutopathFixture.chain(zone: zone)
        let reply = try harness.query("nothing.here.default.svc.cluster.local.", .a)
        #expect(reply.rcode == .nameError)
        #expect(reply.answers.isEmpty)
        #expect(reply.authorities.first?.type == .soa)
        #expect(reply.questions.first?.name == "nothing.here.default.svc.cluster.local.")
        #expect(zone.asked.count == 5)
        #expect(counters.successes == 0)
    }

    @Test("failures (SERVFAIL) are stepped over as CoreDNS does")
    func servfailSkipped() throws {
        let zone = FakeZone(Self.cluster)
        zone.failing = ["google.com.example.internal."]
        let (harness, _) = try AutopathFixture.chain(zone: zone)
        let reply = try harness.query("google.com.default.svc.cluster.local.", .a)
        #expect(reply.answers.last?.rdata == .a(IPv4Address(142, 250, 0, 1)))
    }

    @Test("names not under the first search domain pass through untouched")
    func passThrough() throws {
        let zone = FakeZone(Self.cluster)
        let (harness, counters) = try AutopathFixture.chain(zone: zone)
        _ = try harness.query("google.com.", .a)
        _ = try harness.query("google.com.svc.cluster.local.", .a)
        _ = try harness.query("default.svc.cluster.local.", .a)
        #expect(zone.asked == ["google.com.", "google.com.svc.cluster.local.", "default.svc.cluster.local."])
        #expect(counters.successes == 0)
    }

    @Test("queries outside autopath's zones pass through")
    func zones() throws {
        let zone = FakeZone(Self.cluster)
        let (harness, _) = try AutopathFixture.chain("autopath example.org resolv.conf", zone: zone)
        _ = try harness.query("google.com.default.svc.cluster.local.", .a)
        #expect(zone.asked.count == 1)
    }

    @Test("with a slow authority the walk continues as answers arrive and the client gets one answer")
    func asynchronous() throws {
        let zone = FakeZone(Self.cluster)
        zone.holds = true
        let (harness, counters) = try AutopathFixture.chain(zone: zone)
        let query = try ChainHarness.queryBytes("google.com.default.svc.cluster.local.", .aaaa, id: 77)
        #expect(harness.exchangeRaw(query) == nil)
        var rounds = 0
        while harness.sink.delivered.isEmpty && rounds < 10 {
            zone.releaseHeld(engine: harness.engine)
            rounds += 1
        }
        #expect(rounds == 5)
        #expect(harness.sink.delivered.count == 1)
        let reply = try Message(parsing: try #require(harness.sink.delivered.first))
        #expect(reply.header.id == 77)
        // google.com. has no AAAA in the fake zone: NODATA is "not NXDOMAIN", so it is the answer.
        #expect(reply.rcode == .noError)
        #expect(reply.questions.first?.type == .aaaa)
        #expect(counters.successes == 1)
        #expect(harness.engine.outstanding == 0)
    }

    @Test("with a provider, each client's own path is used; unknown clients get no autopath")
    func perClient() throws {
        let zone = FakeZone(Self.cluster)
        let pod: IPAddress = .v4(IPv4Address(10, 0, 0, 7))
        let provider = FakePathProvider([pod: ["other.svc.cluster.local.", "svc.cluster.local.", "cluster.local."]])
        let handler = AutopathHandler(zones: [.root], searchPath: .provider(provider), counters: AutopathCounters())
        let harness = ChainHarness(handlers: [handler, zone], names: ["autopath", "zone"])
        let reply = try harness.query("web.default.other.svc.cluster.local.", .a, client: pod)
        #expect(reply.answers.first?.rdata == .cname("web.default.svc.cluster.local."))
        #expect(zone.asked == ["web.default.other.svc.cluster.local.", "web.default.svc.cluster.local."])
        _ = try harness.query("web.default.other.svc.cluster.local.", .a, client: .v4(IPv4Address(10, 0, 9, 9)))
        #expect(zone.asked.count == 3)
    }

    @Test("autopath @kubernetes reads each query's search path through the worker's reader, never the provider's shared lookup")
    func noSharedLookupPerQuery() throws {
        let pod: IPAddress = .v4(IPv4Address(10, 0, 0, 7))
        let provider = CountingPathProvider([pod: ["other.svc.cluster.local.", "svc.cluster.local.", "cluster.local."]])
        var implemented = Directives.implemented
        implemented["kubernetes"] = DirectiveSpec { _, _ in provider }
        let corefile = try CorefileFixture.corefile(".:53 {\n autopath @kubernetes\n kubernetes\n}\n")
        let configuration = try ServerConfiguration.build(corefile, manifestsDirectory: nil, baseDirectory: "/",
                                                          implemented: implemented)
        let autopath = try #require(configuration.blocks[0].factories.first as? AutopathPlugin)
        // The factory's own wiring, as a worker gets it.
        let handler = try #require(autopath.makeHandler(worker: WorkerContext(index: 0, workerCount: 1)))
        let harness = ChainHarness(handlers: [handler, FakeZone(Self.cluster)], names: ["autopath", "zone"])
        for id in 1...100 {
            let reply = try harness.query("web.default.other.svc.cluster.local.", .a, id: UInt16(id), client: pod)
            #expect(reply.answers.first?.rdata == .cname("web.default.svc.cluster.local."))
        }
        #expect(provider.sharedLookups == 0)
        #expect(provider.readers.count == 1)
        #expect(provider.readers.first?.lookups == 100)
    }

    @Test("a long answer is cut for a small client like any other")
    func truncation() throws {
        let many = (1...60).map { "google.com. 120 IN A 142.250.0.\($0)" }
        let zone = FakeZone(["google.com.": many])
        let (harness, _) = try AutopathFixture.chain(zone: zone)
        let reply = try harness.query("google.com.default.svc.cluster.local.", .a, edns: nil)
        #expect(reply.header.truncated)
        #expect(try #require(reply.encoded()).count <= 512)
        let tcp = try harness.query("google.com.default.svc.cluster.local.", .a, transport: .tcp)
        #expect(tcp.answers.count == 61)
    }
}

/// An authority that answers one name with a reply whose names the writer compresses (owners,
/// and the names inside NS, CNAME, SOA, MX, SRV and RP data), in all three sections, or with
/// octets given whole (a malformed reply); NXDOMAIN otherwise.
final class MixedZone: PluginHandler {
    let name: DomainName
    let answers: [ResourceRecord]
    let authorities: [ResourceRecord]
    let additionals: [ResourceRecord]
    var raw: [UInt8]?

    init(name: DomainName, answers: [String], authorities: [String], additionals: [String]) {
        self.name = name
        self.answers = Records.parse(answers)
        self.authorities = Records.parse(authorities)
        self.additionals = Records.parse(additionals)
    }

    func serve(_ request: Request, engine: QueryEngine) -> PluginResult {
        if request.questionDomainName == name, let raw {
            let out = request.writableOutput()
            out.copyBytes(from: raw)
            out[0] = request.packet[0]
            out[1] = request.packet[1]
            request.setRawResponse(length: raw.count)
            return .answered
        }
        guard request.startResponse() else { return .answered }
        request.response.authoritative = true
        guard request.questionDomainName == name else {
            request.response.rcode = .nameError
            request.finishResponse()
            return .answered
        }
        for (section, records) in [(ResponseBuilder.Section.answer, answers), (.authority, authorities), (.additional, additionals)] {
            request.response.startSection(section)
            for record in records {
                request.response.beginRRset()
                request.response.append(record)
                request.response.endRRset()
            }
        }
        request.finishResponse()
        return .answered
    }
}

@Suite struct AutopathReplyCopyTests {
    static let answers = [
        "Google.COM. 120 IN CNAME www.google.com.",
        "www.google.com. 60 IN A 142.250.0.1",
        "www.google.com. 60 IN A 142.250.0.2",
        "www.google.com. 60 IN AAAA 2001:db8::1",
        "google.com. 300 IN MX 10 smtp.google.com.",
        "google.com. 300 IN TXT \"v=spf1\" \"-all\"",
        "_sip._tcp.google.com. 60 IN SRV 1 2 5060 sip.google.com.",
        "1.0.250.142.in-addr.arpa. 60 IN PTR www.google.com.",
    ]
    static let authorities = [
        "google.com. 300 IN NS ns1.google.com.",
        "google.com. 300 IN NS ns2.google.com.",
        "google.com. 60 IN SOA ns1.google.com. dns-admin.google.com. 7 900 900 1800 60",
    ]
    static let additionals = [
        "ns1.google.com. 300 IN A 216.239.32.10",
        "ns1.google.com. 300 IN AAAA 2001:db8::53",
    ]

    static func chain(_ zone: MixedZone) throws -> ChainHarness {
        let dir = try AutopathFixture.directory()
        let config = try AutopathFixture.config("autopath resolv.conf", directory: dir)
        guard case .resolvConf(_, let search) = config.source else { throw ChainHarness.Failure.encode }
        let handler = AutopathHandler(zones: config.zones, searchPath: .fixed(search + [.root]), counters: AutopathCounters())
        return ChainHarness(handlers: [handler, zone], names: ["autopath", "zone"])
    }

    @Test("a reply with compressed names in every section is copied record for record, RRsets kept, after the CNAME")
    func everySection() throws {
        let zone = MixedZone(name: "google.com.", answers: Self.answers, authorities: Self.authorities, additionals: Self.additionals)
        let harness = try Self.chain(zone)
        let reply = try harness.query("google.com.default.svc.cluster.local.", .a, transport: .tcp)
        #expect(reply.rcode == .noError)
        #expect(reply.header.authoritative)
        let expected = Records.parse(Self.answers)
        #expect(reply.answers.count == expected.count + 1)
        #expect(reply.answers.first?.type == .cname)
        #expect(reply.answers.first?.name.exactlyEquals("google.com.default.svc.cluster.local.") == true)
        // The first answer not owned by the asked name is the reply's first: its owner, in its case.
        #expect(reply.answers.first?.rdata == .cname("google.com."))
        #expect(reply.answers.first?.ttl == 120)
        #expect(Array(reply.answers.dropFirst()) == expected)
        #expect(reply.answers.dropFirst().first?.name.exactlyEquals("Google.COM.") == true)
        #expect(reply.authorities == Records.parse(Self.authorities))
        #expect(reply.additionals == Records.parse(Self.additionals))
        // What the message model would write for the same records is what was written.
        let bytes = try #require(harness.exchangeRaw(try ChainHarness.queryBytes("google.com.default.svc.cluster.local.", .a),
                                                     transport: .tcp))
        #expect(try Message(parsing: bytes).encoded() == bytes)
    }

    @Test("a reply cut for a small client keeps whole RRsets and sets TC")
    func truncated() throws {
        let zone = MixedZone(name: "google.com.", answers: Self.answers, authorities: Self.authorities,
                             additionals: Self.additionals + (1...30).map { "ns2.google.com. 300 IN A 216.239.34.\($0)" })
        let harness = try Self.chain(zone)
        let reply = try harness.query("google.com.default.svc.cluster.local.", .a, edns: nil)
        #expect(!reply.header.truncated)
        #expect(reply.answers.count == Self.answers.count + 1)
        #expect(reply.additionals.count < 32)
        let bytes = try #require(harness.exchangeRaw(try ChainHarness.queryBytes("google.com.default.svc.cluster.local.", .a, edns: nil)))
        #expect(bytes.count <= 512)
    }

    @Test("a malformed reply is answered SERVFAIL", arguments: [
        // One answer whose RDLENGTH runs past the end.
        [0, 0, 0x84, 0, 0, 1, 0, 1, 0, 0, 0, 0, 6, 103, 111, 111, 103, 108, 101, 3, 99, 111, 109, 0, 0, 1, 0, 1,
         0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 9, 1, 2, 3, 4],
        // An A record of 3 octets.
        [0, 0, 0x84, 0, 0, 1, 0, 1, 0, 0, 0, 0, 6, 103, 111, 111, 103, 108, 101, 3, 99, 111, 109, 0, 0, 1, 0, 1,
         0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 3, 1, 2, 3],
        // A pointer forwards.
        [0, 0, 0x84, 0, 0, 1, 0, 1, 0, 0, 0, 0, 6, 103, 111, 111, 103, 108, 101, 3, 99, 111, 109, 0, 0, 1, 0, 1,
         0xC0, 40, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 1, 2, 3, 4],
        // An OPT record in the answer section.
        [0, 0, 0x84, 0, 0, 1, 0, 1, 0, 0, 0, 0, 6, 103, 111, 111, 103, 108, 101, 3, 99, 111, 109, 0, 0, 1, 0, 1,
         0, 0, 41, 16, 0, 0, 0, 0, 0, 0, 0],
    ] as [[UInt8]])
    func malformed(raw: [UInt8]) throws {
        let zone = MixedZone(name: "google.com.", answers: [], authorities: [], additionals: [])
        zone.raw = raw
        let harness = try Self.chain(zone)
        let reply = try harness.query("google.com.default.svc.cluster.local.", .a)
        #expect(reply.rcode == .serverFailure)
        #expect(reply.answers.isEmpty)
        #expect(reply.questions.first?.name.exactlyEquals("google.com.default.svc.cluster.local.") == true)
    }

    @Test("the extended rcode of the reply's OPT is kept")
    func extendedRCode() throws {
        // NOERROR in the header, 1 in the OPT's extended bits: BADVERS (16).
        let raw: [UInt8] = [0, 0, 0x84, 0, 0, 1, 0, 1, 0, 0, 0, 1, 6, 103, 111, 111, 103, 108, 101, 3, 99, 111, 109, 0, 0, 1, 0, 1,
                            0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 1, 2, 3, 4,
                            0, 0, 41, 4, 0, 1, 0, 0, 0, 0, 0]
        let zone = MixedZone(name: "google.com.", answers: [], authorities: [], additionals: [])
        zone.raw = raw
        let harness = try Self.chain(zone)
        let reply = try harness.query("google.com.default.svc.cluster.local.", .a)
        #expect(reply.rcode == .badVersion)
        #expect(reply.answers.map(\.type) == [.cname, .a])
    }
}
