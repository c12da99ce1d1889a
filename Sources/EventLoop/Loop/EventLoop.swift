import ClusterDNSCSystem
import Synchronization

/// One epoll reactor, run by one thread: it waits for readiness, calls the handler of each ready descriptor,
/// fires due timers, runs messages from other threads, then tells its iteration observers.
///
/// Threading contract: `execute(_:)`, `stop()` and `inEventLoop` may be called from any thread. Everything else
/// (`register`, `modify`, `unregister`, `schedule`, `cancel`, `now`) belongs to the loop's thread once `run()`
/// has started, and to the thread that set the loop up before that (`run()` on another thread happens-after
/// `pthread_create`, so that setup is visible to it).
///
/// Dispatch: each registration's epoll data holds the descriptor and a generation number, so an event that was
/// already collected for a descriptor that a handler closed (and whose number was reused) in the same iteration
/// is recognised as stale and skipped rather than handed to the new owner.
package final class EventLoop: @unchecked Sendable {
    // @unchecked Sendable: the only members used across threads are `jobs` (a Mutex), `stopRequested` and
    // `loopThread` (atomics) and the eventfd, written with write(2); all other state is confined as stated above.

    private struct Registration {
        var handler: any IOHandler
        var generation: UInt32
        var events: IOEvents
    }

    private let epollFD: Int32
    private let wakeFD: Int32
    private let events: UnsafeMutablePointer<epoll_event>
    private let maxEvents: Int32
    private var registrations: [Registration?] = []
    private var nextGeneration: UInt32 = 0
    private var timers = TimerQueue()
    private var observers: [any EventLoopIterationObserver] = []
    private let jobs = Mutex<[@Sendable () -> Void]>([])
    private var runningJobs: [@Sendable () -> Void] = []
    private let stopRequested = Atomic<Bool>(false)
    private let loopThread = Atomic<UInt>(0)
    private var wakeHandler: WakeHandler?

    /// The monotonic time read after the last `epoll_wait` returned: one clock read per iteration, shared by
    /// every handler and timer of that iteration.
    package private(set) var now: MonotonicInstant

    /// Number of descriptors registered by users (the loop's own eventfd is not counted).
    package private(set) var registeredCount = 0

    /// Creates the epoll instance and the wake-up eventfd.
    /// - Parameter maxEventsPerWait: how many ready descriptors one `epoll_wait` returns at most.
    package init(maxEventsPerWait: Int = 256) throws(SystemError) {
        precondition(maxEventsPerWait > 0)
        epollFD = try Syscall.epoll_create1(flags: Int32(EPOLL_CLOEXEC))
        do {
            wakeFD = try Syscall.eventfd(initval: 0, flags: Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        } catch {
            Syscall.close(fd: epollFD)
            throw error
        }
        maxEvents = Int32(maxEventsPerWait)
        events = .allocate(capacity: maxEventsPerWait)
        now = .now()
        let wake = WakeHandler()
        wakeHandler = wake
        do {
            try register(fd: wakeFD, events: .readable, handler: wake)
        } catch {
            Syscall.close(fd: wakeFD)
            Syscall.close(fd: epollFD)
            events.deallocate()
            throw error
        }
        registeredCount = 0
        wake.loop = self
    }

    deinit {
        Syscall.close(fd: wakeFD)
        Syscall.close(fd: epollFD)
        events.deallocate()
    }

    /// True when called on the thread running this loop.
    package var inEventLoop: Bool { loopThread.load(ordering: .relaxed) == UInt(pthread_self()) }

    // MARK: registration

    /// Starts watching `fd` for `events` (level-triggered), calling `handler` when it is ready.
    ///
    /// The loop keeps a strong reference to `handler` until `unregister(fd:)`.
    /// - warning: a descriptor must be unregistered before it is closed, or its number may be reused while
    ///   this registration still claims it.
    /// - Throws: `SystemError` from `epoll_ctl` (`ENOMEM`, `ENOSPC` when `max_user_watches` is reached).
    package func register(fd: Int32, events: IOEvents, handler: some IOHandler) throws(SystemError) {
        precondition(fd >= 0, "register(fd:) needs an open descriptor")
        let index = Int(fd)
        if index >= registrations.count {
            registrations.append(contentsOf: repeatElement(nil, count: index + 1 - registrations.count))
        }
        precondition(registrations[index] == nil, "descriptor \(fd) is already registered")
        nextGeneration &+= 1
        let generation = nextGeneration
        try Syscall.epoll_ctl(epfd: epollFD, op: EPOLL_CTL_ADD, fd: fd, events: events.rawValue, data: Self.data(fd, generation))
        registrations[index] = Registration(handler: handler, generation: generation, events: events)
        registeredCount += 1
    }

    /// Changes the events watched on a registered descriptor; nothing happens when they are unchanged.
    /// - Throws: `SystemError` from `epoll_ctl` (`ENOMEM`).
    package func modify(fd: Int32, events: IOEvents) throws(SystemError) {
        let index = Int(fd)
        guard index < registrations.count, let registration = registrations[index] else {
            preconditionFailure("modify(fd: \(fd)) on a descriptor that is not registered")
        }
        if registration.events == events { return }
        try Syscall.epoll_ctl(
            epfd: epollFD, op: EPOLL_CTL_MOD, fd: fd, events: events.rawValue,
            data: Self.data(fd, registration.generation))
        registrations[index]?.events = events
    }

    /// Stops watching `fd` and releases its handler. Call it before closing the descriptor.
    ///
    /// Never fails: `epoll_ctl(DEL)` can only report that the descriptor is not in the set (`ENOENT`), which is
    /// the state this call wants; pending events already collected for it are skipped by the generation check.
    package func unregister(fd: Int32) {
        let index = Int(fd)
        guard index < registrations.count, registrations[index] != nil else { return }
        do {
            try Syscall.epoll_ctl(epfd: epollFD, op: EPOLL_CTL_DEL, fd: fd, events: 0, data: 0)
        } catch {
            // ENOENT/EPERM: not in the set, which is the goal of this call.
        }
        registrations[index] = nil
        registeredCount -= 1
    }

    /// Forgets a registered descriptor that the caller closes next, without `epoll_ctl(EPOLL_CTL_DEL)`:
    /// closing the last descriptor of an open file removes it from every epoll set, so the call would only
    /// cost a system call. Only for descriptors this process alone holds (accepted with `SOCK_CLOEXEC`,
    /// never duplicated); an event already fetched for it is discarded by its generation.
    package func forgetBeforeClose(fd: Int32) {
        let index = Int(fd)
        guard index < registrations.count, registrations[index] != nil else { return }
        registrations[index] = nil
        registeredCount -= 1
    }

    private static func data(_ fd: Int32, _ generation: UInt32) -> UInt64 {
        UInt64(UInt32(bitPattern: fd)) | UInt64(generation) << 32
    }

    // MARK: timers

    /// Calls `body` on the loop's thread once `delay` has passed (measured from `now`). Allocates the closure
    /// context; on a per-query path use `schedule(after:handler:context:)`.
    @discardableResult
    package func schedule(after delay: Duration, _ body: @escaping () -> Void) -> TimerID {
        timers.schedule(deadline: (now + delay).nanoseconds, action: .closure(body))
    }

    /// Calls `handler.timerFired(_:context:)` on the loop's thread once `delay` has passed (measured from `now`).
    /// - Complexity: O(log n) in pending timers. Allocation-free once the timer queue has grown.
    @discardableResult
    package func schedule(after delay: Duration, handler: some TimerHandler, context: UInt64 = 0) -> TimerID {
        timers.schedule(deadline: (now + delay).nanoseconds, action: .handler(handler, context: context))
    }

    /// Like `schedule(after:_:)` with an absolute deadline.
    @discardableResult
    package func schedule(at deadline: MonotonicInstant, _ body: @escaping () -> Void) -> TimerID {
        timers.schedule(deadline: deadline.nanoseconds, action: .closure(body))
    }

    /// Cancels a pending timer; false when it has already fired or been cancelled. - Complexity: O(log n).
    @discardableResult
    package func cancel(_ id: TimerID) -> Bool { timers.cancel(id) }

    /// Number of pending timers.
    package var pendingTimerCount: Int { timers.count }

    // MARK: observers

    /// Adds an object told at the end of every iteration (kept strongly until the loop is released).
    package func addIterationObserver(_ observer: some EventLoopIterationObserver) {
        observers.append(observer)
    }

    // MARK: cross-thread messages

    /// Runs `job` on the loop's thread during its next iteration. Thread-safe; jobs run in the order given.
    ///
    /// The eventfd is written only when the queue goes from empty to non-empty, so a burst of messages costs
    /// one wake-up. The loop reads the eventfd before taking the queue, so a job added while it runs the
    /// previous ones always leaves the eventfd readable.
    package func execute(_ job: @escaping @Sendable () -> Void) {
        let wasEmpty = jobs.withLock { queue in
            let wasEmpty = queue.isEmpty
            queue.append(job)
            return wasEmpty
        }
        if wasEmpty { wake() }
    }

    /// Makes `run()` return after the current iteration. Thread-safe; pending jobs that were queued before are
    /// still run if the loop is woken by them in the same iteration.
    package func stop() {
        stopRequested.store(true, ordering: .releasing)
        wake()
    }

    /// True once `stop()` has been called.
    package var isStopping: Bool { stopRequested.load(ordering: .acquiring) }

    private func wake() {
        var one: UInt64 = 1
        do {
            _ = try withUnsafeBytes(of: &one) { bytes throws(SystemError) in try Syscall.write(fd: wakeFD, buffer: bytes) }
        } catch {
            // An eventfd write fails only with EAGAIN (counter at its maximum: the loop is already woken) or
            // EINVAL (a write of other than 8 bytes, impossible here).
            preconditionFailure("eventfd write failed: \(error)")
        }
    }

    fileprivate func runJobs() {
        var counter: UInt64 = 0
        do {
            _ = try withUnsafeMutableBytes(of: &counter) { bytes throws(SystemError) in try Syscall.read(fd: wakeFD, buffer: bytes) }
        } catch {
            preconditionFailure("eventfd read failed: \(error)")  // only EAGAIN (a value) or EINVAL (bad size).
        }
        var taken: [@Sendable () -> Void] = []
        swap(&taken, &runningJobs)
        jobs.withLock { queue in swap(&queue, &taken) }
        for job in taken { job() }
        taken.removeAll(keepingCapacity: true)
        runningJobs = taken
    }

    // MARK: running

    /// Runs iterations on the calling thread until `stop()`.
    /// - Throws: `SystemError` when `epoll_wait` fails for a reason other than EINTR (none is expected).
    package func run() throws(SystemError) {
        loopThread.store(UInt(pthread_self()), ordering: .relaxed)
        defer { loopThread.store(0, ordering: .relaxed) }
        while !stopRequested.load(ordering: .acquiring) {
            try runOnce(maximumWait: nil)
        }
    }

    /// One iteration: wait (at most until the nearest timer, or `maximumWait`), dispatch, fire timers, observe.
    /// Tests drive a loop with it directly on their own thread.
    package func runOnce(maximumWait: Duration?) throws(SystemError) {
        var timeout: Int32 = -1
        if let deadline = timers.nextDeadline {
            let current = MonotonicInstant.now().nanoseconds
            // Round up to whole milliseconds so the loop never wakes just before a deadline and spins.
            timeout = deadline <= current ? 0 : Int32(clamping: (deadline - current + 999_999) / 1_000_000)
        }
        if let maximumWait {
            let limit = Int32(clamping: (maximumWait.clampedNanoseconds + 999_999) / 1_000_000)
            timeout = timeout < 0 ? limit : min(timeout, limit)
        }
        let ready = try Syscall.epoll_wait(epfd: epollFD, events: events, maxevents: maxEvents, timeout: timeout)
        now = .now()
        for index in 0..<ready {
            let event = events + index
            let data = CSystem_epoll_event_data(event)
            let fd = Int(UInt32(truncatingIfNeeded: data))
            guard fd < registrations.count, let registration = registrations[fd],
                registration.generation == UInt32(truncatingIfNeeded: data >> 32)
            else { continue }
            registration.handler.ioReady(IOEvents(rawValue: CSystem_epoll_event_events(event)))
        }
        fireTimers()
        for observer in observers { observer.eventLoopIterationDidEnd() }
    }

    private func fireTimers() {
        // Bounded by the count at the start, so a timer that reschedules itself with no delay runs once per
        // iteration instead of starving I/O.
        var budget = timers.count
        while budget > 0, let (id, action) = timers.popExpired(now: now.nanoseconds) {
            budget -= 1
            switch action {
            case .closure(let body): body()
            case .handler(let handler, let context): handler.timerFired(id, context: context)
            }
        }
    }
}

/// The loop's own eventfd handler: runs queued jobs. Holds the loop unowned (the loop owns it).
private final class WakeHandler: IOHandler {
    unowned(unsafe) var loop: EventLoop?
    func ioReady(_ events: IOEvents) { loop?.runJobs() }
}
