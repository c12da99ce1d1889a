import EventLoop
import Plugins
import Synchronization

/// A thread of its own with an `EventLoop`, for control-plane network work that must never run
/// on a worker: `forward`'s health checks and `loop`'s self-probe (`ControlPlaneNetwork`).
///
/// One per process, started on first use and kept across reloads; it lives as long as the
/// process. Everything it runs is non-blocking (sockets on its epoll, timers), so one thread
/// serves any number of checks.
final class ControlPlaneLoop: ControlPlaneNetwork {
    private let started = Mutex<EventLoop?>(nil)
    private let failed = Atomic<Bool>(false)

    init() {}

    /// The loop, started on the first call; nil when no loop or thread could be made (then the
    /// checks do not run and upstreams are never marked down).
    private var loop: EventLoop? {
        if failed.load(ordering: .relaxed) { return nil }
        return started.withLock { started in
            if let started { return started }
            do {
                let loop = try EventLoop()
                let box = LoopBox(loop: loop)
                try ServiceThread.start(name: "clusterdns-ctl") {
                    do {
                        try box.loop.run()
                    } catch {
                        // epoll_wait fails only on a bug (EINVAL); the checks stop, workers keep serving.
                    }
                }
                started = loop
                return loop
            } catch {
                failed.store(true, ordering: .relaxed)
                return nil
            }
        }
    }

    func exchange(_ query: [UInt8], with address: SocketAddress, overTCP: Bool, timeout: Duration,
                  completion: @escaping @Sendable ([UInt8]?) -> Void) {
        guard let loop else {
            completion(nil)
            return
        }
        loop.execute {
            OneShotExchange(loop: loop, query: query, address: address, overTCP: overTCP, completion: completion)
                .start(timeout: timeout)
        }
    }

    func schedule(after delay: Duration, _ work: @escaping @Sendable () -> Void) {
        guard let loop else { return }
        loop.execute { loop.schedule(after: delay, work) }
    }
}

/// Hands the loop to its thread. @unchecked: the loop is used only on that thread after this.
private struct LoopBox: @unchecked Sendable {
    let loop: EventLoop
}
