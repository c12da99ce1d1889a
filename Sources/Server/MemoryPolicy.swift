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
package enum MemoryPolicy {
    /// Large allocations are mmapped from this size up, whatever was freed before.
    package static let mmapThreshold: Int32 = 256 * 1024

    /// `M_MMAP_THRESHOLD` of `<malloc.h>`, which Swift's Glibc module does not export.
    private static let mmapThresholdParameter: Int32 = -3

    /// Applies the policy; call once, before the registry loads. Idempotent. Without glibc's
    /// `mallopt` (another libc) it does nothing.
    package static func apply() {
        #if canImport(Glibc)
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
        _ = unsafeBitCast(symbol, to: Mallopt.self)(mmapThresholdParameter, mmapThreshold)
        #endif
    }
}
