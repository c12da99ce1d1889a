/// Sizes and limits of one worker's UDP and TCP service.
package struct WorkerConfiguration: Sendable {
    /// UDP batch sizes and buffers.
    package var udp = UDPConfiguration()
    /// TCP limits. `tcp.maxConnections` is this worker's share (`WorkerGroup` divides the server-wide cap).
    package var tcp = TCPConfiguration()
    /// How many ready descriptors one `epoll_wait` returns at most.
    package var maxEventsPerWait = 256

    package init() {}
}

/// UDP batch sizes and buffer sizes, per worker.
package struct UDPConfiguration: Sendable {
    /// Datagrams read by one `recvmmsg` and answered by one `sendmmsg`.
    package var batchSize = 64
    /// Bytes of one receive slot. A larger datagram is cut by the kernel and handed on flagged `truncated`.
    /// 4096 holds any query a resolver sends (EDNS buffer sizes above 4096 are not used for queries).
    package var receiveSlotSize = 4096
    /// Bytes of one send slot: the largest UDP response a handler can write.
    package var maxResponseSize = 4096
    /// Batches read in one wake-up before the loop serves other descriptors and timers (fairness).
    package var maxBatchesPerWakeup = 8
    /// Capacity of each listener's queue of asynchronous replies (flushed with one `sendmmsg` per iteration).
    package var asyncQueueCapacity = 64
    /// `SO_RCVBUF` for the sockets, or `nil` for the system default.
    package var socketReceiveBufferBytes: Int32? = nil
    /// `SO_SNDBUF` for the sockets, or `nil` for the system default.
    package var socketSendBufferBytes: Int32? = nil

    package init() {}
}

/// TCP limits (RFC 7766), per worker.
package struct TCPConfiguration: Sendable {
    /// A connection with no bytes read or written for this long is closed.
    package var idleTimeout: Duration = .seconds(10)
    /// Open connections allowed; at the cap a new connection closes the longest-idle one.
    package var maxConnections = 10_000
    /// Queries of one connection awaiting an asynchronous reply; at the cap the connection is not read.
    package var maxInFlightPerConnection = 32
    /// Reply bytes waiting for a peer that does not read; above this the connection is not read.
    package var maxPendingOutputBytes = 128 * 1024
    /// `listen(2)` backlog.
    package var listenBacklog: Int32 = 1024
    /// Connections accepted in one wake-up before other descriptors are served.
    package var maxAcceptsPerWakeup = 64
    /// Reads from one connection in one wake-up before other descriptors are served.
    package var maxReadsPerWakeup = 4
    /// `SO_SNDBUF` for accepted connections, or `nil` for the system default.
    package var socketSendBufferBytes: Int32? = nil

    package init() {}
}
