/// The state of one client query while `forward` works on it: which upstreams are left to try,
/// what is outstanding now, and the deadlines.
///
/// Slots are pooled per handler and reused (a generation number tells a stale timer or reply from
/// a current one), so a forwarded query allocates no slot.
final class ExchangeSlot {
    let index: Int32
    /// Bumped every time the slot is released, so an outcome of an earlier query cannot touch it.
    var generation: UInt32 = 1
    var request: Request?

    /// Upstream indexes in the order this query tries them (policy order), `upstreamCount` long.
    var order: [UInt8]
    var cursor = 0
    /// Down upstreams skipped in this pass over the list (CoreDNS's `fails`).
    var downSkipped = 0
    /// Attempts that ended in an error or a timeout (CoreDNS's `connectAttempts`).
    var attempts = 0
    /// Answers with a `failover` rcode so far.
    var failoverAttempts = 0
    /// Monotonic nanoseconds after which no new attempt starts and the query gets SERVFAIL.
    var deadline: UInt64 = 0

    /// The attempt in flight.
    var upstream = -1
    /// The client came over TCP (and neither `force_tcp` nor `prefer_udp` overrides it), or `force_tcp`.
    var overTCP = false
    /// `prefer_udp` got a truncated answer: this upstream is asked again over TCP.
    var tcpForced = false
    var attemptStarted: UInt64 = 0
    /// The exchange in flight in the server's upstream pool.
    var exchange: UpstreamExchangeID?
    /// A pooled TCP connection the upstream had closed was replaced once for this query already.
    var retriedClosedConnection = false
    /// The question name as the attempt in flight sent it, in the random letter case
    /// `randomize_case` gave it; empty when the attempt went in the client's case.
    var sentName: [UInt8] = []
    /// The attempt in flight got an answer that matched but for letter case (dropped).
    var caseMismatch = false
    /// After such an answer and a timeout, this upstream is asked once more in the client's case.
    var caseFallback = false

    init(index: Int32, upstreamCount: Int) {
        self.index = index
        order = [UInt8](repeating: 0, count: max(upstreamCount, 1))
    }

    /// The exchange context naming this slot and its current generation.
    var exchangeContext: UInt64 { UInt64(UInt32(bitPattern: index)) | UInt64(generation) << 32 }

    var usesTCP: Bool { overTCP || tcpForced }

    /// Clears everything but identity, ready for the next query.
    func reset() {
        request = nil
        generation &+= 1
        if generation == 0 { generation = 1 }
        cursor = 0
        downSkipped = 0
        attempts = 0
        failoverAttempts = 0
        upstream = -1
        overTCP = false
        tcpForced = false
        exchange = nil
        retriedClosedConnection = false
        sentName.removeAll(keepingCapacity: true)
        caseMismatch = false
        caseFallback = false
    }
}
