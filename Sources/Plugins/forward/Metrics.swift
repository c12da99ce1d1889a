import Atomics
import DNSWire


/// One worker's counters for one `forward`, in CoreDNS's metric shape: written by that worker
/// only, read by the scraper.
///
/// Single-writer words as `BlockMetrics` uses them: a relaxed load and store (no read-modify-write,
/// no lock prefix); the scraper's relaxed loads may be a little stale, never torn.
final class ForwardWorkerMetrics: @unchecked Sendable {
    // @unchecked: all mutable state is the atomic words behind `base`, written by one worker only.

    /// Rcodes 0…22 have their own series; 23 and above share the last slot.
    static let rcodeSlots = 24
    static let durationBounds = BlockMetrics.durationBounds
    static var histogramWords: Int { durationBounds.count + 2 }   // buckets, +Inf, sum (ns)

    // Per-upstream layout.
    static let requestsOffset = 0
    static let responsesOffset = 1
    static var durationOffset: Int { responsesOffset + rcodeSlots }
    static var droppedOffset: Int { durationOffset + rcodeSlots * histogramWords }
    /// [proto udp/tcp][hit, miss]
    static var connectionCacheOffset: Int { droppedOffset + DroppedResponseReason.allCases.count }
    static var wordsPerUpstream: Int { connectionCacheOffset + 4 }

    let upstreams: Int
    var rejectsIndex: Int { upstreams * Self.wordsPerUpstream }
    var brokenIndex: Int { rejectsIndex + 1 }
    let base: UnsafeMutablePointer<UInt64.AtomicRepresentation>
    let count: Int

    init(upstreams: Int) {
        self.upstreams = upstreams
        count = upstreams * Self.wordsPerUpstream + 2
        base = .allocate(capacity: count)
        base.initialize(repeating: UInt64.AtomicRepresentation(0), count: count)
    }

    deinit { base.deallocate() }

    @inline(__always) private func bump(_ index: Int, by amount: UInt64 = 1) {
        let word = UnsafeAtomic<UInt64>(at: base + index)
        word.store(word.load(ordering: .relaxed) &+ amount, ordering: .relaxed)
    }

    func read(_ index: Int) -> UInt64 { UnsafeAtomic<UInt64>(at: base + index).load(ordering: .relaxed) }

    @inline(__always) static func rcodeSlot(_ rcode: ResponseCode) -> Int { min(Int(rcode.rawValue), rcodeSlots - 1) }

    // MARK: Worker side (allocation-free)

    func countRequest(upstream: Int) { bump(upstream * Self.wordsPerUpstream + Self.requestsOffset) }

    func countResponse(upstream: Int, rcode: ResponseCode, nanoseconds: UInt64) {
        let row = upstream * Self.wordsPerUpstream
        let slot = Self.rcodeSlot(rcode)
        bump(row + Self.responsesOffset + slot)
        let seconds = Double(nanoseconds) / 1e9
        var bucket = Self.durationBounds.count
        for (i, bound) in Self.durationBounds.enumerated() where seconds <= bound {
            bucket = i
            break
        }
        let histogram = row + Self.durationOffset + slot * Self.histogramWords
        bump(histogram + bucket)
        bump(histogram + Self.durationBounds.count + 1, by: nanoseconds)
    }

    func countDropped(upstream: Int, _ reason: DroppedResponseReason) {
        bump(upstream * Self.wordsPerUpstream + Self.droppedOffset + reason.rawValue)
    }

    func countConnection(upstream: Int, tcp: Bool, reused: Bool) {
        bump(upstream * Self.wordsPerUpstream + Self.connectionCacheOffset + (tcp ? 2 : 0) + (reused ? 0 : 1))
    }

    func countReject() { bump(rejectsIndex) }
    func countBroken() { bump(brokenIndex) }

    // MARK: Scrape side

    func requests(upstream: Int) -> UInt64 { read(upstream * Self.wordsPerUpstream + Self.requestsOffset) }
    func responses(upstream: Int, slot: Int) -> UInt64 { read(upstream * Self.wordsPerUpstream + Self.responsesOffset + slot) }
    func dropped(upstream: Int, _ reason: DroppedResponseReason) -> UInt64 {
        read(upstream * Self.wordsPerUpstream + Self.droppedOffset + reason.rawValue)
    }
    func connections(upstream: Int, tcp: Bool, reused: Bool) -> UInt64 {
        read(upstream * Self.wordsPerUpstream + Self.connectionCacheOffset + (tcp ? 2 : 0) + (reused ? 0 : 1))
    }
    /// Non-cumulative bucket counts (last is +Inf) and the sum in nanoseconds.
    func histogram(upstream: Int, slot: Int) -> (counts: [UInt64], sumNanoseconds: UInt64) {
        let start = upstream * Self.wordsPerUpstream + Self.durationOffset + slot * Self.histogramWords
        let n = Self.durationBounds.count + 1
        return ((0..<n).map { read(start + $0) }, read(start + n))
    }
    var rejects: UInt64 { read(rejectsIndex) }
    var broken: UInt64 { read(brokenIndex) }
}

/// Renders the summed counters of every worker of one `forward` into a metrics report, with
/// CoreDNS's names and labels (both the older `coredns_forward_*` family and the newer
/// `coredns_proxy_*` one, since dashboards use either).
enum ForwardMetricsRenderer {
    static func render(upstreams: [UpstreamHealth], workers: [ForwardWorkerMetrics], into report: inout MetricsReport) {
        for (u, health) in upstreams.enumerated() {
            let to = health.upstream.description
            report.counter("coredns_forward_requests_total", help: "Counter of requests made per upstream.",
                           labels: [("to", to)], value: Double(workers.reduce(0) { $0 + $1.requests(upstream: u) }))
            for slot in 0..<ForwardWorkerMetrics.rcodeSlots {
                let responses = workers.reduce(0) { $0 + $1.responses(upstream: u, slot: slot) }
                guard responses > 0 else { continue }
                let rcode = ResponseCode(rawValue: UInt16(slot)).description
                report.counter("coredns_forward_responses_total", help: "Counter of responses received per upstream.",
                               labels: [("to", to), ("rcode", rcode)], value: Double(responses))
                var counts = [UInt64](repeating: 0, count: ForwardWorkerMetrics.durationBounds.count + 1)
                var sum: UInt64 = 0
                for worker in workers {
                    let (c, s) = worker.histogram(upstream: u, slot: slot)
                    for i in counts.indices { counts[i] += c[i] }
                    sum &+= s
                }
                var cumulative: UInt64 = 0
                var buckets: [(upperBound: Double, count: UInt64)] = []
                for (i, bound) in ForwardWorkerMetrics.durationBounds.enumerated() {
                    cumulative += counts[i]
                    buckets.append((bound, cumulative))
                }
                let total = cumulative + counts[counts.count - 1]
                let seconds = Double(sum) / 1e9
                report.histogram("coredns_forward_request_duration_seconds", help: "Histogram of the time each request took.",
                                 labels: [("to", to), ("rcode", rcode)], buckets: buckets, sum: seconds, count: total)
                report.histogram("coredns_proxy_request_duration_seconds", help: "Histogram of the time each request took.",
                                 labels: [("proxy_name", "forward"), ("to", to), ("rcode", rcode)],
                                 buckets: buckets, sum: seconds, count: total)
            }
            let failedChecks = Double(health.failedCheckCount)
            report.counter("coredns_forward_healthcheck_failures_total", help: "Counter of the number of failed healthchecks.",
                           labels: [("to", to)], value: failedChecks)
            report.counter("coredns_proxy_healthcheck_failures_total", help: "Counter of the number of failed healthchecks.",
                           labels: [("proxy_name", "forward"), ("to", to)], value: failedChecks)
            for (tcp, proto) in [(false, "udp"), (true, "tcp")] {
                report.counter("coredns_proxy_conn_cache_hits_total", help: "Counter of connection cache hits per upstream and protocol.",
                               labels: [("proxy_name", "forward"), ("to", to), ("proto", proto)],
                               value: Double(workers.reduce(0) { $0 + $1.connections(upstream: u, tcp: tcp, reused: true) }))
                report.counter("coredns_proxy_conn_cache_misses_total", help: "Counter of connection cache misses per upstream and protocol.",
                               labels: [("proxy_name", "forward"), ("to", to), ("proto", proto)],
                               value: Double(workers.reduce(0) { $0 + $1.connections(upstream: u, tcp: tcp, reused: false) }))
            }
            for reason in DroppedResponseReason.allCases {
                report.counter("clusterdns_forward_dropped_responses_total",
                               help: "Upstream messages ignored while waiting for an answer: wrong ID (spoofed or stale), wrong question, malformed, late, or wrong letter case (randomize_case).",
                               labels: [("to", to), ("reason", reason.label)],
                               value: Double(workers.reduce(0) { $0 + $1.dropped(upstream: u, reason) }))
            }
        }
        report.counter("coredns_forward_healthcheck_broken_total", help: "Counter of the number of complete failures of the healthchecks.",
                       value: Double(workers.reduce(0) { $0 + $1.broken }))
        report.counter("coredns_forward_max_concurrent_rejects_total",
                       help: "Counter of the number of queries rejected because the concurrent queries were at maximum.",
                       value: Double(workers.reduce(0) { $0 + $1.rejects }))
    }
}
