import ClusterDNSCSystem

// Every system call of ClusterDNS goes through this file, with one policy (STYLE.md §C):
// - EINTR is retried here, so no caller ever sees it;
// - EAGAIN/EWOULDBLOCK comes back as `IOResult.wouldBlock` from the calls that can block, and is an error for
//   the others (it cannot happen there);
// - EBADF and EFAULT trap: they mean we passed a closed descriptor or a bad pointer, a bug in ClusterDNS that
//   no input can cause, and carrying on could write into someone else's file;
// - everything else is thrown as `SystemError(errno:call:)`, allocation-free, for the call site to apply its
//   own policy (count, close the connection, report at startup).
// The wrappers are `@inline(never)` so errno is read right after the call, before any ARC traffic in the
// caller could run code that changes it.

/// Runs `body` until it returns a non-negative value, retrying EINTR; `EAGAIN` becomes `.wouldBlock`.
@inline(__always)
func nonBlockingSystemCall<T: FixedWidthInteger>(
    _ call: StaticString, _ body: () -> T
) throws(SystemError) -> IOResult<T> {
    while true {
        let result = body()
        if result >= 0 { return .processed(result) }
        let error = CSystem_errno()
        switch error {
        case EINTR:
            continue
        case EAGAIN:  // EWOULDBLOCK has the same value on Linux.
            return .wouldBlock
        case EBADF, EFAULT:
            trapOnProgrammingError(call, error)
        default:
            throw SystemError(errno: error, call: call)
        }
    }
}

/// Runs `body` until it returns a non-negative value, retrying EINTR; every other failure throws.
@inline(__always)
func systemCall<T: FixedWidthInteger>(_ call: StaticString, _ body: () -> T) throws(SystemError) -> T {
    while true {
        let result = body()
        if result >= 0 { return result }
        let error = CSystem_errno()
        switch error {
        case EINTR:
            continue
        case EBADF, EFAULT:
            trapOnProgrammingError(call, error)
        default:
            throw SystemError(errno: error, call: call)
        }
    }
}

@inline(never)
func trapOnProgrammingError(_ call: StaticString, _ error: Int32) -> Never {
    preconditionFailure("\(call) failed with \(Errno.name(of: error)): a closed descriptor or a bad pointer, a bug in ClusterDNS")
}

/// Thin wrappers over the system calls ClusterDNS uses, named after the C calls with C's argument names as labels.
///
/// See the comment at the top of this file for the errno policy every wrapper applies.
public enum Syscall {
    // MARK: descriptors

    /// Closes a descriptor.
    ///
    /// Never retried: on Linux the descriptor is released even when `close` reports EINTR, and retrying could
    /// close a descriptor another thread has just been given. EIO/EINTR are ignored for the same reason — the
    /// descriptor is gone either way and sockets do not report delayed write errors through `close`.
    /// The corresponding C function is `close(2)`.
    @inline(never)
    public static func close(fd: Int32) {
        if ClusterDNSCSystem.close(fd) != 0 {
            let error = CSystem_errno()
            if error == EBADF { trapOnProgrammingError("close", error) }
        }
    }

    /// Reads into `buffer`. `.processed(0)` is end of file.
    /// The corresponding C function is `read(2)`.
    @inline(never)
    public static func read(fd: Int32, buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> IOResult<Int> {
        try nonBlockingSystemCall("read") { ClusterDNSCSystem.read(fd, buffer.baseAddress, buffer.count) }
    }

    /// Writes from `buffer`; the count may be short on a non-blocking descriptor.
    /// The corresponding C function is `write(2)`.
    @inline(never)
    public static func write(fd: Int32, buffer: UnsafeRawBufferPointer) throws(SystemError) -> IOResult<Int> {
        try nonBlockingSystemCall("write") { ClusterDNSCSystem.write(fd, buffer.baseAddress, buffer.count) }
    }

    // MARK: sockets

    /// Creates a socket; pass `SOCK_NONBLOCK | SOCK_CLOEXEC` in `type`.
    /// The corresponding C function is `socket(2)`.
    @inline(never)
    public static func socket(domain: Int32, type: Int32, protocol: Int32) throws(SystemError) -> Int32 {
        try systemCall("socket") { ClusterDNSCSystem.socket(domain, type, `protocol`) }
    }

    /// Binds a socket to an address.
    /// The corresponding C function is `bind(2)`.
    @inline(never)
    public static func bind(fd: Int32, address: SocketAddress) throws(SystemError) {
        _ = try address.withSockAddr { (pointer, length) throws(SystemError) -> Int32 in
            try systemCall("bind") { CSystem_bind(fd, pointer, length) }
        }
    }

    /// Connects a socket. On a non-blocking stream socket `EINPROGRESS` is returned as `.wouldBlock`
    /// (wait for `EPOLLOUT`, then read `SO_ERROR`); on a datagram socket it completes at once.
    /// The corresponding C function is `connect(2)`.
    @inline(never)
    public static func connect(fd: Int32, address: SocketAddress) throws(SystemError) -> IOResult<Void> {
        let result = try address.withSockAddr { (pointer, length) throws(SystemError) -> IOResult<Int32> in
            while true {
                if CSystem_connect(fd, pointer, length) == 0 { return .processed(0) }
                let error = CSystem_errno()
                switch error {
                case EINTR:
                    // Linux keeps connecting in the background after EINTR; waiting for EPOLLOUT is right.
                    return .wouldBlock
                case EINPROGRESS, EAGAIN:
                    return .wouldBlock
                case EBADF, EFAULT:
                    trapOnProgrammingError("connect", error)
                default:
                    throw SystemError(errno: error, call: "connect")
                }
            }
        }
        switch result {
        case .processed: return .processed(())
        case .wouldBlock: return .wouldBlock
        }
    }

    /// Marks a stream socket as accepting connections.
    /// The corresponding C function is `listen(2)`.
    @inline(never)
    public static func listen(fd: Int32, backlog: Int32) throws(SystemError) {
        _ = try systemCall("listen") { ClusterDNSCSystem.listen(fd, backlog) }
    }

    /// Accepts one connection, returning its descriptor and the peer's address.
    /// The corresponding C function is `accept4(2)`.
    @inline(never)
    public static func accept4(fd: Int32, flags: Int32) throws(SystemError) -> IOResult<(fd: Int32, peer: SocketAddress?)> {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = try withUnsafeMutablePointer(to: &storage) { pointer throws(SystemError) -> IOResult<Int32> in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address throws(SystemError) -> IOResult<Int32> in
                try nonBlockingSystemCall("accept4") { CSystem_accept4(fd, address, &length, flags) }
            }
        }
        switch result {
        case .wouldBlock:
            return .wouldBlock
        case .processed(let connection):
            let peer = withUnsafePointer(to: &storage) { SocketAddress(sockaddr: UnsafeRawPointer($0), length: length) }
            return .processed((connection, peer))
        }
    }

    /// Sets a socket option from a value of the option's C type (`Int32` for flags).
    /// The corresponding C function is `setsockopt(2)`.
    @inline(never)
    public static func setsockopt<Value>(fd: Int32, level: Int32, name: Int32, value: Value) throws(SystemError) {
        var value = value
        _ = try withUnsafePointer(to: &value) { pointer throws(SystemError) -> Int32 in
            try systemCall("setsockopt") {
                ClusterDNSCSystem.setsockopt(fd, level, name, pointer, socklen_t(MemoryLayout<Value>.size))
            }
        }
    }

    /// Reads a socket option of type `Value` (`Int32` for flags and `SO_ERROR`).
    /// The corresponding C function is `getsockopt(2)`.
    @inline(never)
    public static func getsockopt<Value>(fd: Int32, level: Int32, name: Int32, as type: Value.Type, initial: Value) throws(SystemError) -> Value {
        var value = initial
        var length = socklen_t(MemoryLayout<Value>.size)
        _ = try withUnsafeMutablePointer(to: &value) { pointer throws(SystemError) -> Int32 in
            try systemCall("getsockopt") { ClusterDNSCSystem.getsockopt(fd, level, name, pointer, &length) }
        }
        return value
    }

    /// The local address a socket is bound to (the real port after binding port 0).
    /// The corresponding C function is `getsockname(2)`.
    @inline(never)
    public static func getsockname(fd: Int32) throws(SystemError) -> SocketAddress {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = try withUnsafeMutablePointer(to: &storage) { pointer throws(SystemError) -> Int32 in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address throws(SystemError) -> Int32 in
                try systemCall("getsockname") { CSystem_getsockname(fd, address, &length) }
            }
        }
        guard let address = withUnsafePointer(to: &storage, { SocketAddress(sockaddr: UnsafeRawPointer($0), length: length) }) else {
            throw SystemError(errno: EAFNOSUPPORT, call: "getsockname")
        }
        return address
    }

    /// Sends from `buffer` on a connected socket; pass `MSG_NOSIGNAL` so a closed peer is `EPIPE`, not a signal.
    /// The corresponding C function is `send(2)`.
    @inline(never)
    public static func send(fd: Int32, buffer: UnsafeRawBufferPointer, flags: Int32) throws(SystemError) -> IOResult<Int> {
        try nonBlockingSystemCall("send") { ClusterDNSCSystem.send(fd, buffer.baseAddress, buffer.count, flags) }
    }

    /// Receives into `buffer` from a connected socket. `.processed(0)` is end of stream on TCP.
    /// The corresponding C function is `recv(2)`.
    @inline(never)
    public static func recv(fd: Int32, buffer: UnsafeMutableRawBufferPointer, flags: Int32) throws(SystemError) -> IOResult<Int> {
        try nonBlockingSystemCall("recv") { ClusterDNSCSystem.recv(fd, buffer.baseAddress, buffer.count, flags) }
    }

    /// Sends one message (address, data, ancillary data).
    /// The corresponding C function is `sendmsg(2)`.
    @inline(never)
    public static func sendmsg(fd: Int32, message: UnsafePointer<msghdr>, flags: Int32) throws(SystemError) -> IOResult<Int> {
        try nonBlockingSystemCall("sendmsg") { ClusterDNSCSystem.sendmsg(fd, message, flags) }
    }

    /// Receives one message (address, data, ancillary data).
    /// The corresponding C function is `recvmsg(2)`.
    @inline(never)
    public static func recvmsg(fd: Int32, message: UnsafeMutablePointer<msghdr>, flags: Int32) throws(SystemError) -> IOResult<Int> {
        try nonBlockingSystemCall("recvmsg") { ClusterDNSCSystem.recvmsg(fd, message, flags) }
    }

    /// Receives up to `count` datagrams in one call; returns how many arrived.
    ///
    /// - warning: each entry's `msg_namelen` and `msg_controllen` are overwritten by the kernel and must be reset
    ///   before the entry is reused.
    /// - Complexity: one system call. Allocation-free.
    /// The corresponding C function is `recvmmsg(2)`.
    @inline(never)
    public static func recvmmsg(fd: Int32, messages: UnsafeMutablePointer<CSystem_mmsghdr>, count: Int, flags: Int32) throws(SystemError) -> IOResult<Int> {
        let result = try nonBlockingSystemCall("recvmmsg") { CSystem_recvmmsg(fd, messages, UInt32(count), flags) }
        switch result {
        case .processed(let received): return .processed(Int(received))
        case .wouldBlock: return .wouldBlock
        }
    }

    /// Sends up to `count` datagrams in one call; returns how many left. A count below `count` means the entry at
    /// that index failed (the next call reports why) or the socket buffer filled.
    /// - Complexity: one system call. Allocation-free.
    /// The corresponding C function is `sendmmsg(2)`.
    @inline(never)
    public static func sendmmsg(fd: Int32, messages: UnsafeMutablePointer<CSystem_mmsghdr>, count: Int, flags: Int32) throws(SystemError) -> IOResult<Int> {
        let result = try nonBlockingSystemCall("sendmmsg") { CSystem_sendmmsg(fd, messages, UInt32(count), flags) }
        switch result {
        case .processed(let sent): return .processed(Int(sent))
        case .wouldBlock: return .wouldBlock
        }
    }

    /// Shuts down one or both directions of a connected socket (`SHUT_WR` after the last reply is queued).
    /// `ENOTCONN` (the peer already reset the connection) is not an error here.
    /// The corresponding C function is `shutdown(2)`.
    @inline(never)
    public static func shutdown(fd: Int32, how: Int32) throws(SystemError) {
        if ClusterDNSCSystem.shutdown(fd, how) == 0 { return }
        let error = CSystem_errno()
        switch error {
        case ENOTCONN: return
        case EBADF, EFAULT: trapOnProgrammingError("shutdown", error)
        default: throw SystemError(errno: error, call: "shutdown")
        }
    }

    // MARK: epoll, eventfd, signalfd

    /// Creates an epoll instance; pass `EPOLL_CLOEXEC`.
    /// The corresponding C function is `epoll_create1(2)`.
    @inline(never)
    public static func epoll_create1(flags: Int32) throws(SystemError) -> Int32 {
        try systemCall("epoll_create1") { ClusterDNSCSystem.epoll_create1(flags) }
    }

    /// Adds, modifies or removes a descriptor's interest (`EPOLL_CTL_ADD`, `_MOD`, `_DEL`).
    /// The corresponding C function is `epoll_ctl(2)`.
    @inline(never)
    public static func epoll_ctl(epfd: Int32, op: Int32, fd: Int32, events: UInt32, data: UInt64) throws(SystemError) {
        var event = CSystem_epoll_event_make(events, data)
        _ = try systemCall("epoll_ctl") { ClusterDNSCSystem.epoll_ctl(epfd, op, fd, &event) }
    }

    /// Waits for readiness; returns how many events were written to `events`.
    ///
    /// EINTR returns 0 events instead of retrying, so the caller recomputes its timeout from its timers.
    /// The corresponding C function is `epoll_wait(2)`.
    @inline(never)
    public static func epoll_wait(epfd: Int32, events: UnsafeMutablePointer<epoll_event>, maxevents: Int32, timeout: Int32) throws(SystemError) -> Int {
        let result = ClusterDNSCSystem.epoll_wait(epfd, events, maxevents, timeout)
        if result >= 0 { return Int(result) }
        let error = CSystem_errno()
        switch error {
        case EINTR: return 0
        case EBADF, EFAULT: trapOnProgrammingError("epoll_wait", error)
        default: throw SystemError(errno: error, call: "epoll_wait")
        }
    }

    /// Creates an eventfd; pass `EFD_NONBLOCK | EFD_CLOEXEC`.
    /// The corresponding C function is `eventfd(2)`.
    @inline(never)
    public static func eventfd(initval: UInt32, flags: Int32) throws(SystemError) -> Int32 {
        try systemCall("eventfd") { ClusterDNSCSystem.eventfd(initval, flags) }
    }

    /// Creates (or, with `fd` ≥ 0, changes) a signalfd for `mask`; pass `SFD_NONBLOCK | SFD_CLOEXEC`.
    /// The corresponding C function is `signalfd(2)`.
    @inline(never)
    public static func signalfd(fd: Int32, mask: sigset_t, flags: Int32) throws(SystemError) -> Int32 {
        var mask = mask
        return try systemCall("signalfd") { ClusterDNSCSystem.signalfd(fd, &mask, flags) }
    }

    /// Changes the calling thread's signal mask (`SIG_BLOCK`, `SIG_UNBLOCK`, `SIG_SETMASK`); returns the old one.
    /// The corresponding C function is `pthread_sigmask(3)`; it returns the error rather than setting errno.
    @inline(never)
    public static func pthread_sigmask(how: Int32, set: sigset_t) throws(SystemError) -> sigset_t {
        var set = set
        var old = sigset_t()
        let error = ClusterDNSCSystem.pthread_sigmask(how, &set, &old)
        if error != 0 { throw SystemError(errno: error, call: "pthread_sigmask") }
        return old
    }
}
