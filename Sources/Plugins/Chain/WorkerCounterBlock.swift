import Atomics

/// A worker's block of single-writer 64-bit counters: the one way a plugin counts per worker
/// (`cache`, `autopath`, `acl`; the engine's `BlockMetrics` and `EngineCounters` lay out their
/// words the same way).
///
/// The owning worker is the only writer (a relaxed load and a relaxed store, no
/// read-modify-write, no lock: plain moves on x86-64); scrapes read each word with a relaxed
/// load and sum the workers. Plugins subclass it to name their words; the accessors are `final`,
/// so a bump is a direct call.
public class WorkerCounterBlock: @unchecked Sendable {
    // @unchecked: all mutable state is the atomic words behind `base`, each written by one worker.
    let wordCount: Int
    private let base: UnsafeMutablePointer<UInt64.AtomicRepresentation>

    init(words: Int) {
        wordCount = words
        base = .allocate(capacity: max(words, 1))
        base.initialize(repeating: UInt64.AtomicRepresentation(0), count: max(words, 1))
    }

    deinit { base.deallocate() }

    /// Adds `amount` to word `index` (owning worker only). Out-of-range indexes are ignored.
    @inline(__always) final func bump(_ index: Int, by amount: UInt64 = 1) {
        guard index >= 0, index < wordCount else { return }
        let atomic = UnsafeAtomic<UInt64>(at: base + index)
        atomic.store(atomic.load(ordering: .relaxed) &+ amount, ordering: .relaxed)
    }

    /// Overwrites word `index`, for gauges (owning worker only).
    @inline(__always) final func set(_ index: Int, _ value: UInt64) {
        guard index >= 0, index < wordCount else { return }
        UnsafeAtomic<UInt64>(at: base + index).store(value, ordering: .relaxed)
    }

    /// Reads word `index` (any thread).
    final func read(_ index: Int) -> UInt64 {
        guard index >= 0, index < wordCount else { return 0 }
        return UnsafeAtomic<UInt64>(at: base + index).load(ordering: .relaxed)
    }
}
