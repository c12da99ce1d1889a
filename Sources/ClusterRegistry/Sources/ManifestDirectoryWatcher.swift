import Foundation
import Glibc

/// The mutable side of a directory source: the manifest store, the fingerprints of the files
/// last read, and the inotify watches. Brings the store in line with the directory and
/// publishes a snapshot when anything changed.
///
/// Used by exactly one thread at a time: the thread calling `ManifestDirectorySource.start()`
/// for the initial load, then only the watcher thread (`pthread_create` orders the two).
final class ManifestDirectoryWatcher {
    let root: String
    let cell: SnapshotCell<ClusterState>
    let store = ManifestStore()
    let inotify: InotifyWatch
    private var known: [String: FileFingerprint] = [:]
    /// Paths that could not be examined at the last scan, with the reason.
    private var problems: [String: String] = [:]
    private var rootFailure: String?
    /// Pause between the parts of a large change (see `publish()`): the workers' refresh
    /// interval, so each part's replaced indexes are let go before the next part is built.
    var partGap: Duration = .seconds(1)
    /// A change to more shards than this is published in waves of this many shards.
    static let shardsPerWave = 16

    init(root: String, cell: SnapshotCell<ClusterState>) throws(ManifestSourceError) {
        self.root = root
        self.cell = cell
        inotify = try InotifyWatch()
    }

    /// Rescans the directory, re-reads new and changed files (every file when `everything`),
    /// forgets deleted ones, and publishes a new snapshot if the store changed.
    /// - Parameter publishAlways: publish even when nothing changed (the first load of an
    ///   empty directory must still produce a snapshot).
    /// - Returns: whether a snapshot was published.
    @discardableResult
    func reconcile(everything: Bool = false, publishAlways: Bool = false) -> Bool {
        let scan: DirectoryScan
        do {
            scan = try ManifestDirectoryScanner.scan(root: root)
        } catch {
            // The root itself is gone or unreadable: an unmounted volume or a typo in a move is
            // far likelier than a wish to empty the cluster, so every file keeps its objects.
            guard rootFailure != error.description || publishAlways else { return false }
            rootFailure = error.description
            store.markUnreadable(path: root, reason: error.description)
            publish()
            return true
        }
        var changed = false
        if rootFailure != nil {
            rootFailure = nil
            store.remove(path: root)
            changed = true
        }
        inotify.watch(exactly: scan.directories)

        var next = scan.files
        var currentProblems: [String: String] = [:]
        for problem in scan.problems {
            currentProblems[problem.path] = problem.reason
            if let old = known[problem.path] { next[problem.path] = old }
            // Report each problem once, not at every rescan.
            if problems[problem.path] != problem.reason {
                store.markUnreadable(path: problem.path, reason: problem.reason)
                changed = true
            }
        }
        for path in problems.keys where currentProblems[path] == nil && scan.files[path] == nil && known[path] == nil {
            store.remove(path: path)
            changed = true
        }
        let previousProblems = problems
        problems = currentProblems
        for path in known.keys where next[path] == nil {
            store.remove(path: path)
            changed = true
        }
        let toLoad = scan.files.sorted(by: { $0.key < $1.key }).filter { path, fingerprint in
            everything || known[path] != fingerprint || previousProblems[path] != nil
        }.map(\.key)
        let batches = Self.batches(toLoad, sizes: scan.files, afterFirstLoad: cell.load() != nil)
        var publishedPart = false
        for (k, batch) in batches.enumerated() {
            let deferred = store.update(paths: batch, read: Self.readText)
            // Still being written: keep the last good objects and look again at the next
            // rescan (the writer's close brings one, IN_CLOSE_WRITE).
            for path in deferred { next[path] = known[path] }
            if deferred.count < batch.count { changed = true }
            if changed && k < batches.count - 1 {
                publish()
                publishedPart = true
                changed = false
                settleAfterWave()
            }
        }
        known = next
        if changed || publishAlways { publish() }
        return changed || publishAlways || publishedPart
    }

    /// A file's bytes, checked to be UTF-8, or why it cannot be read.
    @Sendable
    static func readText(_ path: String) -> Result<[UInt8], ManifestSourceError> {
        readFile(path).flatMap { bytes in isUTF8(bytes) ? .success(bytes) : .failure(.notUTF8) }
    }

    /// Whether `bytes` are valid UTF-8. Manifests are nearly always ASCII, checked without
    /// decoding; anything else is validated by the standard library (which copies).
    static func isUTF8(_ bytes: [UInt8]) -> Bool {
        let ascii = bytes.withUnsafeBufferPointer { buffer in
            var any: UInt8 = 0
            for b in buffer { any |= b }
            return any < 0x80
        }
        return ascii || String(validating: bytes, as: UTF8.self) != nil
    }

    /// Set by every publication: the shards and indexes it replaced are freed once every worker
    /// has moved on, and `trimIfPending` (called when changes pause) hands that memory back to
    /// the system. glibc keeps freed small blocks in its arenas otherwise, so RSS would climb
    /// with every change even though the live heap does not.
    private(set) var trimPending = false

    /// Publishes what the store holds. A change that touches most of the cluster (a relist,
    /// a restore, every file rewritten) is published in waves of `shardsPerWave` shards, a
    /// `partGap` apart: each wave's new shard snapshots and indexes are built while only that
    /// wave's old ones are still alive, instead of two whole clusters at once. Every wave is a
    /// consistent state: a service, its slices and its pods share a shard, so a query sees each
    /// service old or new, never half of one.
    private func publish() {
        let changed = store.takeChangedShards()
        if cell.load() != nil, let changed, changed.count > Self.shardsPerWave {
            let shards = changed.sorted()
            for start in stride(from: 0, to: shards.count, by: Self.shardsPerWave) {
                if start > 0 { settleAfterWave() }
                let wave = Set(shards[start..<min(start + Self.shardsPerWave, shards.count)])
                cell.publish(store.state(previous: cell.load(), changed: wave))
            }
        } else {
            cell.publish(store.state(previous: cell.load(), changed: changed))
        }
        trimPending = true
    }

    /// Between the waves and parts of a large change: waits until every worker has left the
    /// state the last wave replaced (one refresh interval), then gives what it freed back to
    /// the system before the next wave is built. Without the trim, glibc kept the freed blocks
    /// in its arenas and the next wave allocated beside them: a fully changed relist at
    /// 100 000 services peaked at 1.41x the steady RSS.
    private func settleAfterWave() {
        Self.pause(partGap)
        HeapTrim.trim()
    }

    /// The files to re-read, in parts: after the first load, a change to more than an eighth of
    /// the directory's bytes (at least 4 MiB a part) is decoded and published part by part, so
    /// the old and the new objects of the whole cluster are never held at once.
    static func batches(_ paths: [String], sizes: [String: FileFingerprint], afterFirstLoad: Bool) -> [[String]] {
        guard afterFirstLoad, paths.count > 1 else { return paths.isEmpty ? [] : [paths] }
        let total = sizes.values.reduce(Int64(0)) { $0 + $1.size }
        let limit = max(Int64(4 << 20), total / 8)
        var result: [[String]] = []
        var current: [String] = []
        var bytes: Int64 = 0
        for path in paths {
            current.append(path)
            bytes += sizes[path]?.size ?? 0
            if bytes >= limit {
                result.append(current)
                current = []
                bytes = 0
            }
        }
        if !current.isEmpty { result.append(current) }
        return result
    }

    private static func pause(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        let microseconds = seconds * 1_000_000 + attoseconds / 1_000_000_000_000
        if microseconds > 0 { usleep(UInt32(clamping: microseconds)) }
    }

    /// Returns free heap memory to the system after a large publication (glibc keeps freed
    /// small blocks in its arenas otherwise). Runs on the watcher thread, off the query path.
    func trimIfPending() {
        guard trimPending else { return }
        trimPending = false
        HeapTrim.trim()
    }

    /// The most octets one manifest file may hold. A `kubectl get -o yaml` of 10 000 services is
    /// about 20 MiB; Kubernetes caps one object at about 1.5 MiB (etcd's request limit).
    static let maxFileBytes = 64 * 1024 * 1024

    /// The whole file, or the call that failed and its errno, or `.tooLarge` past `limit` octets
    /// (reading stops there: the file is never held whole).
    static func readFile(_ path: String, limit: Int = maxFileBytes) -> Result<[UInt8], ManifestSourceError> {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return .failure(.system(call: "open", errno: errno)) }
        defer { close(fd) }
        if isOpenForWriting(fd) { return .failure(.beingWritten) }
        var bytes: [UInt8] = []
        // Sized once from fstat (a file that grows meanwhile still reads whole), so a 5 MB file
        // is not copied by every doubling of its buffer.
        var info = stat()
        if fstat(fd, &info) == 0, info.st_size > 0 { bytes.reserveCapacity(min(Int(info.st_size) + 1, limit + 1)) }
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return .failure(.system(call: "read", errno: errno))
            }
            if n == 0 { return .success(bytes) }
            guard bytes.count + n <= limit else { return .failure(.tooLarge(limit: limit)) }
            bytes.append(contentsOf: chunk[0..<n])
        }
    }

    /// Whether some process has the file open for writing: a file written in place (an editor
    /// without write-and-rename, `cat > file`, a copy in progress) is half a file until its
    /// writer closes it, and a rescan brought by another file's change would otherwise serve
    /// the half. Asked with a read lease, which Linux refuses with EAGAIN while any descriptor
    /// of the file is open for writing (fcntl(2) F_SETLEASE), and let go at once. A lease also
    /// needs this process to own the file (or CAP_LEASE); where it cannot be taken for that or
    /// any other reason, the answer is "no" and the file is read as before.
    static func isOpenForWriting(_ fd: Int32) -> Bool {
        // <fcntl.h> with _GNU_SOURCE, fixed Linux ABI (Glibc's Swift overlay does not export them).
        let F_SETLEASE: Int32 = 1024, F_RDLCK: Int32 = 0, F_UNLCK: Int32 = 2
        if fcntl(fd, F_SETLEASE, F_RDLCK) == 0 {
            _ = fcntl(fd, F_SETLEASE, F_UNLCK)
            return false
        }
        return errno == EAGAIN
    }
}
