import ArgumentParser
import DNSWire
import Foundation
import Simulator

struct Simulate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show every query a pod's resolver sends for a name, and why it resolves or fails.",
        discussion: """
            Follows the source code of glibc 2.36 (default) or musl 1.2.3: the search list, ndots, what stops the search, \
            A and AAAA per name, retries and timeouts. Answers come from the plugin chain in this process (the \
            example cluster, --manifests DIR, or --conf COREFILE), or from a real server with --server. \
            With --from-log FILE, reads a CoreDNS `log` plugin query log instead and reports what search \
            paths cost per client. Exit status: 0 resolved, 3 the simulated lookup failed, 1 bad input. \
            See Docs/simulate.md.
            """
    )

    @Argument(help: "The name as the application passes it (case and trailing dot matter).")
    var name: String?

    @Option(name: .customLong("type"), help: "both (getaddrinfo AF_UNSPEC), A, AAAA, or a type for res_search (SRV, TXT, …).")
    var type: String = "both"

    @Option(help: "The pod's namespace: search <ns>.svc.<zone> svc.<zone> <zone>, ndots:5.")
    var namespace: String = "default"

    @Option(help: "Search domains, space-separated; replaces the pod default or the resolv.conf list.")
    var search: String?

    @Option(help: "ndots (0–15); replaces the pod default or the resolv.conf value.")
    var ndots: Int?

    @Option(help: "resolv.conf option words, as in dnsConfig.options: \"ndots:2 timeout:1 single-request-reopen\".")
    var options: String?

    @Option(name: .customLong("resolv-conf"), help: "A resolv.conf to read instead of the pod default.")
    var resolvConf: String?

    @Option(help: "glibc or musl.")
    var resolver: String = "glibc"

    @OptionGroup var source: AnswerSourceOptions

    @Option(help: "The client address in-process queries come from.")
    var client: String = "10.244.0.10"

    @Option(name: .customLong("from-log"), help: "Analyse a CoreDNS `log` plugin query log instead of simulating a name.")
    var fromLog: String?

    func validate() throws {
        if fromLog == nil && name == nil { throw ValidationError("give a NAME to simulate, or --from-log FILE") }
        if source.server != nil && (source.manifests != nil || source.conf != nil) {
            throw ValidationError("--server asks a real server; --manifests and --conf answer in-process: choose one")
        }
        guard StubResolverKind(rawValue: resolver) != nil else { throw ValidationError("--resolver must be glibc or musl") }
        guard LookupKind(argument: type) != nil else { throw ValidationError("--type: '\(type)' is not both, A, AAAA or a record type") }
        if let ndots, !(0...15).contains(ndots) { throw ValidationError("--ndots must be between 0 and 15 (glibc and musl cap it at 15)") }
        guard IPAddress(client) != nil else { throw ValidationError("--client: '\(client)' is not an IP address") }
    }

    func run() throws {
        if let fromLog { return try analyseLog(fromLog) }
        guard let name, let kind = LookupKind(argument: type), let resolverKind = StubResolverKind(rawValue: resolver) else {
            throw ExitCode(1)
        }
        let answers: any Resolver
        let (server, manifests, conf) = (source.server, source.manifests, source.conf)
        var zone = source.zone
        do {
            if let server, let address = ServerAddress(parsing: server) {
                answers = NetworkResolver(server: address)
            } else {
                let inProcess = try InProcessSource(manifests: manifests, conf: conf, zone: zone, client: client).make()
                if zone == nil, let clusterZone = inProcess.clusterZone { zone = clusterZone.description }
                answers = inProcess
            }
        } catch {
            printError("\(error)")
            throw ExitCode(1)
        }
        let clusterZone = ResolvConf.trimmingDots(zone ?? "cluster.local")
        var settings: ResolvConf
        if let path = resolvConf {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                printError("\(path): cannot read the resolv.conf")
                throw ExitCode(1)
            }
            settings = ResolvConf.parse(text, source: path, resolver: resolverKind)
        } else {
            settings = ResolvConf.pod(namespace: namespace, zone: clusterZone)
        }
        if let search { settings.search = search.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init) }
        if let ndots { settings.ndots = ndots }
        if let options { settings.apply(options: options, source: "--options", resolver: resolverKind) }

        let request = SimulationRequest(name: name, kind: kind, resolverKind: resolverKind, conf: settings,
                                        namespace: namespace, zone: clusterZone)
        let report = Simulation.run(request, resolver: answers)
        if source.json {
            print(report.json().serialized())
        } else {
            print(report.text(), terminator: "")
        }
        if case .failed = report.trace.outcome { throw ExitCode(3) }
    }

    func analyseLog(_ path: String) throws {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            printError("\(path): cannot read the query log")
            throw ExitCode(1)
        }
        let parsed = QueryLogParser.parse(text)
        let analysis = QueryLogAnalysis.analyze(parsed.entries, zone: source.zone ?? "cluster.local")
        if source.json {
            print(analysis.json(source: path, malformed: parsed.malformed).serialized())
        } else {
            print(analysis.text(source: path, skipped: parsed.malformed.count), terminator: "")
        }
    }
}

/// The in-process answer source shared by `simulate` and `explain`: `--conf`, or the default
/// cluster block over `--manifests` or the example cluster.
struct InProcessSource {
    var manifests: String?
    var conf: String?
    var zone: String?
    var client: String = "10.244.0.10"

    func make() throws -> InProcessResolver {
        let clientAddress = IPAddress(client) ?? .v4(IPv4Address(10, 244, 0, 10))
        var manifestsDirectory = manifests
        if conf == nil && manifestsDirectory == nil {
            let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
                ?? CommandLine.arguments.first ?? ""
            guard let found = ExampleCluster.locate(executable: executable) else {
                throw SimulatorError("no source of answers: the example cluster (Zones/manifests) was not found next to this binary; give --manifests DIR, --conf COREFILE or --server HOST:PORT")
            }
            manifestsDirectory = found
        }
        if let conf {
            guard let text = try? String(contentsOfFile: conf, encoding: .utf8) else {
                throw SimulatorError("\(conf): cannot read the Corefile")
            }
            let url = URL(fileURLWithPath: conf)
            return try InProcessResolver(corefile: text, fileName: url.lastPathComponent,
                                         baseDirectory: url.deletingLastPathComponent().path,
                                         manifestsDirectory: manifestsDirectory, client: clientAddress,
                                         label: "in-process (Corefile \(conf))")
        }
        let text = InProcessResolver.defaultCorefile(zone: zone ?? "cluster.local")
        return try InProcessResolver(corefile: text, fileName: "Corefile", baseDirectory: FileManager.default.currentDirectoryPath,
                                     manifestsDirectory: manifestsDirectory, client: clientAddress,
                                     label: "in-process (manifests \(manifestsDirectory ?? "-"))")
    }
}
