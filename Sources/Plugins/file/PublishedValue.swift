import Synchronization

// RCU-style publication of an immutable value (a loaded zone, a parsed hosts file) to the worker
// threads, the same scheme as ClusterRegistry's SnapshotCell (which this can give way to once
// both are merged): the reload thread publishes under a mutex and then bumps an atomic
// generation; each worker's handler keeps a `PublishedValue.Reader`, which on every query does
// one relaxed load of the generation and takes the mutex only when it changed. The mutex
// handover orders the value's initialisation before the reader's use of it; the atomic is a
// hint, so a stale read merely keeps serving the previous (complete, immutable) value for a
// moment. Readers hold the value strongly, so the old one is freed when the last worker moved on.

/// An immutable value replaced whole by a reload and read by every worker.
public final class PublishedValue<Value: AnyObject & Sendable>: Sendable {
    private let generationHint = Atomic<UInt64>(0)
    private let state: Mutex<(value: Value?, generation: UInt64)>

    /// A cell holding `initial` (nil: nothing loaded yet).
    public init(_ initial: Value?) {
        state = Mutex((initial, 1))
        generationHint.store(1, ordering: .relaxed)
    }

    /// Makes `value` the one every reader sees from its next query on.
    public func publish(_ value: Value) {
        let next = state.withLock { state -> UInt64 in
            state.generation += 1
            state.value = value
            return state.generation
        }
        generationHint.store(next, ordering: .releasing)
    }

    /// The current value (takes the lock: for the control plane).
    public func load() -> Value? { state.withLock { $0.value } }

    /// How many values were published (1 for the initial one).
    public var generation: UInt64 { generationHint.load(ordering: .relaxed) }

    fileprivate func snapshot() -> (Value?, UInt64) { state.withLock { ($0.value, $0.generation) } }

    /// A worker's view of the cell. Owned by one thread; not to be shared.
    public struct Reader {
        let cell: PublishedValue<Value>
        private var cached: Value?
        private var unmanaged: Unmanaged<Value>?
        private var cachedGeneration: UInt64 = 0

        public init(_ cell: PublishedValue<Value>) {
            self.cell = cell
        }

        /// Calls `body` with the current value, borrowed: no reference-count traffic on the shared
        /// object in the common case. Refreshes first when a newer value was published.
        /// - Complexity: one relaxed atomic load. Allocation-free.
        @inline(__always)
        public mutating func withCurrent<R>(_ body: (Value?) -> R) -> R {
            if cell.generationHint.load(ordering: .relaxed) != cachedGeneration { refresh() }
            guard let unmanaged else { return body(nil) }
            return unmanaged._withUnsafeGuaranteedRef { body($0) }
        }

        @inline(never)
        private mutating func refresh() {
            let (value, generation) = cell.snapshot()
            cached = value
            unmanaged = value.map { Unmanaged.passUnretained($0) }
            cachedGeneration = generation
        }
    }
}
