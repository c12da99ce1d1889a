import DNSWire

/// One query the simulated stub resolver sent, and what became of it.
package struct QueryAttempt: Sendable, Equatable {
    /// The name exactly as sent (the application's case, search domain appended).
    package var qname: DomainName
    package var qtype: RecordType
    /// Index into the nameserver list.
    package var server: Int
    package var transport: QueryTransport
    /// The stub's socket for this query, numbered from 1 in the order they were opened: glibc
    /// sends A and AAAA from one socket and opens a new one per name (and for AAAA with
    /// `single-request-reopen`); musl uses one socket per name.
    package var socket: Int
    /// Simulated time since the lookup started when the query was sent.
    package var sentAt: Duration
    package var result: ResolverResult
    /// Which candidate name (0-based, in the order tried) this query was for.
    package var candidate: Int
    /// Why this query was sent or what the stub did with its reply, when it is not the
    /// obvious first send ("retry 2 of 2", "resent after SERVFAIL", "reply ignored").
    package var note: String?
    /// True when its reply contributed records to the final answer.
    package var used: Bool

    package init(qname: DomainName, qtype: RecordType, server: Int, transport: QueryTransport, socket: Int,
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
    package var reply: ResolverReply? {
        if case .reply(let reply, _) = result { return reply }
        return nil
    }

    /// How long the query waited: the reply's round trip, nil for a timeout.
    package var elapsed: Duration? {
        if case .reply(_, let elapsed) = result { return elapsed }
        return nil
    }
}
