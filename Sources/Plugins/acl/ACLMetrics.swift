/// CoreDNS's metric names for *acl*.
enum ACLMetricNames {
    static let blocked = "coredns_acl_blocked_requests_total"
    static let filtered = "coredns_acl_filtered_requests_total"
    static let allowed = "coredns_acl_allowed_requests_total"
    static let dropped = "coredns_acl_dropped_requests_total"
}

/// One worker's `acl` counters: blocked, filtered and dropped per zone slot, and allowed; words
/// of a `WorkerCounterBlock`.
final class ACLWorkerCounters: WorkerCounterBlock, @unchecked Sendable {
    let slots: Int

    init(slots: Int) {
        self.slots = slots
        super.init(words: 3 * slots + 1)
    }

    static func row(_ action: ACLConfig.Action) -> Int {
        switch action {
        case .block: 0
        case .filter: 1
        case .drop: 2
        case .allow: 3
        }
    }

    @inline(__always) func bump(action: ACLConfig.Action, slot: Int) {
        bump(ACLWorkerCounters.row(action) * slots + slot)
    }

    @inline(__always) func bumpAllowed() { bump(3 * slots) }
}

