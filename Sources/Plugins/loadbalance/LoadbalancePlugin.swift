import Corefile
import DNSWire

/// `loadbalance [round_robin] { prefer CIDR... }`: randomizes the order of the A, AAAA and MX
/// records of NOERROR responses (CoreDNS's *loadbalance*), round-robin DNS for clients that take
/// the first address.
///
/// It registers a response hook and edits the finished response in place: each A/AAAA RRset of
/// every section is shuffled where it lies (see `ResponseShuffler`), allocation-free, after the
/// cache stored the unshuffled answer (hooks run in reverse chain order and `cache` comes after
/// `loadbalance`), so every client, cache hit or not, gets a fresh order. With `prefer`,
/// addresses in the listed networks are then moved first, in the order of the networks. MX
/// RRsets in the answer are shuffled by re-encoding the message (they hold names other records
/// may point into), which allocates. RRsets are not moved relative to each other: CNAMEs stay
/// before the addresses they lead to, as every plugin here writes them; CoreDNS also re-sorts
/// the sections (CNAMEs first), which only matters for an upstream that sent them out of order.
/// Zone transfers and other rcodes are left alone. `weighted` is not supported yet.
public final class LoadbalancePlugin: PluginFactory, Sendable {
    public let name = "loadbalance"
    public let prefer: [AddressPrefix]

    init(prefer: [AddressPrefix]) {
        self.prefer = prefer
    }

    public static let setup: PluginSetupFunction = { (directive, _) throws(CorefileError) in
        if let policy = directive.argument(0) {
            switch policy.text {
            case "round_robin":
                if let extra = directive.argument(1) {
                    throw directive.error("unknown property for round_robin: '\(extra.text)'", at: extra)
                }
            case "weighted":
                throw directive.error("policy 'weighted' is not supported yet by ClusterDNS (round_robin is)", at: policy)
            default:
                throw directive.error("unknown policy '\(policy.text)' — expected round_robin", at: policy)
            }
        }
        var prefer: [AddressPrefix] = []
        for property in directive.properties {
            guard property.name == "prefer" else { throw property.unknownProperty() }
            try property.requireArguments(min: 1)
            for argument in property.arguments {
                guard let prefix = AddressPrefix(argument.text) else {
                    throw property.error("invalid CIDR '\(argument.text)'", at: argument)
                }
                prefer.append(prefix)
            }
        }
        return LoadbalancePlugin(prefer: prefer)
    }

    public func makeHandler(worker: WorkerContext) -> (any PluginHandler)? { LoadbalanceHandler(prefer: prefer) }
}

/// The `loadbalance` plugin on one worker: a response hook.
final class LoadbalanceHandler: PluginHandler {
    let prefer: [AddressPrefix]

    init(prefer: [AddressPrefix]) {
        self.prefer = prefer
    }

    func serve(_ request: Request, engine: QueryEngine) -> PluginResult {
        request.addResponseHook()
        return .next
    }

    func responseWillBeSent(_ request: Request, response: inout ResponseView, engine: QueryEngine) {
        guard response.rcode == .noError else { return }
        let multipleMX = ResponseShuffler.shuffle(response.buffer, length: response.length, prefer: prefer,
                                                  using: &engine.worker.random)
        if multipleMX >= 2 { shuffleMX(&response, random: &engine.worker.random) }
    }

    /// MX RRsets in the answer, shuffled by re-encoding the message.
    func shuffleMX(_ response: inout ResponseView, random: inout Xoshiro256) {
        guard var message = response.message() else { return }
        var start = 0
        let answers = message.answers
        while start < answers.count {
            var end = start + 1
            while end < answers.count && answers[end].sameRRset(as: answers[start]) { end += 1 }
            if answers[start].type == .mx && end - start > 1 {
                message.answers[start..<end].shuffle(using: &random)
            }
            start = end
        }
        _ = response.replace(with: message)
    }
}
