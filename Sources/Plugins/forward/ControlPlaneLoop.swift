import EventLoop

#if canImport(Glibc)
import Glibc
#endif

/// A thread of its own with an `EventLoop`, for control-plane network work that must never run
/// on a worker: `forward`'s health checks and `loop`'s self-probe.
///
/// One per process, shared by every server block and kept across reloads through
/// `ServerContext.shared`; it lives as long as the process. Everything it runs is non-blocking
/// (sockets on its epoll, timers), so one thread serves any number of checks.
public final class ControlPlaneLoop: Sendable {
    /// Post work with `loop.execute { }` from any thread; everything else on it belongs to its thread.
    public let loop: EventLoop

    static let sharedKey = "clusterdns.control-plane-loop"

    /// The process's control-plane loop, started on first use; nil when no thread could be made
    /// (then health checks do not run and upstreams are never marked down).
    public static func shared(in context: ServerContext) -> ControlPlaneLoop? {
        // Not `shared { try? … }`: an optional resource would read back as "present" before it is made.
        do {
            return try context.shared(sharedKey) { try ControlPlaneLoop() }
        } catch {
            return nil
        }
    }

    init() throws(SystemError) {
        loop = try EventLoop()
        let context = Unmanaged.passRetained(loop).toOpaque()
        var handle = pthread_t()
        let result = pthread_create(&handle, nil, { argument in
            guard let argument else { return nil }
            let loop = Unmanaged<EventLoop>.fromOpaque(argument).takeRetainedValue()
            Signals.blockProcessSignalsInCurrentThread()
            do {
                try loop.run()
            } catch {
                // epoll_wait fails only on a bug (EINVAL); the checks stop, workers keep serving.
            }
            return nil
        }, context)
        if result != 0 {
            Unmanaged<EventLoop>.fromOpaque(context).release()
            throw SystemError(errno: result, call: "pthread_create")
        }
        pthread_detach(handle)
    }
}
