import DNSWire

/// Where a simulation's queries are answered: the server's own plugin chain in this process,
/// a real server over the network, or (in tests) a script.
///
/// The stub-resolver algorithms (`GlibcLookup`, `MuslLookup`) decide what to send and when; a
/// `Resolver` only answers. It is called in the order the stub would send, so a real server
/// sees the same sequence of queries a pod would send.
public protocol Resolver: AnyObject {
    /// How the report names the source of answers ("in-process: Corefile", "127.0.0.1:53").
    var label: String { get }
    /// Sends `queries` together, as a stub sends A and AAAA back to back from one socket, to
    /// nameserver number `server` (an index into the resolv.conf list; a resolver with one
    /// real target answers all of them), and waits at most `timeout` for the replies.
    /// - Returns: one result per query, in the order of `queries`.
    func exchange(_ queries: [ResolverQuery], server: Int, transport: QueryTransport, timeout: Duration) -> [ResolverResult]
}

/// UDP, or TCP after a truncated answer (or with `use-vc`).
public enum QueryTransport: String, Sendable, Hashable, CustomStringConvertible {
    case udp, tcp
    public var description: String { rawValue }
}

/// One query as the stub resolver builds it.
public struct ResolverQuery: Sendable, Hashable {
    /// The name exactly as sent, in the application's case.
    public var name: DomainName
    public var type: RecordType
    /// glibc adds an OPT record only with `options edns0`; musl never does.
    public var edns: Bool
    /// True when the name is the application's name with a search domain appended; false for
    /// the name as written. An in-process resolver uses it to guess how the upstream would
    /// answer names it cannot see (`UpstreamGuess`).
    public var isSearchExpansion: Bool

    public init(name: DomainName, type: RecordType, edns: Bool = false, isSearchExpansion: Bool = false) {
        self.name = name
        self.type = type
        self.edns = edns
        self.isSearchExpansion = isSearchExpansion
    }
}

/// What became of one query.
public enum ResolverResult: Sendable, Equatable {
    /// A reply arrived after `elapsed`.
    case reply(ResolverReply, elapsed: Duration)
    /// Nothing arrived within the timeout (lost, dropped, or a server that never answers).
    case timeout
    /// ICMP port unreachable (nothing listens there): `ECONNREFUSED` on the socket.
    case connectionRefused
}

/// The parts of a reply a stub resolver looks at, plus the records for the report.
public struct ResolverReply: Sendable, Equatable {
    public var rcode: ResponseCode
    public var authoritative: Bool
    public var recursionAvailable: Bool
    public var truncated: Bool
    public var answers: [ResourceRecord]
    public var authorityCount: Int
    public var additionalCount: Int
    /// Set when no server produced this reply: an in-process simulation's stand-in for what
    /// the upstream resolver would say about a name outside the cluster zones.
    public var guess: UpstreamGuess?

    public init(rcode: ResponseCode, authoritative: Bool = true, recursionAvailable: Bool = true, truncated: Bool = false,
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
    public init(message: Message) {
        self.init(rcode: message.rcode, authoritative: message.header.authoritative,
                  recursionAvailable: message.header.recursionAvailable, truncated: message.header.truncated,
                  answers: message.answers, authorityCount: message.authorities.count,
                  additionalCount: message.additionals.count + (message.edns == nil ? 0 : 1))
    }

    /// ANCOUNT as the C code tests it; a guessed positive answer counts as one record.
    public var answerCount: Int { guess == .resolves ? max(answers.count, 1) : answers.count }

    /// NOERROR with no answer records.
    public var isNoData: Bool { rcode == .noError && answerCount == 0 }

    /// SERVFAIL, NOTIMP or REFUSED: the replies glibc's `send_dg` and musl's `res_msend`
    /// treat as "this server did not answer".
    public var isServerRejection: Bool { rcode == .serverFailure || rcode == .notImplemented || rcode == .refused }

    /// glibc `send_dg`'s "referred query": NOERROR, no answer, AA, RA and ARCOUNT all zero —
    /// treated like a rejection (try the next server).
    public var isReferral: Bool {
        rcode == .noError && answerCount == 0 && !authoritative && !recursionAvailable && additionalCount == 0
    }
}

/// What an in-process simulation assumed for a name it cannot answer (outside every cluster
/// zone: in a real cluster the `forward` plugin sends it upstream).
public enum UpstreamGuess: String, Sendable, Hashable {
    /// The name as the application wrote it: assumed to exist upstream.
    case resolves
    /// A search-domain expansion outside the cluster zone (a node search domain): assumed
    /// NXDOMAIN, as such names almost always are.
    case nxdomain
}
