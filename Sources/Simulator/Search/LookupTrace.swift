import DNSWire

/// What a stub-resolver run produced: every query in order and the outcome.
public struct LookupTrace: Sendable, Equatable {
    public var candidates: [SearchCandidate]
    public var attempts: [QueryAttempt]
    public var outcome: LookupOutcome
    /// Simulated time from the call to its return.
    public var elapsed: Duration
    /// Things the stub did that no single query shows ("switched to single-request for the
    /// rest of the process", "name too long: not sent").
    public var notes: [String]

    public init(candidates: [SearchCandidate], attempts: [QueryAttempt], outcome: LookupOutcome, elapsed: Duration,
                notes: [String]) {
        self.candidates = candidates
        self.attempts = attempts
        self.outcome = outcome
        self.elapsed = elapsed
        self.notes = notes
    }
}
