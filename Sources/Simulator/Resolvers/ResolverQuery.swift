import DNSWire

/// UDP, or TCP after a truncated answer (or with `use-vc`).
package enum QueryTransport: String, Sendable, Hashable, CustomStringConvertible {
    case udp, tcp
    package var description: String { rawValue }
}

/// One query as the stub resolver builds it.
package struct ResolverQuery: Sendable, Hashable {
    /// The name exactly as sent, in the application's case.
    package var name: DomainName
    package var type: RecordType
    /// glibc adds an OPT record only with `options edns0`; musl never does.
    package var edns: Bool
    /// True when the name is the application's name with a search domain appended; false for
    /// the name as written. An in-process resolver uses it to guess how the upstream would
    /// answer names it cannot see (`UpstreamGuess`).
    package var isSearchExpansion: Bool

    package init(name: DomainName, type: RecordType, edns: Bool = false, isSearchExpansion: Bool = false) {
        self.name = name
        self.type = type
        self.edns = edns
        self.isSearchExpansion = isSearchExpansion
    }
}

/// What became of one query.
package enum ResolverResult: Sendable, Equatable {
    /// A reply arrived after `elapsed`.
    case reply(ResolverReply, elapsed: Duration)
    /// Nothing arrived within the timeout (lost, dropped, or a server that never answers).
    case timeout
    /// ICMP port unreachable (nothing listens there): `ECONNREFUSED` on the socket.
    case connectionRefused
}
