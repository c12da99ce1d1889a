import ClusterDNSCSystem

/// The batch I/O a UDP listener performs, as a seam: the listener is generic over it, so production code pays
/// nothing for it and tests substitute one that returns ENOBUFS, EINVAL or partial counts.
///
/// Implementations follow `Syscall`'s contract: EINTR retried, EAGAIN as `.wouldBlock`, other errors thrown.
package protocol DatagramIO {
    /// Receives up to `count` datagrams into `messages`. The corresponding C function is `recvmmsg(2)`.
    mutating func recvmmsg(fd: Int32, messages: UnsafeMutablePointer<CSystem_mmsghdr>, count: Int) throws(SystemError) -> IOResult<Int>
    /// Sends up to `count` datagrams from `messages`. The corresponding C function is `sendmmsg(2)`.
    mutating func sendmmsg(fd: Int32, messages: UnsafeMutablePointer<CSystem_mmsghdr>, count: Int) throws(SystemError) -> IOResult<Int>
}

/// The real system calls.
package struct SystemDatagramIO: DatagramIO {
    package init() {}

    @inline(__always)
    package mutating func recvmmsg(fd: Int32, messages: UnsafeMutablePointer<CSystem_mmsghdr>, count: Int) throws(SystemError) -> IOResult<Int> {
        try Syscall.recvmmsg(fd: fd, messages: messages, count: count, flags: 0)
    }

    @inline(__always)
    package mutating func sendmmsg(fd: Int32, messages: UnsafeMutablePointer<CSystem_mmsghdr>, count: Int) throws(SystemError) -> IOResult<Int> {
        try Syscall.sendmmsg(fd: fd, messages: messages, count: count, flags: 0)
    }
}
