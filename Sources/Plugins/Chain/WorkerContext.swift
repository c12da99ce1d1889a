#if canImport(Glibc)
import Glibc
#endif
import DNSWire

/// What a plugin's per-worker handler may use of its worker: its index, a fast random source,
/// a clock, and the server's timers and upstream exchanges (`WorkerServices`).
public final class WorkerContext {
    public let index: Int
    public let workerCount: Int
    /// A fast generator for choices that need no secrecy (shuffles, jitter). Query IDs and
    /// source ports sent upstream use `SystemRandomNumberGenerator` instead.
    public var random: Xoshiro256
    /// Timers and upstream exchanges on this worker, given by the server; nil in process.
    public var services: (any WorkerServices)?
    /// Bytes one `cache` plugin may take on this worker by default, derived from the process's
    /// memory limit (a pod's cgroup); nil when there is no limit. A cache whose capacity the
    /// Corefile sets ignores it.
    public var cacheMemoryBudget: Int?

    public init(index: Int, workerCount: Int, services: (any WorkerServices)? = nil, cacheMemoryBudget: Int? = nil) {
        self.index = index
        self.workerCount = workerCount
        self.cacheMemoryBudget = cacheMemoryBudget
        var seed = SystemRandomNumberGenerator()
        random = Xoshiro256(seed: seed.next())
        self.services = services
    }
}

/// xoshiro256** (Blackman & Vigna): fast, small state, good statistical quality. Not for secrets.
public struct Xoshiro256: RandomNumberGenerator, Sendable {
    var s: (UInt64, UInt64, UInt64, UInt64)

    public init(seed: UInt64) {
        // Expand the seed with splitmix64 so no state word is zero.
        var x = seed
        func splitmix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s = (splitmix(), splitmix(), splitmix(), splitmix())
    }

    public mutating func next() -> UInt64 {
        let result = ((s.1 &* 5) << 7 | (s.1 &* 5) >> 57) &* 9
        let t = s.1 << 17
        s.2 ^= s.0
        s.3 ^= s.1
        s.1 ^= s.2
        s.0 ^= s.3
        s.2 ^= t
        s.3 = s.3 << 45 | s.3 >> 19
        return result
    }
}

/// Monotonic nanoseconds (CLOCK_MONOTONIC), the clock every deadline and duration uses.
@inline(__always)
public func monotonicNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
}

/// Wall-clock seconds since the Unix epoch, truncated to 32 bits as a DNS cookie's timestamp is
/// (serial arithmetic makes the wrap harmless). Allocation-free, no syscall (vDSO).
@inline(__always)
public func wallClockSeconds() -> UInt32 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return UInt32(truncatingIfNeeded: ts.tv_sec)
}
