import DNSWire

/// Runs a stub-resolver lookup against a `Resolver` and explains the result.
package enum Simulation {
    /// Simulates `request` with answers from `resolver`.
    ///
    /// IP literals are not looked up (both libraries return them without DNS). Everything else
    /// goes through `GlibcLookup` or `MuslLookup`, which call `resolver` once per exchange, in
    /// the order the real library would send.
    package static func run(_ request: SimulationRequest, resolver: any Resolver) -> SimulationReport {
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
