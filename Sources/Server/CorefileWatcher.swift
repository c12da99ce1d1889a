import EventLoop

#if canImport(Glibc)
import Glibc
#endif

/// The `reload` plugin's poller: every interval (plus a random jitter, so replicas do not reload
/// in step) it hashes the Corefile and every file it imports, and calls `onChange` when any of
/// them differs from what is running. A file that some process still has open for writing is
/// not judged until its writer closes it (a half-written Corefile that happens to parse would
/// otherwise be served).
final class CorefileWatcher {
    let files: [String]
    let interval: Duration
    let jitter: Duration
    unowned let loop: EventLoop
    let onChange: () -> Void
    private var fingerprint: UInt64
    private var timer: TimerID?
    private var stopped = false

    init(files: [String], interval: Duration, jitter: Duration, loop: EventLoop, onChange: @escaping () -> Void) {
        self.files = files
        self.interval = interval
        self.jitter = jitter
        self.loop = loop
        self.onChange = onChange
        fingerprint = CorefileWatcher.fingerprint(files) ?? 0
        scheduleNext()
    }

    func stop() {
        stopped = true
        if let timer { _ = loop.cancel(timer) }
    }

    private func scheduleNext() {
        guard !stopped else { return }
        let jitterNanos = jitter.components.seconds * 1_000_000_000 + jitter.components.attoseconds / 1_000_000_000
        let extra = jitterNanos > 0 ? Int64.random(in: 0...jitterNanos) : 0
        timer = loop.schedule(after: interval + .nanoseconds(extra)) { [weak self] in self?.check() }
    }

    private func check() {
        // A file open for writing is half a file: look again at the next interval.
        if let now = CorefileWatcher.fingerprint(files), now != fingerprint {
            fingerprint = now
            onChange()
        }
        scheduleNext()
    }

    /// The most octets of one file that are hashed: a Corefile is a few kilobytes, and a runaway
    /// file (the parser refuses it past 16 MiB) then costs one bounded read per interval on
    /// the control thread; its size and modification time still tell a change.
    static let hashedBytes = 1 << 20

    /// FNV-1a over every file's path, size, modification time and contents (up to
    /// `hashedBytes`); a missing file hashes as its path alone.
    /// - Returns: nil while some process has one of the files open for writing.
    static func fingerprint(_ files: [String]) -> UInt64? {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        func mix(_ byte: UInt8) {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01B3
        }
        func mix64(_ value: Int) {
            for shift in stride(from: 0, to: 64, by: 8) { mix(UInt8(truncatingIfNeeded: value >> shift)) }
        }
        for path in files {
            for byte in path.utf8 { mix(byte) }
            let fd: Int32
            do {
                fd = try Syscall.open(path: path, flags: O_RDONLY | O_CLOEXEC)
            } catch {
                continue  // missing or unreadable: the path alone, so it appearing is a change
            }
            defer { Syscall.close(fd: fd) }
            if FileWriters.isOpenForWriting(fd) { return nil }
            if let status = try? Syscall.fstat(fd: fd) {
                mix64(Int(status.st_size))
                mix64(status.st_mtim.tv_sec)
                mix64(status.st_mtim.tv_nsec)
            }
            // A read error (a directory, EIO) hashes what is known so far, as an empty file would.
            if let contents = try? FileReader.read(fd: fd, limit: hashedBytes) {
                for byte in contents.bytes { mix(byte) }
            }
        }
        return hash
    }
}

/// Whether a file is being written by some process.
enum FileWriters {
    /// True when some process has the file of `fd` open for writing: Linux refuses a read lease
    /// with EAGAIN then (fcntl(2) F_SETLEASE); the lease is let go at once. Needs this process
    /// to own the file (or CAP_LEASE); when the lease cannot be asked, the answer is false.
    static func isOpenForWriting(_ fd: Int32) -> Bool {
        // <fcntl.h> with _GNU_SOURCE, fixed Linux ABI.
        let F_SETLEASE: Int32 = 1024, F_RDLCK: Int32 = 0, F_UNLCK: Int32 = 2
        do {
            _ = try Syscall.fcntl(fd: fd, command: F_SETLEASE, argument: F_RDLCK)
        } catch {
            return error.errno == EAGAIN
        }
        // Letting go of a lease just taken does not fail; if it did, the lease ends with the
        // descriptor, which the caller closes right after hashing.
        do { _ = try Syscall.fcntl(fd: fd, command: F_SETLEASE, argument: F_UNLCK) } catch {}
        return false
    }
}

/// Path helpers for files named relative to the Corefile.
enum ServerPaths {
    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let dir = String(path[..<slash])
        return dir.isEmpty ? "/" : dir
    }
}
