import Glibc

// The inotify event bits (<linux/inotify.h>, fixed Linux ABI). Written out here because Glibc's
// Swift module does not export them, and this module cannot import CSystem: its `_GNU_SOURCE`
// system headers clash with those Yams's C module includes (`fd_set` "not present in definition").
private let IN_ATTR: UInt32 = 0x0000_0004
private let IN_CLOSE_WRITE: UInt32 = 0x0000_0008
private let IN_MOVED_FROM: UInt32 = 0x0000_0040
private let IN_MOVED_TO: UInt32 = 0x0000_0080
private let IN_CREATE: UInt32 = 0x0000_0100
private let IN_DELETE: UInt32 = 0x0000_0200
private let IN_DELETE_SELF: UInt32 = 0x0000_0400
private let IN_MOVE_SELF: UInt32 = 0x0000_0800
private let IN_Q_OVERFLOW: UInt32 = 0x0000_4000
private let IN_IGNORED: UInt32 = 0x0000_8000
private let IN_ONLYDIR: UInt32 = 0x0100_0000
private let IN_ISDIR: UInt32 = 0x4000_0000

/// The inotify instance of a directory source: one watch per directory walked.
///
/// Owned by the source's watcher thread (and by the starting thread before that thread
/// exists); not thread-safe.
final class InotifyWatch {
    let fd: Int32
    /// Watch descriptor → directory path, for naming events.
    private(set) var directories: [Int32: String] = [:]

    /// Events that can mean a manifest changed. `IN_ATTR` catches `touch` and permission fixes;
    /// moves in and out of a directory catch atomic renames by editors and the `..data` symlink
    /// swap Kubernetes does for ConfigMap volumes; `*_SELF` catch a watched directory vanishing.
    static let mask: UInt32 = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_DELETE_SELF
        | IN_MOVE_SELF | IN_ATTR | IN_ONLYDIR

    init() throws(ManifestSourceError) {
        let fd = inotify_init1(O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw .system(call: "inotify_init1", errno: errno) }
        self.fd = fd
    }

    deinit { close(fd) }

    /// Watches exactly `paths` from now on: adds what is new, removes watches on directories
    /// that are no longer walked (a re-pointed symlink leaves its old target watched otherwise).
    /// A directory that vanished meanwhile is skipped; the next scan sees it gone.
    func watch(exactly paths: [String]) {
        var current: [Int32: String] = [:]
        for path in paths {
            let wd = inotify_add_watch(fd, path, Self.mask)
            if wd >= 0 && current[wd] == nil { current[wd] = path }
        }
        for wd in directories.keys where current[wd] == nil { inotify_rm_watch(fd, wd) }
        directories = current
    }

    /// What a batch of events asks for.
    struct Batch {
        /// Some event may have changed the manifests: rescan (after the debounce).
        var rescan = false
        /// The kernel dropped events (`IN_Q_OVERFLOW`): the rescan must not trust anything.
        var overflow = false
    }

    /// Reads every pending event without blocking.
    func drain() -> Batch {
        var batch = Batch()
        let capacity = 64 * 1024
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 8)
        defer { buffer.deallocate() }
        while true {
            let n = read(fd, buffer.baseAddress, capacity)
            if n < 0 {
                if errno == EINTR { continue }
                break  // EAGAIN: drained. Anything else: the periodic rescan still runs.
            }
            if n == 0 { break }
            var offset = 0
            let headerSize = MemoryLayout<inotify_event>.size
            while offset + headerSize <= n {
                let wd = buffer.loadUnaligned(fromByteOffset: offset, as: Int32.self)
                let mask = buffer.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)
                let nameLength = Int(buffer.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
                let nameStart = offset + headerSize
                let name = nameLength == 0 ? "" : String(decoding: UnsafeRawBufferPointer(rebasing: buffer[nameStart..<min(nameStart + nameLength, n)]).prefix { $0 != 0 }, as: UTF8.self)
                offset = nameStart + nameLength
                classify(wd: wd, mask: mask, name: name, into: &batch)
            }
        }
        return batch
    }

    private func classify(wd: Int32, mask: UInt32, name: String, into batch: inout Batch) {
        if mask & IN_Q_OVERFLOW != 0 {
            batch.overflow = true
            batch.rescan = true
            return
        }
        if mask & IN_IGNORED != 0 {
            directories[wd] = nil
            batch.rescan = true
            return
        }
        if mask & IN_CREATE != 0 && mask & IN_ISDIR == 0 {
            // A new regular file is still being written: wait for its IN_CLOSE_WRITE rather
            // than read half of it. A new symlink has no close event, so it counts now.
            guard let directory = directories[wd] else { return }
            var s = stat()
            if lstat(directory + "/" + name, &s) == 0 && (s.st_mode & S_IFMT) == S_IFREG { return }
        }
        batch.rescan = true
    }
}
