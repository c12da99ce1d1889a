import Foundation
import Glibc
import Synchronization

/// Serves the manifests under a directory: loads them all when started, then watches the
/// directory with inotify and publishes a new `ClusterState` after each change (rebuilding only the shards the change touched).
///
/// - A change is published within `debounce` of the last event of a burst (at most `maxDelay`
///   after its first event); only new and changed files (by inode, size and timestamps) are
///   read again, only their changed documents decoded, only the shards they touch rebuilt.
/// - Every `rescanInterval` the directory is rescanned anyway, in case inotify missed something
///   (a file edited through a symlink whose target lives outside DIR, a queue overflow).
/// - The watcher runs on its own thread (control plane), never on a worker.
public final class ManifestDirectorySource: Sendable {
    public struct Options: Sendable {
        /// Quiet time after the last event before reloading: the events of one atomic
        /// replacement (or one ConfigMap update) land in one publication.
        public var debounce: Duration = .milliseconds(10)
        /// Longest wait after the first event of a burst, so a stream of events cannot starve
        /// the reload.
        public var maxDelay: Duration = .milliseconds(50)
        /// Periodic rescan when nothing was heard.
        public var rescanInterval: Duration = .seconds(5)
        /// Quiet time after a publication before the freed heap is returned to the system.
        public var trimDelay: Duration = .seconds(1)
        /// Longest time between trims while changes keep coming.
        public var trimInterval: Duration = .seconds(5)
        /// Pause between the waves of a change to most of the cluster (a relist): the workers'
        /// refresh interval, so one wave's replaced shards are freed before the next is built.
        public var partGap: Duration = .seconds(1)

        public init() {}
    }

    public let path: String
    /// Where snapshots are published. Workers read it through `makeReader()`.
    public let snapshots: SnapshotCell<ClusterState>
    public let options: Options

    private struct Running: @unchecked Sendable {
        // `pthread_t` is an integer handle on Linux; it is only used by the thread that holds
        // the `control` mutex to join the watcher thread.
        var thread: pthread_t
        var wakeWrite: Int32
        var wakeRead: Int32
    }

    private let control = Mutex<Running?>(nil)
    private let signals = WatcherSignals()

    /// Time from the first inotify event of a burst to the publication of the state (and of
    /// everything subscribers built from it) that includes it.
    public var updateSeconds: DurationHistogram { signals.updates.withLock { $0 } }

    public init(path: String, snapshots: SnapshotCell<ClusterState> = SnapshotCell(), options: Options = Options()) {
        self.path = path
        self.snapshots = snapshots
        self.options = options
    }

    deinit { stop() }

    /// Loads every manifest, publishes the first snapshot, then starts the watcher thread.
    ///
    /// Returns once the first snapshot is published, so the server knows it is loaded.
    /// Manifest errors do not throw (they are issues in the snapshot); only a directory that
    /// cannot be listed, or an inotify failure, does.
    /// - Returns: the first snapshot.
    @discardableResult
    public func start() throws(ManifestSourceError) -> ClusterState {
        try control.withLock { (running) throws(ManifestSourceError) -> ClusterState in
            if running != nil, let current = snapshots.load() { return current }
            _ = try ManifestDirectoryScanner.scan(root: path)  // a missing DIR is a startup error
            let watcher = try ManifestDirectoryWatcher(root: path, cell: snapshots)
            watcher.partGap = options.partGap
            watcher.reconcile(everything: true, publishAlways: true)
            watcher.trimIfPending()  // the decoders' garbage of the first load
            guard let first = snapshots.load() else { throw .system(call: "publish", errno: EINVAL) }
            var fds: [Int32] = [0, 0]
            guard pipe(&fds) == 0 else { throw .system(call: "pipe", errno: errno) }
            for fd in fds {
                _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
                _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            }
            signals.stopRequested.store(false, ordering: .relaxed)
            let context = WatcherContext(signals: signals, options: options, watcher: watcher, wakeRead: fds[0])
            let box = Unmanaged.passRetained(context).toOpaque()
            var thread = pthread_t()
            let rc = pthread_create(&thread, nil, { raw in
                guard let raw else { return nil }
                let context = Unmanaged<WatcherContext>.fromOpaque(raw).takeRetainedValue()
                context.run()
                return nil
            }, box)
            guard rc == 0 else {
                Unmanaged<WatcherContext>.fromOpaque(box).release()
                close(fds[0])
                close(fds[1])
                throw .system(call: "pthread_create", errno: rc)
            }
            running = Running(thread: thread, wakeWrite: fds[1], wakeRead: fds[0])
            return first
        }
    }

    /// Stops the watcher thread and waits for it. The last snapshot stays published.
    public func stop() {
        control.withLock { running in
            guard let r = running else { return }
            signals.stopRequested.store(true, ordering: .relaxed)
            wake(r.wakeWrite)
            pthread_join(r.thread, nil)
            close(r.wakeWrite)
            close(r.wakeRead)
            running = nil
        }
    }

    /// Asks the watcher to rescan and re-read every file now (for SIGHUP or `reload`).
    public func requestRescan() {
        signals.rescanRequested.store(true, ordering: .relaxed)
        control.withLock { running in
            if let r = running { wake(r.wakeWrite) }
        }
    }

    private func wake(_ fd: Int32) {
        var byte: UInt8 = 1
        _ = write(fd, &byte, 1)  // a full pipe already means "wake up"; nothing to handle
    }
}

/// Requests from the source to its watcher thread. Shared by both (not the source itself, so
/// the thread never touches a source that is being deinitialised while it joins the thread).
private final class WatcherSignals: Sendable {
    let stopRequested = Atomic<Bool>(false)
    let rescanRequested = Atomic<Bool>(false)
    let updates = Mutex(DurationHistogram())
}

/// What the watcher thread owns. Handed over whole by `pthread_create`.
private final class WatcherContext {
    let signals: WatcherSignals
    let options: ManifestDirectorySource.Options
    let watcher: ManifestDirectoryWatcher
    let wakeRead: Int32

    init(signals: WatcherSignals, options: ManifestDirectorySource.Options, watcher: ManifestDirectoryWatcher, wakeRead: Int32) {
        self.signals = signals
        self.options = options
        self.watcher = watcher
        self.wakeRead = wakeRead
    }

    func run() {
        let clock = ContinuousClock()
        var nextRescan = clock.now.advanced(by: options.rescanInterval)
        var burstStart: ContinuousClock.Instant?
        var reloadAt: ContinuousClock.Instant?
        // The heap is trimmed once changes pause for a second, or every `trimInterval` under a
        // continuous stream of changes: a burst is not slowed by it, and the memory each change
        // freed goes back to the system soon after.
        var trimAt: ContinuousClock.Instant?
        var lastTrim = clock.now
        var overflowed = false
        var fds = [
            pollfd(fd: watcher.inotify.fd, events: Int16(POLLIN), revents: 0),
            pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0),
        ]
        while !signals.stopRequested.load(ordering: .relaxed) {
            let now = clock.now
            let deadline = min(nextRescan, reloadAt ?? nextRescan, trimAt ?? nextRescan)
            let timeout = max(0, Self.milliseconds(now.duration(to: deadline)))
            let ready = poll(&fds, 2, Int32(clamping: timeout))
            if ready < 0 && errno != EINTR { usleep(10_000) }  // poll(2) fails only on EFAULT/EINVAL/ENOMEM
            if signals.stopRequested.load(ordering: .relaxed) { break }
            if fds[1].revents != 0 {
                var sink = [UInt8](repeating: 0, count: 64)
                while read(wakeRead, &sink, sink.count) > 0 {}
            }
            if fds[0].revents != 0 {
                let batch = watcher.inotify.drain()
                overflowed = overflowed || batch.overflow
                if batch.rescan {
                    let t = clock.now
                    if burstStart == nil { burstStart = t }
                    reloadAt = min(t.advanced(by: options.debounce), (burstStart ?? t).advanced(by: options.maxDelay))
                }
            }
            let t = clock.now
            let forced = signals.rescanRequested.exchange(false, ordering: .relaxed)
            if forced || (reloadAt.map { t >= $0 } ?? false) || t >= nextRescan {
                let published = watcher.reconcile(everything: forced || overflowed)
                if published, let burstStart {
                    let seconds = Self.seconds(burstStart.duration(to: clock.now))
                    signals.updates.withLock { $0.observe(seconds) }
                }
                overflowed = false
                burstStart = nil
                reloadAt = nil
                if published {
                    trimAt = min(clock.now.advanced(by: options.trimDelay), lastTrim.advanced(by: options.trimInterval))
                }
                nextRescan = clock.now.advanced(by: options.rescanInterval)
            }
            if reloadAt == nil, let due = trimAt, clock.now >= due {
                watcher.trimIfPending()
                trimAt = nil
                lastTrim = clock.now
            }
        }
    }

    private static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    private static func milliseconds(_ d: Duration) -> Int64 {
        let (seconds, attoseconds) = d.components
        return seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
    }
}
