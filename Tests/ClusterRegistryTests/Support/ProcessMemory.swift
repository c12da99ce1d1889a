import Foundation
import Glibc

/// Heap and resident-set readings around a build, for the memory report.
enum ProcessMemory {
    /// Bytes the allocator has handed out and not taken back (glibc `malloc_stats`' "in use
    /// bytes", arenas and mmapped chunks together). Read by capturing what `malloc_stats()` prints
    /// to stderr, because Glibc's Swift module exports neither it nor `mallinfo2` and the struct
    /// return of `mallinfo2` cannot be called through `dlsym`. Returns nil if that fails.
    static func heapInUse() -> Int? {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_stats") else { return nil }
        let mallocStats = unsafeBitCast(symbol, to: (@convention(c) () -> Void).self)
        guard let capture = tmpfile() else { return nil }
        defer { fclose(capture) }
        fflush(nil)
        let saved = dup(2)
        dup2(fileno(capture), 2)
        mallocStats()
        fflush(nil)
        dup2(saved, 2)
        close(saved)
        rewind(capture)
        var text = ""
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, Int32(line.count), capture) != nil {
            text += String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        guard let total = text.range(of: "Total (incl. mmap):") else { return nil }
        let tail = text[total.upperBound...]
        guard let inUse = tail.range(of: "in use bytes"), let equals = tail[inUse.upperBound...].firstIndex(of: "=") else { return nil }
        let digits = tail[tail.index(after: equals)...].drop { $0 == " " }.prefix { $0.isNumber }
        return Int(digits)
    }

    /// Resident set size from /proc/self/statm.
    static func resident() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// Gives freed memory back to the kernel so RSS deltas mean something.
    static func trim() {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return }
        _ = unsafeBitCast(symbol, to: (@convention(c) (Int) -> Int32).self)(0)
    }
}

/// CPU time of the calling thread: unlike wall-clock time, it does not count the time other
/// processes (other builds, fuzzers) take the shared cores away.
enum ThreadCPUTime {
    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// Seconds of CPU `body` took on this thread.
    static func measure(_ body: () -> Void) -> Double {
        let start = now()
        body()
        return now() - start
    }
}
