import DNSWire

/// A finished simulation: the request, every query, the outcome and the advice.
package struct SimulationReport: Sendable {
    package var request: SimulationRequest
    /// Where answers came from (`Resolver.label`).
    package var source: String
    package var trace: LookupTrace
    package var advice: [Advice]

    package init(request: SimulationRequest, source: String, trace: LookupTrace, advice: [Advice]) {
        self.request = request
        self.source = source
        self.trace = trace
        self.advice = advice
    }

    /// Every packet the stub sent (retries included).
    package var queryCount: Int { trace.attempts.count }

    /// Queries whose reply added nothing to the final answer.
    package var wastedCount: Int { trace.attempts.filter { !$0.used }.count }

    /// The candidate name that produced the answer, with a trailing dot.
    package var resolvedName: DomainName? {
        if case .resolved(let name, _) = trace.outcome { return name }
        return nil
    }

    /// The rcode that ended the lookup: NOERROR when resolved; otherwise the last reply's
    /// rcode, or nil when the last query got no reply at all.
    package var finalRcode: ResponseCode? {
        if resolvedName != nil { return .noError }
        return trace.attempts.last?.reply?.rcode
    }

    /// True when some reply was assumed rather than received (in-process, outside the zone).
    package var usedGuesses: Bool { trace.attempts.contains { $0.reply?.guess != nil } }
}
