import Corefile
import DNSWire
import Foundation
import Logging
@testable import Plugins

/// A Corefile's plugin chains on the shared `ChainHarness`, without sockets: the plugins' own
/// setup, handlers, hooks and subrequests, exactly as the server runs them. This type only adds
/// the Corefile side: a scratch directory for the files it names, parsing, and starting and
/// stopping the plugins. Used by the zone plugins' tests (file, hosts, any, rewrite, loadbalance).
final class InProcessChain {
    let directory: URL
    let configuration: ServerConfiguration
    let harness: ChainHarness
    var engine: QueryEngine { harness.engine }
    var port: UInt16 { harness.port }
    private var started = false

    /// Parses `corefile` (files written first into a fresh directory, `{DIR}` replaced by it)
    /// and builds one worker's chains.
    /// - Parameter extra: test-only directives (they must have a place in `Directives.order`).
    init(corefile: String, files: [String: String] = [:], extra: [String: DirectiveSpec] = [:], start: Bool = false) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("chain-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for (name, text) in files { try InProcessChain.write(name, text, in: directory) }
        self.directory = directory
        let text = corefile.replacingOccurrences(of: "{DIR}", with: directory.path)
        let parsed = try Corefile.parse(text: text, fileName: "Corefile", baseDirectory: directory.path)
        var implemented = Directives.implemented
        for (name, spec) in extra { implemented[name] = spec }
        configuration = try ServerConfiguration.build(parsed, manifestsDirectory: nil, baseDirectory: directory.path,
                                                      implemented: implemented)
        harness = ChainHarness(configuration: configuration)
        if start { try startPlugins() }
    }

    /// Starts every plugin (reload timers and the like), with a logger that prints to stderr.
    func startPlugins() throws {
        let context = ServerContext(logger: Logger(label: "test"), listeners: [], manifestsDirectory: nil) { _ in }
        for block in configuration.blocks {
            for factory in block.factories { try factory.start(context) }
        }
        started = true
    }

    func write(_ name: String, _ text: String) throws {
        try InProcessChain.write(name, text, in: directory)
    }

    static func write(_ name: String, _ text: String, in directory: URL) throws {
        let url = directory.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: true, encoding: .utf8)
    }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    struct NoReply: Error {}

    /// Sends raw query octets; returns the reply octets.
    func exchange(_ packet: [UInt8], transport: Route.Transport = .udp) throws -> [UInt8] {
        let loopback = IPAddress.v4(IPv4Address(127, 0, 0, 1))
        guard let reply = harness.exchangeRaw(packet, transport: transport, client: loopback, local: loopback,
                                              outputSize: harness.output.count) else { throw NoReply() }
        return reply
    }

    /// One query; `edns` nil sends none (a 512-octet UDP client).
    func query(_ name: String, _ type: RecordType, transport: Route.Transport = .udp, edns: EDNS? = EDNS(udpPayloadSize: 1232),
               id: UInt16 = 4242) throws -> Message {
        let message = Message.query(id: id, name: try DomainName(name), type: type, edns: edns)
        guard let wire = message.encoded() else { throw NoReply() }
        return try Message(parsing: try exchange(wire, transport: transport))
    }

    deinit {
        if started {
            for block in configuration.blocks { for factory in block.factories { factory.stop() } }
        }
        try? FileManager.default.removeItem(at: directory)
    }
}

/// A stand-in for the rest of the chain (registered as `erratic`, which sits after every plugin
/// under test in plugin.cfg order): answers any A query with 192.0.2.250 and any AAAA with
/// 2001:db8::250 under the question name, NXDOMAIN for names starting with `nx`, NOERROR without
/// data otherwise. Records that it answered with TXT "next" in additional.
final class StubNextPlugin: PluginFactory, PluginHandler, @unchecked Sendable {
    // @unchecked: no stored state.
    let name = "erratic"
    static let spec = DirectiveSpec { _, _ in StubNextPlugin() }
    static let address = IPv4Address(192, 0, 2, 250)

    func makeHandler(worker: WorkerContext) -> (any PluginHandler)? { self }

    func serve(_ request: Request, engine: QueryEngine) -> PluginResult {
        guard request.startResponse() else { return .answered }
        let first = request.questionName.count > 2 ? Array(request.questionName[1..<3]) : []
        if first == Array("nx".utf8) {
            request.response.rcode = .nameError
        } else if request.questionType == .a {
            request.response.beginRRset()
            request.response.append(owner: .question, type: .a, ttl: 30, rdata: .a(StubNextPlugin.address))
            request.response.endRRset()
        } else if request.questionType == .aaaa {
            request.response.beginRRset()
            request.response.append(owner: .question, type: .aaaa, ttl: 30, rdata: .aaaa(IPv6Address("2001:db8::250") ?? IPv6Address(high: 0, low: 0)))
            request.response.endRRset()
        }
        request.response.startSection(.additional)
        request.response.beginRRset()
        request.response.append(owner: .name("next.stub."), type: .txt, ttl: 0, rdata: .txt([Array("next".utf8)]))
        request.response.endRRset()
        request.finishResponse()
        return .answered
    }
}

extension Message {
    /// True when the stub after the plugin under test wrote this answer.
    var cameFromStub: Bool { additionals.contains { $0.name == "next.stub." } }

    /// Answer records in presentation form with single spaces, for table comparisons.
    var answerLines: [String] { answers.map(\.line) }
    var authorityLines: [String] { authorities.map(\.line) }
    var additionalLines: [String] { additionals.map(\.line) }
}

extension ResourceRecord {
    /// `name TTL CLASS TYPE RDATA` with single spaces.
    var line: String { description.split(whereSeparator: { $0 == "\t" || $0 == " " }).joined(separator: " ") }
}
