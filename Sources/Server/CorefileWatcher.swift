import EventLoop

#if canImport(Glibc)
import Glibc
#endif

/// The `reload` plugin's poller: every interval (plus a random jitter, so replicas do not reload
/// in step) it hashes the Corefile and every file it imports, and calls `onChange` when any of
/// them differs from what is running.
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
        fingerprint = CorefileWatcher.fingerprint(files)
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
        let now = CorefileWatcher.fingerprint(files)
        if now != fingerprint {
            fingerprint = now
            onChange()
        }
        scheduleNext()
    }

    /// FNV-1a over every file's path and contents; a missing file hashes as its path alone.
    static func fingerprint(_ files: [String]) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        func mix(_ byte: UInt8) {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01B3
        }
        for path in files {
            for byte in path.utf8 { mix(byte) }
            guard let file = fopen(path, "rb") else { continue }
            defer { fclose(file) }
            var buffer = [UInt8](repeating: 0, count: 8192)
            while true {
                let n = fread(&buffer, 1, buffer.count, file)
                if n <= 0 { break }
                for i in 0..<n { mix(buffer[i]) }
            }
        }
        return hash
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
