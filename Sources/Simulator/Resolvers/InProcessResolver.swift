import Corefile
import DNSWire
import Logging
import Plugins

/// Answers queries with the server's own plugin chain, in this process, with no socket at all:
/// the Corefile is configured as `serve` would configure it, its plugins are started, and each
/// query goes through `QueryEngine.handle` exactly as a packet from a pod would.
///
/// Plugins that reach outside the process are replaced by stand-ins (`InProcessStandIns`):
/// nothing is sent on the network, no port is bound. Queries that would go upstream get a
/// marked guess instead of a made-up answer (`UpstreamGuess`): names outside every server
/// block's zones, names `forward` takes, and queries another plugin suspends. See
/// `upstreamGuess(for:isSearchExpansion:)`; `--server` gives real answers instead.
package final class InProcessResolver: Resolver {
    package let label: String
    let configuration: ServerConfiguration
    let engine: QueryEngine
    let tables: [(port: UInt16, zones: ZoneTable)]
    let port: UInt16
    let client: IPAddress
    let output: UnsafeMutableRawBufferPointer
    /// Counts queries the `forward` stand-in took (see `InProcessStandIns`).
    let upstream = UpstreamLog()
    var nextID: UInt16 = 0x4242
    var nextPort: UInt16 = 40_000

    /// Configures and starts the plugins of `corefile`.
    /// - Parameters:
    ///   - fileName, baseDirectory: where the Corefile text came from (for error messages and
    ///     relative paths in plugin arguments).
    ///   - manifestsDirectory: what `serve --manifests` would pass to a `kubernetes` block.
    ///   - client: the address queries appear to come from (what `whoami` echoes and what
    ///     `autopath` would look up).
    /// - Throws: `SimulatorError` naming file:line for a Corefile the server rejects, or the
    ///   plugin that failed to start.
    package init(corefile text: String, fileName: String, baseDirectory: String, manifestsDirectory: String?,
                client: IPAddress = .v4(IPv4Address(10, 244, 0, 10)), label: String? = nil,
                logger: Logger? = nil) throws(SimulatorError) {
        let corefile: Corefile
        do {
            corefile = try Corefile.parse(text: text, fileName: fileName, baseDirectory: baseDirectory)
            configuration = try ServerConfiguration.build(corefile, manifestsDirectory: manifestsDirectory,
                                                          baseDirectory: baseDirectory,
                                                          implemented: InProcessStandIns.directives(upstream: upstream))
        } catch {
            throw SimulatorError("\(error)")
        }
        let log = logger ?? InProcessResolver.quietLogger()
        let context = ServerContext(logger: log, listeners: [], manifestsDirectory: manifestsDirectory) { message in
            log.error("\(message)")
        }
        var started: [any PluginFactory] = []
        for block in configuration.blocks {
            for factory in block.factories {
                do {
                    try factory.start(context)
                    started.append(factory)
                } catch {
                    for done in started { done.stop() }
                    throw SimulatorError("\(fileName): plugin/\(factory.name) could not start: \(error)")
                }
            }
        }
        let worker = WorkerContext(index: 0, workerCount: 1, services: nil)
        tables = configuration.zoneTables(worker: worker).tables
        engine = QueryEngine(worker: worker, ports: tables)
        engine.cookies = configuration.cookies
        port = configuration.blocks.first?.port ?? 53
        self.client = client
        self.label = label ?? "in-process (\(fileName))"
        output = .allocate(byteCount: 65_535, alignment: 8)
    }

    deinit {
        for block in configuration.blocks {
            for factory in block.factories { factory.stop() }
        }
        output.deallocate()
    }

    /// A logger that shows plugin warnings and errors on standard error and nothing else: a
    /// simulation's output is its report.
    static func quietLogger() -> Logger {
        var logger = Logger(label: "clusterdns.simulate") { label in StreamLogHandler.standardError(label: label) }
        logger.logLevel = .warning
        return logger
    }


    /// Every zone the configuration serves on the port queries go to.
    package var zones: [DomainName] {
        configuration.blocks.filter { $0.port == port }.flatMap(\.zones)
    }

    /// The cluster domain: the first forward (non-reverse, non-root) zone of the `kubernetes`
    /// directive (its arguments, else its block's keys), nil when there is none.
    package var clusterZone: DomainName? {
        for block in configuration.blocks {
            for directive in block.block.directives(named: "kubernetes") {
                let own = directive.arguments.compactMap { try? DomainName($0.text) }
                let zones = own.isEmpty ? block.zones : own
                if let zone = zones.first(where: { !$0.isReverseZone && !$0.isRoot }) { return zone }
            }
        }
        return nil
    }

    /// True when some server block on the query port serves `name`.
    package func serves(_ name: DomainName) -> Bool {
        guard let table = tables.first(where: { $0.port == port })?.zones else { return false }
        return name.wire.withUnsafeBytes { table.chain(for: $0) != nil }
    }

    package func exchange(_ queries: [ResolverQuery], server: Int, transport: QueryTransport,
                         timeout: Duration) -> [ResolverResult] {
        queries.map { answer($0, transport: transport) }
    }

    func answer(_ query: ResolverQuery, transport: QueryTransport) -> ResolverResult {
        guard serves(query.name) else { return guessed(query) }
        nextID &+= 1
        nextPort = nextPort >= 60_000 ? 40_000 : nextPort + 1
        let message = Message.query(id: nextID, name: query.name, type: query.type, recursionDesired: true,
                                    edns: query.edns ? EDNS(udpPayloadSize: 1232) : nil)
        guard let packet = message.encoded() else { return .timeout }
        let route = Route(transport: transport == .tcp ? .tcp : .udp, peerAddress: client, peerPort: nextPort,
                          localAddress: .v4(IPv4Address(10, 96, 0, 10)), localPort: port)
        let forwarded = upstream.count
        let start = monotonicNanoseconds()
        let outcome = packet.withUnsafeBytes { engine.handle(packet: $0, route: route, output: output) }
        let elapsed = Duration.nanoseconds(Int64(monotonicNanoseconds() &- start))
        // `forward` took it: a real server would ask upstream.
        if upstream.count != forwarded { return guessed(query) }
        switch outcome {
        case .reply(let length):
            guard let parsed = try? Message(parsing: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(output)[0..<length])) else {
                return .timeout
            }
            return .reply(ResolverReply(message: parsed), elapsed: elapsed)
        case .later:
            // A plugin went to the network (forward): in a real cluster the upstream answers.
            return guessed(query)
        case .drop:
            return .timeout
        }
    }

    /// What the upstream most likely says about a name the cluster does not serve: a search
    /// expansion (`name.ec2.internal`) does not exist; neither does a name without a plausible
    /// top-level domain (`db`, `postgres-2.postgres-headless`: its last label is no TLD, which
    /// is letters only, or `xn--`); anything else (`api.example.com`) is assumed to exist.
    package static func upstreamGuess(for name: DomainName, isSearchExpansion: Bool) -> UpstreamGuess {
        if isSearchExpansion { return .nxdomain }
        let labels = name.labels
        guard labels.count >= 2, let tld = labels.last, tld.count >= 2 else { return .nxdomain }
        let letters = tld.allSatisfy { ($0 | 0x20) >= UInt8(ascii: "a") && ($0 | 0x20) <= UInt8(ascii: "z") }
        let punycode = String(decoding: tld, as: UTF8.self).lowercased().hasPrefix("xn--")
        return letters || punycode ? .resolves : .nxdomain
    }

    func guessed(_ query: ResolverQuery) -> ResolverResult {
        let guess = InProcessResolver.upstreamGuess(for: query.name, isSearchExpansion: query.isSearchExpansion)
        let reply = ResolverReply(rcode: guess == .resolves ? .noError : .nameError, authoritative: false,
                                  recursionAvailable: true, guess: guess)
        return .reply(reply, elapsed: .zero)
    }

    /// The Corefile used when the user gives none: the kubeadm cluster block, answering from
    /// the manifests given with `--manifests` (or the example cluster).
    package static func defaultCorefile(zone: String) -> String {
        let zone = ResolvConf.trimmingDots(zone)
        return """
            \(zone) in-addr.arpa ip6.arpa {
                kubernetes \(zone) in-addr.arpa ip6.arpa {
                    pods insecure
                    fallthrough in-addr.arpa ip6.arpa
                    ttl 30
                }
            }

            """
    }
}

extension DomainName {
    /// Under `in-addr.arpa.` or `ip6.arpa.`.
    var isReverseZone: Bool {
        let labels = self.labels.map { String(decoding: $0, as: UTF8.self).lowercased() }
        guard let last = labels.last, last == "arpa", labels.count >= 2 else { return false }
        return labels[labels.count - 2] == "in-addr" || labels[labels.count - 2] == "ip6"
    }
}
