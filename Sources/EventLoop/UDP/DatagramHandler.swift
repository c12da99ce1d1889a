/// Where a UDP reply goes: the peer, the local address the query was sent to, and the worker's socket.
///
/// A copyable value so a handler can keep it and reply later (an answer from an upstream) through
/// `Worker.sendDatagram(_:to:)`. It names the socket by the worker's listener index, not by descriptor, so a
/// reply kept past a shutdown is refused rather than sent on a reused descriptor number.
package struct UDPReplyTarget: Hashable, Sendable {
    /// Who sent the query.
    package let peer: SocketAddress
    /// The address the query was sent to: from packet info on a wildcard socket, else the bound address.
    /// Replies leave from this address, so a client that sent to `10.96.0.10` sees the answer come from there.
    package let local: SocketAddress
    /// The interface the query arrived on (0 when unknown); kept for IPv6 link-local replies.
    package let interfaceIndex: UInt32
    /// The worker that received the query; a reply must be sent on that worker's thread.
    package let workerIndex: Int
    package let listenerIndex: Int

    package init(peer: SocketAddress, local: SocketAddress, interfaceIndex: UInt32, workerIndex: Int, listenerIndex: Int) {
        self.peer = peer
        self.local = local
        self.interfaceIndex = interfaceIndex
        self.workerIndex = workerIndex
        self.listenerIndex = listenerIndex
    }
}

/// Answers datagrams; one instance per worker and listener, called only on that worker's thread.
///
/// The UDP reader is generic over the handler's type, so the call is direct (or one witness-table call when
/// not specialised) and never boxes.
package protocol DatagramHandler: AnyObject {
    /// Handles one datagram of a batch.
    ///
    /// - Parameters:
    ///   - packet: the datagram's bytes, valid only during this call.
    ///   - truncated: the datagram was larger than a receive slot and `packet` holds only its start.
    ///   - target: where a reply goes; keep it to reply later with `Worker.sendDatagram(_:to:)`.
    ///   - response: this datagram's send slot (`UDPConfiguration.maxResponseSize` bytes) to write a reply into.
    /// - Returns: the reply's length in `response` (1...response.count), sent with the rest of the batch in one
    ///   `sendmmsg`; or `nil` for no reply now (dropped, or answered later).
    func handleDatagram(
        _ packet: UnsafeRawBufferPointer, truncated: Bool, from target: UDPReplyTarget,
        response: UnsafeMutableRawBufferPointer
    ) -> Int?

    /// Replies this handler still owes (queries waiting on an upstream). A graceful stop keeps the worker
    /// running until every listener's handler reports 0 or the drain deadline passes. Default: 0.
    var pendingReplies: Int { get }
}

extension DatagramHandler {
    package var pendingReplies: Int { 0 }
}
