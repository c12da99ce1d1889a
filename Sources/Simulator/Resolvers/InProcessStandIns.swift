import Corefile
import DNSWire
import Plugins
import Synchronization

/// Plugins that reach outside the process are replaced in-process: a simulation must send
/// nothing on the network, bind no port and print nothing but its report.
///
/// - `forward` becomes `UpstreamStandIn`: it claims the same names (its FROM zone) and counts
///   them, so the resolver can report "would go upstream" instead of a made-up answer.
/// - `loop` (a probe to the server's own port), `health`, `ready`, `prometheus`, `pprof`
///   (HTTP listeners), `log`, `errors`, `debug`, `trace` and `dnstap` (output) become inert:
///   accepted with any arguments, absent from the chain. None of them changes an answer.
enum InProcessStandIns {
    static let inert = ["loop", "health", "ready", "prometheus", "pprof", "log", "errors", "debug", "trace", "dnstap"]

    /// The directive table for an in-process configuration: the server's, with the stand-ins.
    static func directives(upstream: UpstreamLog) -> [String: DirectiveSpec] {
        var table = Directives.implemented
        table["forward"] = DirectiveSpec(allowsMultiple: true) { (directive, _) throws(CorefileError) in
            let from = directive.arguments.first.flatMap { try? DomainName($0.text) } ?? .root
            return UpstreamStandIn(from: from, log: upstream)
        }
        for name in inert {
            table[name] = DirectiveSpec(allowsMultiple: name == "log") { (directive, _) throws(CorefileError) in
                InertStandIn(name: directive.name)
            }
        }
        return table
    }
}

/// Counts the queries that a real server would have sent upstream.
final class UpstreamLog: Sendable {
    private let counter = Atomic<Int>(0)

    func record() { counter.add(1, ordering: .relaxed) }

    var count: Int { counter.load(ordering: .relaxed) }
}

/// `forward` in-process: takes the names under its FROM zone, records them, and answers
/// SERVFAIL (which the resolver replaces by its upstream guess).
final class UpstreamStandIn: PluginFactory, PluginHandler, @unchecked Sendable {
    // @unchecked: immutable after init; `log` is itself Sendable.
    let name = "forward"
    let from: DomainName
    let log: UpstreamLog

    init(from: DomainName, log: UpstreamLog) {
        self.from = from
        self.log = log
    }

    func makeHandler(worker: WorkerContext) -> (any PluginHandler)? { self }

    func serve(_ request: Request, engine: QueryEngine) -> PluginResult {
        guard request.questionDomainName.isSubdomain(of: from) else { return .next }
        log.record()
        request.respond(rcode: .serverFailure)
        return .answered
    }
}

/// A plugin that has no place in a simulation: configured, never in the chain.
final class InertStandIn: PluginFactory, Sendable {
    let name: String
    init(name: String) { self.name = name }
    func makeHandler(worker: WorkerContext) -> (any PluginHandler)? { nil }
}
