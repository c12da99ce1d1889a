import DNSWire
import Foundation
import Testing

/// What happens around a query `forward` could not get an answer for: `errors` says why, and
/// `cache` does not keep the SERVFAIL that forward made up (CoreDNS caches only SERVFAILs an
/// upstream actually sent), so the next query after the upstream recovers is answered.
@Suite(.serialized) struct ForwardFailureTests {
    @Test("a SERVFAIL of forward's own making is logged with its reason and not cached")
    func ownServfailLoggedNotCached() throws {
        let upstream = try ScriptedUpstream(marker: IPv4Address(192, 0, 2, 7), mode: .drop)
        defer { upstream.stop() }
        let server = try ServerProcess(corefile: """
            .:{PORT} {
                errors
                cache 30
                forward . \(upstream.address) {
                    max_fails 0
                }
            }
            """)
        var client = server.client
        client.timeout = .seconds(10)
        let first = try client.query("www.example.", .a)
        #expect(first.rcode == .serverFailure)
        #expect(ServerProcess.eventually { server.log.contains("plugin/forward: every attempt failed") }, "\(server.log)")
        // The upstream recovers: the very next query gets its answer, not a cached SERVFAIL.
        upstream.mode = .answer
        let second = try client.query("www.example.", .a)
        #expect(second.rcode == .noError)
        #expect(second.answers.contains { $0.rdata == .a(IPv4Address(192, 0, 2, 7)) })
    }
}
