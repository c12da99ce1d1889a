import DNSWire
import Testing
@testable import Simulator

/// A resolver that answers from a script: per (name, type, server) rule, a reply kind or a
/// sequence consumed one per query; NXDOMAIN for anything unscripted. Records every query.
final class ScriptedResolver: Resolver {
    enum Response: Equatable {
        case nxdomain
        case nodata
        case address(String)
        case records([String])          // presentation-format records
        case servfail
        case refused
        case referral
        case timeout
        case unreachable
        case truncated
    }

    struct Rule {
        var name: String?               // absolute, any case; nil matches all
        var type: RecordType?
        var server: Int?
        var transport: QueryTransport?
        var responses: [Response]
        var used = 0
    }

    struct Sent: Equatable {
        var name: String
        var type: RecordType
        var server: Int
        var transport: QueryTransport
    }

    var rules: [Rule] = []
    var latency: Duration = .milliseconds(1)
    private(set) var sent: [Sent] = []
    let label = "script"

    /// Adds a rule; later rules take precedence over earlier ones.
    func on(_ name: String? = nil, _ type: RecordType? = nil, server: Int? = nil, transport: QueryTransport? = nil,
            _ responses: Response...) {
        let absolute = name.map { $0.hasSuffix(".") ? $0 : $0 + "." }
        rules.insert(Rule(name: absolute?.lowercased(), type: type, server: server, transport: transport, responses: responses), at: 0)
    }

    func exchange(_ queries: [ResolverQuery], server: Int, transport: QueryTransport, timeout: Duration) -> [ResolverResult] {
        queries.map { query in
            sent.append(Sent(name: query.name.description, type: query.type, server: server, transport: transport))
            let response = next(for: query, server: server, transport: transport)
            return result(response, query: query)
        }
    }

    func next(for query: ResolverQuery, server: Int, transport: QueryTransport) -> Response {
        let name = query.name.description.lowercased()
        for i in rules.indices {
            let rule = rules[i]
            if let n = rule.name, n != name { continue }
            if let t = rule.type, t != query.type { continue }
            if let s = rule.server, s != server { continue }
            if let t = rule.transport, t != transport { continue }
            let response = rule.responses[min(rule.used, rule.responses.count - 1)]
            rules[i].used += 1
            return response
        }
        return .nxdomain
    }

    func result(_ response: Response, query: ResolverQuery) -> ResolverResult {
        switch response {
        case .timeout: return .timeout
        case .unreachable: return .connectionRefused
        case .nxdomain: return .reply(ResolverReply(rcode: .nameError), elapsed: latency)
        case .nodata: return .reply(ResolverReply(rcode: .noError), elapsed: latency)
        case .servfail: return .reply(ResolverReply(rcode: .serverFailure), elapsed: latency)
        case .refused: return .reply(ResolverReply(rcode: .refused), elapsed: latency)
        case .referral:
            return .reply(ResolverReply(rcode: .noError, authoritative: false, recursionAvailable: false), elapsed: latency)
        case .truncated: return .reply(ResolverReply(rcode: .noError, truncated: true), elapsed: latency)
        case .address(let text):
            guard let address = IPAddress(text) else {
                Issue.record("scripted address \"\(text)\" is not an IP address")
                return .reply(ResolverReply(rcode: .serverFailure), elapsed: latency)
            }
            let rdata = address.rdata
            let record = ResourceRecord(name: query.name, ttl: 5, rdata: rdata)
            return .reply(ResolverReply(rcode: .noError, answers: record.type == query.type ? [record] : []), elapsed: latency)
        case .records(let texts):
            // A scripted record that does not parse is a broken fixture: fail, never drop it.
            let records = texts.compactMap { text -> ResourceRecord? in
                do { return try ResourceRecord(presentation: text) } catch {
                    Issue.record("scripted record \"\(text)\" does not parse: \(error)")
                    return nil
                }
            }
            return .reply(ResolverReply(rcode: .noError, answers: records), elapsed: latency)
        }
    }

    /// The queries as `name type` strings, for compact expectations.
    var sentSummary: [String] { sent.map { "\($0.name) \($0.type)" } }
}

extension ResolvConf {
    /// A pod in `namespace` with the default ClusterFirst resolv.conf.
    static func testPod(_ namespace: String = "production", ndots: Int = 5) -> ResolvConf {
        var conf = ResolvConf.pod(namespace: namespace, zone: "cluster.local")
        conf.ndots = ndots
        return conf
    }
}

/// Runs one simulation against `resolver`.
func simulate(_ name: String, _ kind: LookupKind = .addresses, resolver kindOfResolver: StubResolverKind = .glibc,
              conf: ResolvConf = .testPod(), using resolver: ScriptedResolver, namespace: String? = "production") -> SimulationReport {
    Simulation.run(SimulationRequest(name: name, kind: kind, resolverKind: kindOfResolver, conf: conf, namespace: namespace),
                   resolver: resolver)
}
