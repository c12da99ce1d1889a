import Atomics

/// `coredns_autopath_success_total`, per worker: a single-writer word as `BlockMetrics` keeps
/// them (relaxed load and store by the owning worker, relaxed loads by the scraper).
final class AutopathCounters: @unchecked Sendable {
    // @unchecked: the only mutable state is the atomic word behind `word`, written by one worker.
    static let successName = "coredns_autopath_success_total"

    let word: UnsafeMutablePointer<UInt64.AtomicRepresentation>

    init() {
        word = .allocate(capacity: 1)
        word.initialize(to: UInt64.AtomicRepresentation(0))
    }

    deinit { word.deallocate() }

    @inline(__always) func countSuccess() {
        let atomic = UnsafeAtomic<UInt64>(at: word)
        atomic.store(atomic.load(ordering: .relaxed) &+ 1, ordering: .relaxed)
    }

    var successes: UInt64 { UnsafeAtomic<UInt64>(at: word).load(ordering: .relaxed) }
}
