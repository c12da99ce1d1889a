import MallocInterposerSwift

/// What one benchmark measured.
struct Measurement {
    var name: String
    /// Median over `runs` timed runs.
    var nanosecondsPerOp: Double
    /// Fastest and slowest run, to show the spread.
    var fastest: Double
    var slowest: Double
    var iterationsPerRun: Int
    var mallocsPerOp: Double
    var bytesPerOp: Double
}

/// Times benchmarks with a monotonic clock and counts their allocations with malloc-interposer.
///
/// For each benchmark: setup (not measured), warm-up (lazy runtime work such as metadata
/// instantiation happens here, not in the counts), calibration of the iteration count so one
/// run takes about `runDuration`, `runs` timed runs whose median is reported, then one batch
/// with the interposer hooked to count allocations per operation.
struct Runner {
    var runs = 5
    var runDuration: Duration = .milliseconds(100)
    /// Iterations of the allocation-counting batch (fewer when a run is shorter).
    var countedIterations = 10_000

    let clock = ContinuousClock()

    func measure(_ benchmark: Benchmark) -> Measurement {
        let body = benchmark.setup()
        // Warm up for about a tenth of a run, at least a few calls.
        var warm = 0
        let warmStart = clock.now
        while warm < 10 || clock.now - warmStart < runDuration / 10 {
            body()
            warm += 1
        }
        let iterations = calibrate(body)
        var perOp: [Double] = []
        for _ in 0..<runs {
            let start = clock.now
            for _ in 0..<iterations { body() }
            perOp.append(nanoseconds(clock.now - start) / Double(iterations))
        }
        perOp.sort()

        let counted = min(countedIterations, max(iterations, 100))
        MallocInterposerSwift.reset()
        MallocInterposerSwift.hook()
        for _ in 0..<counted { body() }
        MallocInterposerSwift.unhook()
        let stats = MallocInterposerSwift.getStatistics()
        return Measurement(name: benchmark.name, nanosecondsPerOp: perOp[perOp.count / 2], fastest: perOp[0],
                           slowest: perOp[perOp.count - 1], iterationsPerRun: iterations,
                           mallocsPerOp: Double(stats.mallocCount) / Double(counted),
                           bytesPerOp: Double(stats.mallocBytesCount) / Double(counted))
    }

    /// Doubles the iteration count until a run takes a tenth of `runDuration`, then scales.
    func calibrate(_ body: () -> Void) -> Int {
        var n = 1
        while true {
            let start = clock.now
            for _ in 0..<n { body() }
            let elapsed = clock.now - start
            if elapsed >= runDuration / 10 || n >= 1 << 30 {
                let scale = nanoseconds(runDuration) / max(nanoseconds(elapsed), 1)
                return max(1, Int(Double(n) * scale))
            }
            n *= 2
        }
    }

    /// Runs `body` exactly `iterations` times with no timing, for external tools (valgrind's
    /// DHAT) whose totals are then divided by the count.
    func runFixed(_ benchmark: Benchmark, iterations: Int) {
        let body = benchmark.setup()
        for _ in 0..<iterations { body() }
    }

    func nanoseconds(_ d: Duration) -> Double {
        let c = d.components
        return Double(c.seconds) * 1e9 + Double(c.attoseconds) / 1e9
    }

    /// True when the interposer really sees this process's allocations. It only does when its
    /// library precedes libc in symbol lookup, which linking it normally gives on Linux.
    static func interposerCounts() -> Bool {
        MallocInterposerSwift.reset()
        MallocInterposerSwift.hook()
        let probe = [UInt8](repeating: 1, count: 4096)
        blackHole(probe)
        MallocInterposerSwift.unhook()
        return MallocInterposerSwift.getStatistics().mallocCount > 0
    }
}
