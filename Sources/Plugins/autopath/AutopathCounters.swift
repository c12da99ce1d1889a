/// `coredns_autopath_success_total`, per worker: one word of a `WorkerCounterBlock`.
final class AutopathCounters: WorkerCounterBlock, @unchecked Sendable {
    static let successName = "coredns_autopath_success_total"

    init() { super.init(words: 1) }

    @inline(__always) func countSuccess() { bump(0) }

    var successes: UInt64 { read(0) }
}

/// Every worker's autopath counters for one server block.
typealias AutopathCounterSet = WorkerCounterSet<AutopathCounters>

extension WorkerCounterSet where Block == AutopathCounters {
    convenience init() { self.init { AutopathCounters() } }

    var successes: UInt64 { total(0) }
}
