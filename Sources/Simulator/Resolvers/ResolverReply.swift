import DNSWire

/// The parts of a reply a stub resolver looks at, plus the records for the report.
package struct ResolverReply: Sendable, Equatable {
    package var rcode: ResponseCode
    package var authoritative: Bool
    package var recursionAvailable: Bool
    package var truncated: Bool
    package var answers: [ResourceRecord]
    package var authorityCount: Int
    package var additionalCount: Int
    /// Set when no server produced this reply: an in-process simulation's stand-in for what
    /// the upstream resolver would say about a name outside the cluster zones.
    package var guess: UpstreamGuess?

    package init(rcode: ResponseCode, authoritative: Bool = true, recursionAvailable: Bool = true, truncated: Bool = false,
                answers: [ResourceRecord] = [], authorityCount: Int = 0, additionalCount: Int = 0,
                guess: UpstreamGuess? = nil) {
        self.rcode = rcode
        self.authoritative = authoritative
        self.recursionAvailable = recursionAvailable
        self.truncated = truncated
        self.answers = answers
        self.authorityCount = authorityCount
        self.additionalCount = additionalCount
        self.guess = guess
    }

    /// The reply as parsed off the wire.
    package init(message: Message) {
        self.init(rcode: message.rcode, authoritative: message.header.authoritative,
                  recursionAvailable: message.header.recursionAvailable, truncated: message.header.truncated,
                  answers: message.answers, authorityCount: message.authorities.count,
                  additionalCount: message.additionals.count + (message.edns == nil ? 0 : 1))
    }

    /// ANCOUNT as the C code tests it; a guessed positive answer counts as one record.
    package var answerCount: Int { guess == .resolves ? max(answers.count, 1) : answers.count }

    /// NOERROR with no answer records.
    package var isNoData: Bool { rcode == .noError && answerCount == 0 }

    /// SERVFAIL, NOTIMP or REFUSED: the replies glibc's `send_dg` and musl's `res_msend`
    /// treat as "this server did not answer".
    package var isServerRejection: Bool { rcode == .serverFailure || rcode == .notImplemented || rcode == .refused }

    /// glibc `send_dg`'s "referred query": NOERROR, no answer, AA, RA and ARCOUNT all zero —
    /// treated like a rejection (try the next server).
    package var isReferral: Bool {
        rcode == .noError && answerCount == 0 && !authoritative && !recursionAvailable && additionalCount == 0
    }
}

/// What an in-process simulation assumed for a name it cannot answer (outside every cluster
/// zone: in a real cluster the `forward` plugin sends it upstream).
package enum UpstreamGuess: String, Sendable, Hashable {
    /// Assumed to exist upstream: the name as the application wrote it, with a plausible
    /// top-level domain (`api.example.com`).
    case resolves
    /// Assumed NXDOMAIN: a search-domain expansion outside the cluster zone (a node search
    /// domain), or a name whose last label is no top-level domain (`db`, `web.staging`… asked
    /// as written).
    case nxdomain
}
