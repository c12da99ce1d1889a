/// One microbenchmark: a name, and a setup that builds whatever the measured code needs (off
/// the clock, allocations not counted) and returns the body, which the runner calls once per
/// iteration.
///
/// Keep the body to the operation being measured: everything it does is timed and every
/// allocation it makes is counted. Pass results to `blackHole` so the optimizer cannot drop them.
struct Benchmark: Sendable {
    /// Unique, camelCase; also the key in `Thresholds/<name>.json`.
    let name: String
    /// One line for `--list`: what is measured and why it matters.
    let summary: String
    let setup: @Sendable () -> () -> Void

    init(_ name: String, _ summary: String, setup: @escaping @Sendable () -> () -> Void) {
        self.name = name
        self.summary = summary
        self.setup = setup
    }
}

/// Consumes a value so the computation producing it is kept. `@_optimize(none)` stops the
/// optimizer from seeing that the value is unused; taking it generically costs no allocation.
@inline(never) @_optimize(none)
func blackHole(_ value: some Any) {}
