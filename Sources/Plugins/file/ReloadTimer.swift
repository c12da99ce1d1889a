import Dispatch
import Synchronization

/// Runs a check every interval on its own serial queue, off the worker threads: how `file` and
/// `hosts` notice changed files (CoreDNS polls too: 1 minute for zones, 5 seconds for hosts).
///
/// Checks never overlap (one serial queue); `stop` cancels the timer and a check in progress
/// finishes on its own.
public final class ReloadTimer: Sendable {
    // The timer object is only touched under the mutex, so its lack of Sendable is contained.
    private let timer = Mutex<TimerBox?>(nil)

    public init() {}

    /// Starts calling `check` every `interval` (the first call one interval from now). A zero
    /// or negative interval starts nothing (reload disabled).
    public func start(every interval: Duration, label: String, _ check: @escaping @Sendable () -> Void) {
        let nanoseconds = interval.components.seconds * 1_000_000_000 + interval.components.attoseconds / 1_000_000_000
        guard nanoseconds > 0 else { return }
        let source = DispatchSource.makeTimerSource(queue: DispatchQueue(label: label))
        let step = DispatchTimeInterval.nanoseconds(Int(clamping: nanoseconds))
        source.schedule(deadline: .now() + step, repeating: step, leeway: .milliseconds(10))
        source.setEventHandler(handler: check)
        source.resume()
        timer.withLock { current in
            current?.source.cancel()
            current = TimerBox(source: source)
        }
    }

    /// Stops the checks; safe to call more than once.
    public func stop() {
        timer.withLock { current in
            current?.source.cancel()
            current = nil
        }
    }
}

/// Holds the dispatch source; only accessed under `ReloadTimer`'s mutex.
final class TimerBox: @unchecked Sendable {
    // @unchecked: `source` is created before the box is shared and only used under the owning
    // ReloadTimer's mutex (cancel is also thread-safe by Dispatch's own contract).
    let source: any DispatchSourceTimer
    init(source: any DispatchSourceTimer) { self.source = source }
}
