import Synchronization

/// What one worker has done, as plain integers it owns: no atomics or locks on the hot path. The control plane
/// reads them through `Worker.counters` (a published copy) and sums them across workers at scrape time.
package struct WorkerCounters: Sendable, Equatable {
    /// Datagrams read from UDP sockets.
    package var udpReceived: UInt64 = 0
    /// Datagrams the kernel accepted for sending (batch replies and asynchronous ones).
    package var udpSent: UInt64 = 0
    /// Datagrams larger than a receive slot, handed on cut short (`MSG_TRUNC`).
    package var udpTruncated: UInt64 = 0
    /// `recvmmsg` calls that failed with something other than EAGAIN.
    package var udpReceiveErrors: UInt64 = 0
    /// `recvmmsg` calls that returned datagrams.
    package var udpReceiveBatches: UInt64 = 0
    /// `sendmmsg` calls made.
    package var udpSendCalls: UInt64 = 0
    /// Replies dropped because the socket's send buffer was full (EAGAIN).
    package var udpDroppedWouldBlock: UInt64 = 0
    /// Replies dropped because the kernel had no buffer space (ENOBUFS, ENOMEM).
    package var udpDroppedNoBuffers: UInt64 = 0
    /// Replies skipped because the kernel rejected that one entry (EINVAL).
    package var udpDroppedInvalid: UInt64 = 0
    /// Replies skipped for another errno on that entry (EPERM from a firewall, ENETUNREACH, EMSGSIZE, …).
    package var udpDroppedOther: UInt64 = 0
    /// Asynchronous replies refused: listener gone, reply larger than a send slot.
    package var udpAsyncRefused: UInt64 = 0

    /// Connections accepted.
    package var tcpAccepted: UInt64 = 0
    /// `accept4` failures other than EAGAIN (EMFILE, ENFILE, ENOBUFS, ENOMEM, …).
    package var tcpAcceptErrors: UInt64 = 0
    /// Connections closed, for any reason (the reasons below are subsets).
    package var tcpClosed: UInt64 = 0
    /// Connections closed after the idle timeout.
    package var tcpIdleClosed: UInt64 = 0
    /// Idle connections closed to make room for a new one at the connection cap.
    package var tcpEvicted: UInt64 = 0
    /// Connections closed on a reset or another socket error.
    package var tcpErrors: UInt64 = 0
    /// Frames (length-prefixed messages) received.
    package var tcpFramesReceived: UInt64 = 0
    /// Frames queued for sending.
    package var tcpFramesSent: UInt64 = 0
    /// Late replies for a connection that was closed (or whose slot was reused) meanwhile, dropped.
    package var tcpLateRepliesDropped: UInt64 = 0
    /// Times a connection stopped being read because its peer did not read replies or had too many in flight.
    package var tcpReadPauses: UInt64 = 0

    package init() {}

    /// Field-wise sum, for totals across workers.
    package static func + (lhs: WorkerCounters, rhs: WorkerCounters) -> WorkerCounters {
        var sum = lhs
        sum.udpReceived &+= rhs.udpReceived
        sum.udpSent &+= rhs.udpSent
        sum.udpTruncated &+= rhs.udpTruncated
        sum.udpReceiveErrors &+= rhs.udpReceiveErrors
        sum.udpReceiveBatches &+= rhs.udpReceiveBatches
        sum.udpSendCalls &+= rhs.udpSendCalls
        sum.udpDroppedWouldBlock &+= rhs.udpDroppedWouldBlock
        sum.udpDroppedNoBuffers &+= rhs.udpDroppedNoBuffers
        sum.udpDroppedInvalid &+= rhs.udpDroppedInvalid
        sum.udpDroppedOther &+= rhs.udpDroppedOther
        sum.udpAsyncRefused &+= rhs.udpAsyncRefused
        sum.tcpAccepted &+= rhs.tcpAccepted
        sum.tcpAcceptErrors &+= rhs.tcpAcceptErrors
        sum.tcpClosed &+= rhs.tcpClosed
        sum.tcpIdleClosed &+= rhs.tcpIdleClosed
        sum.tcpEvicted &+= rhs.tcpEvicted
        sum.tcpErrors &+= rhs.tcpErrors
        sum.tcpFramesReceived &+= rhs.tcpFramesReceived
        sum.tcpFramesSent &+= rhs.tcpFramesSent
        sum.tcpLateRepliesDropped &+= rhs.tcpLateRepliesDropped
        sum.tcpReadPauses &+= rhs.tcpReadPauses
        return sum
    }
}

/// The copy of a worker's counters that other threads may read.
///
/// The worker stores every field with a relaxed atomic store once per loop iteration (not per packet), so a
/// reader on another thread never sees a torn value and the worker never waits. Padding on both sides keeps
/// two workers' slots off the same cache line, so publishing costs no cache-line ping-pong between workers.
final class PublishedCounters: Sendable {
    private let leadingPadding: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
    private let udpReceived = Atomic<UInt64>(0)
    private let udpSent = Atomic<UInt64>(0)
    private let udpTruncated = Atomic<UInt64>(0)
    private let udpReceiveErrors = Atomic<UInt64>(0)
    private let udpReceiveBatches = Atomic<UInt64>(0)
    private let udpSendCalls = Atomic<UInt64>(0)
    private let udpDroppedWouldBlock = Atomic<UInt64>(0)
    private let udpDroppedNoBuffers = Atomic<UInt64>(0)
    private let udpDroppedInvalid = Atomic<UInt64>(0)
    private let udpDroppedOther = Atomic<UInt64>(0)
    private let udpAsyncRefused = Atomic<UInt64>(0)
    private let tcpAccepted = Atomic<UInt64>(0)
    private let tcpAcceptErrors = Atomic<UInt64>(0)
    private let tcpClosed = Atomic<UInt64>(0)
    private let tcpIdleClosed = Atomic<UInt64>(0)
    private let tcpEvicted = Atomic<UInt64>(0)
    private let tcpErrors = Atomic<UInt64>(0)
    private let tcpFramesReceived = Atomic<UInt64>(0)
    private let tcpFramesSent = Atomic<UInt64>(0)
    private let tcpLateRepliesDropped = Atomic<UInt64>(0)
    private let tcpReadPauses = Atomic<UInt64>(0)
    private let trailingPadding: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)

    /// Called by the owning worker only. - Complexity: 21 relaxed stores (plain moves on x86-64).
    func publish(_ c: WorkerCounters) {
        udpReceived.store(c.udpReceived, ordering: .relaxed)
        udpSent.store(c.udpSent, ordering: .relaxed)
        udpTruncated.store(c.udpTruncated, ordering: .relaxed)
        udpReceiveErrors.store(c.udpReceiveErrors, ordering: .relaxed)
        udpReceiveBatches.store(c.udpReceiveBatches, ordering: .relaxed)
        udpSendCalls.store(c.udpSendCalls, ordering: .relaxed)
        udpDroppedWouldBlock.store(c.udpDroppedWouldBlock, ordering: .relaxed)
        udpDroppedNoBuffers.store(c.udpDroppedNoBuffers, ordering: .relaxed)
        udpDroppedInvalid.store(c.udpDroppedInvalid, ordering: .relaxed)
        udpDroppedOther.store(c.udpDroppedOther, ordering: .relaxed)
        udpAsyncRefused.store(c.udpAsyncRefused, ordering: .relaxed)
        tcpAccepted.store(c.tcpAccepted, ordering: .relaxed)
        tcpAcceptErrors.store(c.tcpAcceptErrors, ordering: .relaxed)
        tcpClosed.store(c.tcpClosed, ordering: .relaxed)
        tcpIdleClosed.store(c.tcpIdleClosed, ordering: .relaxed)
        tcpEvicted.store(c.tcpEvicted, ordering: .relaxed)
        tcpErrors.store(c.tcpErrors, ordering: .relaxed)
        tcpFramesReceived.store(c.tcpFramesReceived, ordering: .relaxed)
        tcpFramesSent.store(c.tcpFramesSent, ordering: .relaxed)
        tcpLateRepliesDropped.store(c.tcpLateRepliesDropped, ordering: .relaxed)
        tcpReadPauses.store(c.tcpReadPauses, ordering: .relaxed)
    }

    /// A copy for any thread; each field is exact, fields may be from consecutive iterations.
    func snapshot() -> WorkerCounters {
        var c = WorkerCounters()
        c.udpReceived = udpReceived.load(ordering: .relaxed)
        c.udpSent = udpSent.load(ordering: .relaxed)
        c.udpTruncated = udpTruncated.load(ordering: .relaxed)
        c.udpReceiveErrors = udpReceiveErrors.load(ordering: .relaxed)
        c.udpReceiveBatches = udpReceiveBatches.load(ordering: .relaxed)
        c.udpSendCalls = udpSendCalls.load(ordering: .relaxed)
        c.udpDroppedWouldBlock = udpDroppedWouldBlock.load(ordering: .relaxed)
        c.udpDroppedNoBuffers = udpDroppedNoBuffers.load(ordering: .relaxed)
        c.udpDroppedInvalid = udpDroppedInvalid.load(ordering: .relaxed)
        c.udpDroppedOther = udpDroppedOther.load(ordering: .relaxed)
        c.udpAsyncRefused = udpAsyncRefused.load(ordering: .relaxed)
        c.tcpAccepted = tcpAccepted.load(ordering: .relaxed)
        c.tcpAcceptErrors = tcpAcceptErrors.load(ordering: .relaxed)
        c.tcpClosed = tcpClosed.load(ordering: .relaxed)
        c.tcpIdleClosed = tcpIdleClosed.load(ordering: .relaxed)
        c.tcpEvicted = tcpEvicted.load(ordering: .relaxed)
        c.tcpErrors = tcpErrors.load(ordering: .relaxed)
        c.tcpFramesReceived = tcpFramesReceived.load(ordering: .relaxed)
        c.tcpFramesSent = tcpFramesSent.load(ordering: .relaxed)
        c.tcpLateRepliesDropped = tcpLateRepliesDropped.load(ordering: .relaxed)
        c.tcpReadPauses = tcpReadPauses.load(ordering: .relaxed)
        return c
    }
}
