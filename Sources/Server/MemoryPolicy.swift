#if canImport(Glibc)
import Glibc
#endif

/// How the process asks glibc's allocator to behave, so that memory freed by the control plane
/// goes back to the system instead of staying in the heap.
///
/// The registry replaces large buffers all the time (a manifest file's bytes, a shard's index
/// arrays, the PTR routes' tables). glibc's default mmap threshold is dynamic: once a large
/// mmapped block is freed, blocks up to that size are carved from the heap from then on, where
/// freed space fragments and is rarely returned — RSS that grows with every reload. A fixed
/// threshold keeps every block from 256 KiB up mmapped (unmapped on free); workers do not
/// allocate on the query path, so the extra system calls are the control plane's alone.
///
/// glibc also gives each thread that allocates its own arena (up to 8 per core). The registry
/// builds shards on every core (`concurrentPerform`), so the memory one change frees sits in
/// one thread's arena while the next change allocates from another's: measured at 100 000
/// services, RSS rose to 1.5× the loaded size under a continuous stream of changes. Two arenas
/// are enough for a control plane whose allocations are not contended; an operator's own
/// `MALLOC_ARENA_MAX` wins.
package enum MemoryPolicy {
    /// Large allocations are mmapped from this size up, whatever was freed before.
    package static let mmapThreshold: Int32 = 256 * 1024

    /// Arenas glibc may create, unless `MALLOC_ARENA_MAX` says otherwise.
    package static let arenaLimit: Int32 = 2

    /// `M_MMAP_THRESHOLD` and `M_ARENA_MAX` of `<malloc.h>`, which Swift's Glibc module does not export.
    private static let mmapThresholdParameter: Int32 = -3
    private static let arenaMaxParameter: Int32 = -8

    /// Applies the policy; call once, before the registry loads. Idempotent. Without glibc's
    /// `mallopt` (another libc) it does nothing.
    package static func apply() {
        #if canImport(Glibc)
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        _ = mallopt(mmapThresholdParameter, mmapThreshold)
        if getenv("MALLOC_ARENA_MAX") == nil { _ = mallopt(arenaMaxParameter, arenaLimit) }
        #endif
    }
}
