/// Where a TCP reply goes: a connection of a worker, named by slot and generation.
///
/// A copyable value a handler can keep to reply later. The generation changes whenever the slot is reused, so a
/// late reply for a connection that has closed (even if its slot or descriptor number now serves another
/// client) is recognised and dropped instead of being written to the wrong peer.
package struct TCPReplyTarget: Hashable, Sendable {
    /// The client's address.
    package let peer: SocketAddress
    /// The worker that owns the connection; replies must be sent on its thread.
    package let workerIndex: Int
    package let slot: Int
    package let generation: UInt32

    package init(peer: SocketAddress, workerIndex: Int, slot: Int, generation: UInt32) {
        self.peer = peer
        self.workerIndex = workerIndex
        self.slot = slot
        self.generation = generation
    }
}

/// What a stream handler did with one frame.
package enum FrameReply: Equatable, Sendable {
    /// The reply is in the response buffer, `length` bytes (1...65535); it is queued at once.
    case now(length: Int)
    /// The reply comes later through `Worker.sendFrame(_:to:)` (or `Worker.abandonFrame(for:)` if it never
    /// will): the query counts against the connection's in-flight limit until then.
    case later
    /// No reply (a message that deserves none); nothing is owed.
    case drop
}

/// Answers DNS-over-TCP frames; one instance per worker and listener, called only on that worker's thread.
package protocol StreamHandler: AnyObject {
    /// Handles one complete frame (the 2-byte length prefix removed).
    ///
    /// - Parameters:
    ///   - frame: the message, valid only during this call.
    ///   - target: the connection; keep it to reply later.
    ///   - response: a 65535-byte buffer to write an immediate reply into.
    func handleFrame(_ frame: UnsafeRawBufferPointer, from target: TCPReplyTarget, response: UnsafeMutableRawBufferPointer) -> FrameReply

    /// The connection closed (peer, idle timeout, eviction, error, shutdown): forget what was pending for it.
    /// Default: nothing.
    func connectionClosed(_ target: TCPReplyTarget)
}

extension StreamHandler {
    package func connectionClosed(_ target: TCPReplyTarget) {}
}
