import DNSWire

/// Where a simulation's queries are answered: the server's own plugin chain in this process,
/// a real server over the network, or (in tests) a script.
///
/// The stub-resolver algorithms (`GlibcLookup`, `MuslLookup`) decide what to send and when; a
/// `Resolver` only answers. It is called in the order the stub would send, so a real server
/// sees the same sequence of queries a pod would send.
package protocol Resolver: AnyObject {
    /// How the report names the source of answers ("in-process: Corefile", "127.0.0.1:53").
    var label: String { get }
    /// Sends `queries` together, as a stub sends A and AAAA back to back from one socket, to
    /// nameserver number `server` (an index into the resolv.conf list; a resolver with one
    /// real target answers all of them), and waits at most `timeout` for the replies.
    /// - Returns: one result per query, in the order of `queries`.
    func exchange(_ queries: [ResolverQuery], server: Int, transport: QueryTransport, timeout: Duration) -> [ResolverResult]
}
