import ClusterDNSCSystem

/// Readiness of a descriptor, as epoll reports it and as a handler asks for it.
package struct IOEvents: OptionSet, Hashable, Sendable {
    package let rawValue: UInt32
    package init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Data to read, a connection to accept, or end of stream (`EPOLLIN`).
    package static let readable = IOEvents(rawValue: EPOLLIN.rawValue)
    /// Room to write, or a non-blocking connect finished (`EPOLLOUT`).
    package static let writable = IOEvents(rawValue: EPOLLOUT.rawValue)
    /// The peer shut down its sending side (`EPOLLRDHUP`).
    package static let readHangup = IOEvents(rawValue: EPOLLRDHUP.rawValue)
    /// Both directions are closed, e.g. after a reset (`EPOLLHUP`; always reported, never asked for).
    package static let hangup = IOEvents(rawValue: EPOLLHUP.rawValue)
    /// A pending socket error (`EPOLLERR`; always reported, never asked for).
    package static let error = IOEvents(rawValue: EPOLLERR.rawValue)
}

/// An object that owns a descriptor registered on an `EventLoop` and is told when it is ready.
///
/// A class protocol so the loop's dispatch is one witness-table call per ready descriptor, with no boxing.
package protocol IOHandler: AnyObject {
    /// Called on the loop's thread with what epoll reported. Level-triggered: a handler that leaves data unread
    /// is called again on the next iteration, so it may stop early (fairness) without losing anything.
    func ioReady(_ events: IOEvents)
}

/// Something told once at the end of every loop iteration, after I/O and timers: the place to flush queued
/// sends as one batch and to publish counters.
package protocol EventLoopIterationObserver: AnyObject {
    /// Called on the loop's thread at the end of an iteration.
    func eventLoopIterationDidEnd()
}
