import Atomics

/// CoreDNS's metric names for *acl*.
enum ACLMetricNames {
    static let blocked = "coredns_acl_blocked_requests_total"
    static let filtered = "coredns_acl_filtered_requests_total"
    static let allowed = "coredns_acl_allowed_requests_total"
    static let dropped = "coredns_acl_dropped_requests_total"
}

/// One worker's `acl` counters: blocked, filtered and dropped per zone slot, and allowed.
/// Single writer (the worker), read by scrapes: relaxed atomic words, no lock.
final class ACLWorkerCounters: @unchecked Sendable {
    // @unchecked: all mutable state is the atomic words behind `base`, written by one worker.
    let slots: Int
    let base: UnsafeMutablePointer<UInt64.AtomicRepresentation>
    var count: Int { 3 * slots + 1 }

    init(slots: Int) {
        self.slots = slots
        base = .allocate(capacity: 3 * slots + 1)
        base.initialize(repeating: UInt64.AtomicRepresentation(0), count: 3 * slots + 1)
    }

    deinit { base.deallocate() }

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

    @inline(__always) func bump(_ index: Int) {
        guard index < count else { return }
        let word = UnsafeAtomic<UInt64>(at: base + index)
        word.store(word.load(ordering: .relaxed) &+ 1, ordering: .relaxed)
    }

    func read(_ index: Int) -> UInt64 {
        guard index < count else { return 0 }
        return UnsafeAtomic<UInt64>(at: base + index).load(ordering: .relaxed)
    }
}

