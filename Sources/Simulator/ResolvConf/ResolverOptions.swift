/// The `options` flags of resolv.conf that change what a stub resolver sends.
///
/// Only glibc reads them; musl 1.2.3 reads `ndots:`, `timeout:` and `attempts:` and ignores
/// every flag (the simulation then warns that the flag has no effect).
package struct ResolverOptions: OptionSet, Sendable, Hashable {
    package let rawValue: UInt32
    package init(rawValue: UInt32) { self.rawValue = rawValue }

    /// `rotate`: glibc starts each query at the next nameserver (RES_ROTATE).
    package static let rotate = ResolverOptions(rawValue: 1 << 0)
    /// `single-request`: A, then AAAA once the A answer arrived (RES_SNGLKUP).
    package static let singleRequest = ResolverOptions(rawValue: 1 << 1)
    /// `single-request-reopen`: like single-request, AAAA from a new socket (RES_SNGLKUPREOP).
    package static let singleRequestReopen = ResolverOptions(rawValue: 1 << 2)
    /// `use-vc`: TCP for every query (RES_USEVC).
    package static let useVC = ResolverOptions(rawValue: 1 << 3)
    /// `edns0`: an OPT record in every query (RES_USE_EDNS0).
    package static let edns0 = ResolverOptions(rawValue: 1 << 4)
    /// `no-aaaa` (glibc ≥ 2.36): no AAAA queries; AF_UNSPEC asks for A only (RES_NOAAAA).
    package static let noAAAA = ResolverOptions(rawValue: 1 << 5)
    /// `trust-ad`: keep the AD bit (no effect on what is sent).
    package static let trustAD = ResolverOptions(rawValue: 1 << 6)
    /// `no-tld-query`: never ask for a dotless name as-is (RES_NOTLDQUERY).
    package static let noTLDQuery = ResolverOptions(rawValue: 1 << 7)
    /// `inet6`, `no-reload`, `debug`, `no-check-names`: accepted, no effect on the queries.
    package static let inert = ResolverOptions(rawValue: 1 << 8)

    /// glibc's option words (resolv/res_init.c `res_setoptions`), matched as prefixes in this
    /// order, as glibc does: `single-request-reopen` must come before `single-request`.
    static let glibcWords: [(word: String, flag: ResolverOptions)] = [
        ("inet6", .inert),
        ("rotate", .rotate),
        ("edns0", .edns0),
        ("single-request-reopen", .singleRequestReopen),
        ("single-request", .singleRequest),
        ("no_tld_query", .noTLDQuery),
        ("no-tld-query", .noTLDQuery),
        ("no-reload", .inert),
        ("use-vc", .useVC),
        ("trust-ad", .trustAD),
        ("no-aaaa", .noAAAA),
        ("debug", .inert),
        ("no-check-names", .inert),
    ]

    /// The words of the options set, in glibc's table order (for reports).
    package var words: [String] {
        var seen = ResolverOptions()
        var out: [String] = []
        for (word, flag) in ResolverOptions.glibcWords where flag != .inert && contains(flag) && !seen.contains(flag) {
            seen.insert(flag)
            out.append(word)
        }
        return out
    }
}
