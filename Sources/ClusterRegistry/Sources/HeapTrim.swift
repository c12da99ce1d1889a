import Glibc

/// glibc's `malloc_trim`, found at run time: Swift's Glibc module does not export `<malloc.h>`,
/// and this module cannot import the project's C shim (its headers collide with Yams's C
/// module). Without it (another libc), trimming is skipped.
enum HeapTrim {
    private typealias Trim = @convention(c) (Int) -> Int32

    private static let function: Trim? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return nil }
        return unsafeBitCast(symbol, to: Trim.self)
    }()

    /// Returns the heap's free pages to the system.
    static func trim() {
        _ = function?(0)
    }
}
