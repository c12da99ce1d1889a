import DNSWire

/// One query the simulated stub resolver sent, and what became of it.
public struct QueryAttempt: Sendable, Equatable {
    /// The name exactly as sent (the application's case, search domain appended).
    public var qname: DomainName
    public var qtype: RecordType
    /// Index into the nameserver list.
    public var server: Int
    public var transport: QueryTransport
    /// The stub's socket for this query, numbered from 1 in the order they were opened: glibc
    /// sends A and AAAA from one socket and opens a new one per name (and for AAAA with
    /// `single-request-reopen`); musl uses one socket per name.
    public var socket: Int
    /// Simulated time since the lookup started when the query was sent.
    public var sentAt: Duration
    public var result: ResolverResult
    /// Which candidate name (0-based, in the order tried) this query was for.
    public var candidate: Int
    /// Why this query was sent or what the stub did with its reply, when it is not the
    /// obvious first send ("retry 2 of 2", "resent after SERVFAIL", "reply ignored").
    public var note: String?
    /// True when its reply contributed records to the final answer.
    public var used: Bool

    public init(qname: DomainName, qtype: RecordType, server: Int, transport: QueryTransport, socket: Int,
                sentAt: Duration, result: ResolverResult, candidate: Int, note: String? = nil, used: Bool = false) {
        self.qname = qname
        self.qtype = qtype
        self.server = server
        self.transport = transport
        self.socket = socket
        self.sentAt = sentAt
        self.result = result
        self.candidate = candidate
        self.note = note
        self.used = used
    }

    /// The reply, if one arrived.
    public var reply: ResolverReply? {
        if case .reply(let reply, _) = result { return reply }
        return nil
    }

    /// How long the query waited: the reply's round trip, nil for a timeout.
    public var elapsed: Duration? {
        if case .reply(_, let elapsed) = result { return elapsed }
        return nil
    }
}

/// A name the stub resolver will try, in order.
public struct SearchCandidate: Sendable, Equatable {
    /// The text the C library builds: the name, or `name.domain`.
    public var text: String
    /// The search domain appended; nil for the name as written.
    public var domain: String?

    public init(text: String, domain: String?) {
        self.text = text
        self.domain = domain
    }

    public var isSearchExpansion: Bool { domain != nil }
}

/// How a lookup ended.
public enum LookupOutcome: Sendable, Equatable {
    /// The application gets these records, from this candidate name.
    case resolved(name: DomainName, records: [ResourceRecord])
    /// The application gets an error.
    case failed(LookupError)
    /// No query was needed or possible (an IP literal, an empty or over-long name).
    case notQueried(String)
}

/// The error an application sees, named as the C library names it.
public enum LookupError: String, Sendable, Hashable, CustomStringConvertible {
    /// getaddrinfo: "Name or service not known".
    case eaiNoName = "EAI_NONAME"
    /// getaddrinfo (glibc): "No address associated with hostname".
    case eaiNoData = "EAI_NODATA"
    /// getaddrinfo: "Temporary failure in name resolution".
    case eaiAgain = "EAI_AGAIN"
    /// getaddrinfo: "Non-recoverable failure in name resolution".
    case eaiFail = "EAI_FAIL"
    /// res_search h_errno: the name does not exist.
    case hostNotFound = "HOST_NOT_FOUND"
    /// res_search h_errno: the name exists without records of that type.
    case noData = "NO_DATA"
    /// res_search h_errno: no usable answer (timeout, SERVFAIL).
    case tryAgain = "TRY_AGAIN"
    /// res_search h_errno: REFUSED, FORMERR, NOTIMP or a name that cannot be sent.
    case noRecovery = "NO_RECOVERY"

    public var description: String { rawValue }

    /// The text `gai_strerror`/`hstrerror` gives the application.
    public var message: String {
        switch self {
        case .eaiNoName: "Name or service not known"
        case .eaiNoData: "No address associated with hostname"
        case .eaiAgain: "Temporary failure in name resolution"
        case .eaiFail: "Non-recoverable failure in name resolution"
        case .hostNotFound: "Unknown host"
        case .noData: "No address associated with name"
        case .tryAgain: "Host name lookup failure"
        case .noRecovery: "Unknown server error"
        }
    }
}

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
