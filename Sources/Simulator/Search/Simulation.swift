import DNSWire

/// What to simulate: a name, what the application asks for, and the resolver configuration
/// of the pod it runs in.
public struct SimulationRequest: Sendable {
    /// The name exactly as the application passes it (case, trailing dot).
    public var name: String
    public var kind: LookupKind
    public var resolverKind: StubResolverKind
    public var conf: ResolvConf
    /// The pod's namespace, when known: decides what `autopath` could do.
    public var namespace: String?
    /// The cluster domain (`cluster.local`), without trailing dot.
    public var zone: String

    public init(name: String, kind: LookupKind = .addresses, resolverKind: StubResolverKind = .glibc,
                conf: ResolvConf, namespace: String? = nil, zone: String = "cluster.local") {
        self.name = name
        self.kind = kind
        self.resolverKind = resolverKind
        self.conf = conf
        self.namespace = namespace
        self.zone = ResolvConf.trimmingDots(zone)
    }
}

/// Runs a stub-resolver lookup against a `Resolver` and explains the result.
public enum Simulation {
    /// Simulates `request` with answers from `resolver`.
    ///
    /// IP literals are not looked up (both libraries return them without DNS). Everything else
    /// goes through `GlibcLookup` or `MuslLookup`, which call `resolver` once per exchange, in
    /// the order the real library would send.
    public static func run(_ request: SimulationRequest, resolver: any Resolver) -> SimulationReport {
        let trace: LookupTrace
        if request.kind.isAddressLookup, IPAddress(request.name) != nil {
            trace = LookupTrace(candidates: [], attempts: [],
                                outcome: .notQueried("an IP address: getaddrinfo returns it without any DNS query"),
                                elapsed: .zero, notes: [])
        } else {
            switch request.resolverKind {
            case .glibc:
                var lookup = GlibcLookup(conf: request.conf, kind: request.kind, resolver: resolver)
                trace = lookup.run(name: request.name)
            case .musl:
                var lookup = MuslLookup(conf: request.conf, kind: request.kind, resolver: resolver)
                trace = lookup.run(name: request.name)
            }
        }
        let advice = Advice.make(request: request, trace: trace)
        return SimulationReport(request: request, source: resolver.label, trace: trace, advice: advice)
    }
}

/// A finished simulation: the request, every query, the outcome and the advice.
public struct SimulationReport: Sendable {
    public var request: SimulationRequest
    /// Where answers came from (`Resolver.label`).
    public var source: String
    public var trace: LookupTrace
    public var advice: [Advice]

    public init(request: SimulationRequest, source: String, trace: LookupTrace, advice: [Advice]) {
        self.request = request
        self.source = source
        self.trace = trace
        self.advice = advice
    }

    /// Every packet the stub sent (retries included).
    public var queryCount: Int { trace.attempts.count }

    /// Queries whose reply added nothing to the final answer.
    public var wastedCount: Int { trace.attempts.filter { !$0.used }.count }

    /// The candidate name that produced the answer, with a trailing dot.
    public var resolvedName: DomainName? {
        if case .resolved(let name, _) = trace.outcome { return name }
        return nil
    }

    /// The rcode that ended the lookup: NOERROR when resolved; otherwise the last reply's
    /// rcode, or nil when the last query got no reply at all.
    public var finalRcode: ResponseCode? {
        if resolvedName != nil { return .noError }
        return trace.attempts.last?.reply?.rcode
    }

    /// True when some reply was assumed rather than received (in-process, outside the zone).
    public var usedGuesses: Bool { trace.attempts.contains { $0.reply?.guess != nil } }
}
