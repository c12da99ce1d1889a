import ClusterDNSCSystem

/// Starts the process's background threads (control-plane loop, log writer, health probe) the
/// one way they must all start: detached, with the process signals blocked (so SIGTERM and SIGHUP
/// reach only the signalfd) and named for `top -H` and `/proc/<pid>/task/*/comm`.
///
/// Why one helper: each of these threads used to repeat `pthread_create`, the signal mask and the
/// name, and one of them forgetting the mask would let a signal's default action kill the process.
public enum ServiceThread {
    /// Runs `body` on a new detached thread named `name` (at most 15 octets are kept, as Linux does).
    /// - Throws: `SystemError` with `pthread_create`'s error (`EAGAIN`: the thread limit) when no
    ///   thread could be made; `body` is then never run.
    public static func start(name: String, _ body: @escaping @Sendable () -> Void) throws(SystemError) {
        let box = Unmanaged.passRetained(ThreadBody(name: name, body: body)).toOpaque()
        var handle = pthread_t()
        let result = pthread_create(&handle, nil, { argument in
            guard let argument else { return nil }
            let thread = Unmanaged<ThreadBody>.fromOpaque(argument).takeRetainedValue()
            Signals.blockProcessSignalsInCurrentThread()
            // Naming fails only for a name over 15 octets (cut above) or a bad thread: cosmetic either way.
            _ = thread.name.withCString { CSystem_name_current_thread($0) }
            thread.body()
            return nil
        }, box)
        guard result == 0 else {
            Unmanaged<ThreadBody>.fromOpaque(box).release()
            throw SystemError(errno: result, call: "pthread_create")
        }
        pthread_detach(handle)
    }

    private final class ThreadBody {
        let name: String
        let body: @Sendable () -> Void
        init(name: String, body: @escaping @Sendable () -> Void) {
            self.name = String(decoding: name.utf8.prefix(15), as: UTF8.self)
            self.body = body
        }
    }
}
