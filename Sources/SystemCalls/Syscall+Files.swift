import ClusterDNSCSystem

#if canImport(Glibc)
import Glibc
#endif

// Files and readiness, with the errno policy of Syscall.swift: EINTR retried, EBADF/EFAULT trap,
// the rest thrown as `SystemError` naming the call. Glibc (not the C shim) because `open` is
// variadic in C and only Glibc's overlay imports it, and because `stat` is the name of both the
// struct and the function there.

extension Syscall {
    /// Opens `path`; pass `O_CLOEXEC` in `flags` (no descriptor may leak into a child process).
    /// - Throws: `SystemError` of `open` (`ENOENT`, `EACCES`, `ENOTDIR`, `ELOOP`, `EMFILE`…).
    /// The corresponding C function is `open(2)`.
    @inline(never)
    public static func open(path: String, flags: Int32) throws(SystemError) -> Int32 {
        try systemCall("open") { Glibc.open(path, flags) }
    }

    /// The status of an open descriptor.
    /// The corresponding C function is `fstat(2)`.
    @inline(never)
    public static func fstat(fd: Int32) throws(SystemError) -> Glibc.stat {
        var status = Glibc.stat()
        _ = try systemCall("fstat") { Glibc.fstat(fd, &status) }
        return status
    }

    /// The status of the file `path` names, symbolic links followed.
    /// - Throws: `SystemError` of `stat` (`ENOENT` when nothing is there).
    /// The corresponding C function is `stat(2)`.
    @inline(never)
    public static func stat(path: String) throws(SystemError) -> Glibc.stat {
        var status = Glibc.stat()
        _ = try systemCall("stat") { callStat(path, &status) }
        return status
    }

    /// Waits until `fd` is ready for `events` (`POLLIN`, `POLLOUT`) or `timeout` milliseconds
    /// pass (`-1`: no limit).
    ///
    /// EINTR is retried with the same timeout: a caller with a deadline passes what is left of it.
    /// - Returns: the returned events (`revents`; `POLLERR`/`POLLHUP` may be among them), `0` on timeout.
    /// The corresponding C function is `poll(2)`.
    @inline(never)
    public static func poll(fd: Int32, events: Int16, timeout: Int32) throws(SystemError) -> Int16 {
        var descriptor = pollfd(fd: fd, events: events, revents: 0)
        let ready = try systemCall("poll") { Glibc.poll(&descriptor, 1, timeout) }
        return ready == 0 ? 0 : descriptor.revents
    }

    /// The absolute path with every symbolic link, `.` and `..` resolved.
    /// - Throws: `SystemError` of `realpath` (`ENOENT` when a component does not exist).
    /// The corresponding C function is `realpath(3)`.
    @inline(never)
    public static func realpath(path: String) throws(SystemError) -> String {
        while true {
            if let resolved = Glibc.realpath(path, nil) {
                defer { free(resolved) }
                return String(cString: resolved)
            }
            let error = CSystem_errno()
            switch error {
            case EINTR: continue
            case EFAULT: trapOnProgrammingError("realpath", error)
            default: throw SystemError(errno: error, call: "realpath")
            }
        }
    }
}

extension Syscall {
    /// Whether `fd` is an open descriptor. EBADF is the answer here, not a bug: the one use is
    /// standard output, which the parent process may have closed.
    /// The corresponding C function is `fcntl(2)` with `F_GETFD`.
    @inline(never)
    public static func isOpen(fd: Int32) -> Bool {
        while true {
            if Glibc.fcntl(fd, F_GETFD) >= 0 { return true }
            let error = CSystem_errno()
            if error != EINTR { return false }
        }
    }

    /// Sleeps for `nanoseconds`, the whole time: EINTR resumes the sleep with what is left.
    /// The corresponding C function is `nanosleep(2)`.
    @inline(never)
    public static func nanosleep(nanoseconds: Int64) {
        var request = timespec(tv_sec: Int(nanoseconds / 1_000_000_000), tv_nsec: Int(nanoseconds % 1_000_000_000))
        var remaining = timespec()
        while Glibc.nanosleep(&request, &remaining) != 0 {
            let error = CSystem_errno()
            // EINVAL (a negative or out-of-range request) cannot come from the conversion above
            // for a non-negative count; EFAULT would be our bug.
            if error == EFAULT { trapOnProgrammingError("nanosleep", error) }
            guard error == EINTR else { return }
            request = remaining
        }
    }
}

extension Syscall {
    /// A descriptor command with an integer argument (`F_GETFL`, `F_SETFL`, `F_SETLEASE`…).
    /// - Returns: the command's result (flags for `F_GETFL`, 0 for most setters).
    /// - Throws: `SystemError` of `fcntl`; `EAGAIN` from `F_SETLEASE` means a conflicting open.
    /// The corresponding C function is `fcntl(2)`.
    @inline(never)
    public static func fcntl(fd: Int32, command: Int32, argument: Int32) throws(SystemError) -> Int32 {
        try systemCall("fcntl") { Glibc.fcntl(fd, command, argument) }
    }
}

/// `stat(2)` itself: inside `Syscall` the name means the wrapper, and `Glibc.stat(…)` means the
/// struct's initializer.
private func callStat(_ path: String, _ status: inout Glibc.stat) -> Int32 {
    stat(path, &status)
}
