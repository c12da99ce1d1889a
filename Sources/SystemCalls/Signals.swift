import ClusterDNSCSystem

/// Process signals: blocked in every thread and read from a signalfd in one place, so no handler runs at an
/// arbitrary point on a worker (the policy — stop on SIGTERM/SIGINT, reload on SIGHUP — belongs to the Server).
///
/// Order matters: call `blockProcessSignalsInCurrentThread()` and `ignoreSIGPIPE()` on the main thread before
/// any other thread is created, so every thread inherits the mask; workers block them again themselves.
public enum Signals {
    /// The signals ClusterDNS takes through a signalfd.
    public static let handled: [Int32] = [SIGTERM, SIGINT, SIGHUP]

    /// Blocks SIGTERM, SIGINT, SIGHUP and SIGPIPE in the calling thread (new threads inherit the mask).
    public static func blockProcessSignalsInCurrentThread() {
        var set = sigset_t()
        sigemptyset(&set)
        for signal in handled { sigaddset(&set, signal) }
        sigaddset(&set, SIGPIPE)
        do {
            _ = try Syscall.pthread_sigmask(how: SIG_BLOCK, set: set)
        } catch {
            // pthread_sigmask fails only with EINVAL for a bad `how`, which SIG_BLOCK is not.
            preconditionFailure("pthread_sigmask: \(error)")
        }
    }

    /// Ignores SIGPIPE process-wide: a write to a closed connection then fails with EPIPE instead of killing
    /// the process (TCP writes also pass MSG_NOSIGNAL).
    public static func ignoreSIGPIPE() {
        _ = CSystem_ignore_signal(SIGPIPE)  // fails only for SIGKILL/SIGSTOP.
    }
}
