import EventLoop

/// A connected, non-blocking UDP socket to one upstream, registered on the worker's event loop.
///
/// Connected, so the kernel gives it a random ephemeral source port and delivers only datagrams
/// from the upstream's address and port: a forged answer from anywhere else never reaches us.
/// The object is reused for later sockets (its descriptor changes), so opening a socket per
/// exchange allocates nothing once the pool has grown.
final class UDPUpstreamSocket: IOHandler {
    /// Strong: the loop keeps this object while it is registered, and the pool must outlive
    /// every registration it made. Released when the socket closes.
    var pool: UpstreamPool?
    var fd: Int32 = -1
    var upstream = -1
    /// The exchange waiting on this socket, if any.
    var exchange: PoolExchange?
    /// Exchanges this socket has carried.
    var uses = 0
    var lastUsed: UInt64 = 0

    func ioReady(_ events: IOEvents) {
        pool?.udpReadable(self)
    }
}

/// One query waiting for its answer on a TCP connection, matched by ID.
struct PendingTCPQuery {
    var id: UInt16
    var exchange: PoolExchange
}

/// A TCP connection to one upstream (RFC 7766): queries are written as length-prefixed frames,
/// several may be outstanding at once (pipelining) and answers are matched by ID, in any order.
/// Pooled per upstream per worker and closed after `expire` of idleness.
final class UpstreamTCPConnection: IOHandler {
    /// Strong, as for `UDPUpstreamSocket`; released when the connection closes.
    var pool: UpstreamPool?
    let fd: Int32
    let upstream: Int
    var connected = false
    var closed = false
    var output = ByteQueue()
    var input = ByteQueue()
    var pending: [PendingTCPQuery] = []
    let created: UInt64
    var lastUsed: UInt64
    /// Answers received on this connection; a connection that has answered before and then fails
    /// without answering was most likely closed by the upstream while pooled.
    var answered = 0
    /// EPOLLOUT is being watched (a connect in progress or a write that did not finish).
    var watchingWrite = false

    init(pool: UpstreamPool, fd: Int32, upstream: Int, now: UInt64) {
        self.pool = pool
        self.fd = fd
        self.upstream = upstream
        created = now
        lastUsed = now
        pending.reserveCapacity(UpstreamPool.pipelineDepth)
    }

    func ioReady(_ events: IOEvents) {
        pool?.tcpReady(self, events: events)
    }
}
