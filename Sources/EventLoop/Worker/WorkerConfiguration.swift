/// Sizes and limits of one worker's UDP and TCP service.
public struct WorkerConfiguration: Sendable {
    /// UDP batch sizes and buffers.
    public var udp = UDPConfiguration()
    /// TCP limits. `tcp.maxConnections` is this worker's share (`WorkerGroup` divides the server-wide cap).
    public var tcp = TCPConfiguration()
    /// How many ready descriptors one `epoll_wait` returns at most.
    public var maxEventsPerWait = 256

    public init() {}
}

/// UDP batch sizes and buffer sizes, per worker.
public struct UDPConfiguration: Sendable {
    /// Datagrams read by one `recvmmsg` and answered by one `sendmmsg`.
    public var batchSize = 64
    /// Bytes of one receive slot. A larger datagram is cut by the kernel and handed on flagged `truncated`.
    /// 4096 holds any query a resolver sends (EDNS buffer sizes above 4096 are not used for queries).
    public var receiveSlotSize = 4096
    /// Bytes of one send slot: the largest UDP response a handler can write.
    public var maxResponseSize = 4096
    /// Batches read in one wake-up before the loop serves other descriptors and timers (fairness).
    public var maxBatchesPerWakeup = 8
    /// Capacity of each listener's queue of asynchronous replies (flushed with one `sendmmsg` per iteration).
    public var asyncQueueCapacity = 64
    /// `SO_RCVBUF` for the sockets, or `nil` for the system default.
    public var socketReceiveBufferBytes: Int32? = nil
    /// `SO_SNDBUF` for the sockets, or `nil` for the system default.
    public var socketSendBufferBytes: Int32? = nil

    public init() {}
}

/// TCP limits (RFC 7766), per worker.
public struct TCPConfiguration: Sendable {
    /// A connection with no bytes read or written for this long is closed.
    public var idleTimeout: Duration = .seconds(10)
    /// Open connections allowed; at the cap a new connection closes the longest-idle one.
    public var maxConnections = 10_000
    /// Queries of one connection awaiting an asynchronous reply; at the cap the connection is not read.
    public var maxInFlightPerConnection = 32
    /// Reply bytes waiting for a peer that does not read; above this the connection is not read.
    public var maxPendingOutputBytes = 128 * 1024
    /// `listen(2)` backlog.
    public var listenBacklog: Int32 = 1024
    /// Connections accepted in one wake-up before other descriptors are served.
    public var maxAcceptsPerWakeup = 64
    /// Reads from one connection in one wake-up before other descriptors are served.
    public var maxReadsPerWakeup = 4
    /// `SO_SNDBUF` for accepted connections, or `nil` for the system default.
    public var socketSendBufferBytes: Int32? = nil

    public init() {}
}
