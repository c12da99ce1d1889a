import DNSWire

/// What a stub-resolver run produced: every query in order and the outcome.
package struct LookupTrace: Sendable, Equatable {
    package var candidates: [SearchCandidate]
    package var attempts: [QueryAttempt]
    package var outcome: LookupOutcome
    /// Simulated time from the call to its return.
    package var elapsed: Duration
    /// Things the stub did that no single query shows ("switched to single-request for the
    /// rest of the process", "name too long: not sent").
    package var notes: [String]

    package init(candidates: [SearchCandidate], attempts: [QueryAttempt], outcome: LookupOutcome, elapsed: Duration,
                notes: [String]) {
        self.candidates = candidates
        self.attempts = attempts
        self.outcome = outcome
        self.elapsed = elapsed
        self.notes = notes
    }
}
