import SystemCalls

// The seams through which plugins reach the network without owning a socket: the chain knows
// no sockets, no epoll and no timers. `Server` implements all three with `EventLoop`
// (`Sources/Server/Upstream/`); in process (`clusterdns simulate`, unit tests) there is none,
// and a plugin that needs one answers as if the network were down.

/// What a worker offers its plugins' handlers: timers and upstream exchanges on its own thread.
/// Every method but `execute` is called on the worker's thread only.
public protocol WorkerServices: AnyObject {
    /// Runs `action` once on this worker after `delay` (a timer on its loop).
    func schedule(after delay: Duration, _ action: @escaping () -> Void)
    /// Runs `work` on this worker's thread; callable from any thread (a plugin stopping after a reload).
    func execute(_ work: @escaping @Sendable () -> Void)
    /// A pool of upstream sockets and connections for one plugin's handler on this worker.
    func makeUpstreamExchange(_ options: UpstreamPoolOptions, client: any UpstreamExchangeClient) -> any UpstreamExchange
}

/// How a pool treats its upstreams' sockets: CoreDNS's `forward` transport options.
public struct UpstreamPoolOptions: Sendable {
    /// The upstreams, by index: every exchange names one of them.
    public var upstreams: [SocketAddress]
    /// An idle socket or connection is closed after this long (0: none is kept).
    public var expireNanoseconds: UInt64
    /// A connection is not reused once this old (`max_age`); nil: no limit.
    public var maxAgeNanoseconds: UInt64?
    /// Idle sockets or connections kept per upstream (`max_idle_conns`); 0: no limit.
    public var maxIdleConnections: Int

    public init(upstreams: [SocketAddress], expireNanoseconds: UInt64, maxAgeNanoseconds: UInt64?, maxIdleConnections: Int) {
        self.upstreams = upstreams
        self.expireNanoseconds = expireNanoseconds
        self.maxAgeNanoseconds = maxAgeNanoseconds
        self.maxIdleConnections = maxIdleConnections
    }
}

/// One exchange in flight: which pool entry and which use of it, so a stale handle is harmless.
public struct UpstreamExchangeID: Hashable, Sendable {
    public let rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }
}

/// Why an exchange ended without an answer.
public enum UpstreamExchangeFailure: Sendable, Equatable {
    /// No answer within the exchange's timeout.
    case timedOut
    /// Refused (an ICMP error), a send or connect error, or the connection broke.
    case failed
    /// A pooled TCP connection that had answered before closed: most likely the upstream closed it
    /// while idle (CoreDNS's `ErrCachedClosed`), so the same upstream deserves one more try.
    case pooledConnectionClosed
}

/// Why an upstream datagram or frame was not taken as the answer it was waiting for
/// (`clusterdns_forward_dropped_responses_total{reason}`).
public enum DroppedResponseReason: Int, CaseIterable, Sendable {
    /// The ID is not the outstanding query's: a spoofing attempt, or an answer to an earlier query.
    case wrongID
    /// The ID matches but the question does not.
    case wrongQuestion
    /// Too short for a header and question, or not a response.
    case malformed
    /// Arrived when no query was outstanding on the socket or connection (after a timeout).
    case late
    /// The question matches but for letter case, where `randomize_case` sent its own (0x20): a
    /// forgery that guessed the ID and port, or an upstream that does not keep case.
    case wrongCase

    var label: String {
        switch self {
        case .wrongID: "id"
        case .wrongQuestion: "question"
        case .malformed: "malformed"
        case .late: "late"
        case .wrongCase: "case"
        }
    }
}

/// Sends queries to upstreams and reports each exchange's outcome once, on the worker's thread.
///
/// The pool owns the sockets, the connections, the query IDs (unpredictable, unique per
/// connection) and the timeouts; the plugin owns the policy (which upstream, failover, retries).
public protocol UpstreamExchange: AnyObject {
    /// Sends `query` to upstream `upstream` with a fresh random ID in place of its own.
    /// - Parameters:
    ///   - context: handed back with the outcome (the plugin's slot and generation).
    ///   - timeoutNanoseconds: after this, the exchange fails with `.timedOut`.
    /// - Returns: the exchange, or nil when nothing could be sent (no socket, no route): then no
    ///   outcome follows.
    func send(_ query: UnsafeRawBufferPointer, to upstream: Int, overTCP: Bool, timeoutNanoseconds: UInt64,
              context: UInt64) -> UpstreamExchangeID?
    /// Gives up an exchange without an outcome: a late answer is counted and dropped.
    func cancel(_ exchange: UpstreamExchangeID)
    /// Closes every socket; exchanges in flight end without an outcome. Idempotent.
    func shutdown()
}

/// The plugin's side of an `UpstreamExchange`. Calls come on the worker's thread, from inside the
/// pool's event handling: the exchange is already detached when an outcome arrives, so the client
/// may start another exchange from the callback.
public protocol UpstreamExchangeClient: AnyObject {
    /// Whether `reply` (its ID already matched, `id`) answers the exchange's question; a false
    /// answer is counted by the client and the exchange keeps waiting.
    func exchange(context: UInt64, accepts reply: UnsafeRawBufferPointer, id: UInt16) -> Bool
    /// The exchange's accepted answer, valid only during the call.
    func exchange(context: UInt64, answered reply: UnsafeRawBufferPointer)
    /// The exchange ended without an answer.
    func exchange(context: UInt64, failed failure: UpstreamExchangeFailure)
    /// A socket or connection to `upstream` was taken for an exchange: a new one, or a pooled one.
    func upstreamConnectionUsed(_ upstream: Int, tcp: Bool, reused: Bool)
    /// A message from `upstream` was dropped before reaching any exchange.
    func upstreamMessageDropped(_ upstream: Int, reason: DroppedResponseReason)
}

/// One DNS exchange off the worker threads (the control plane's own loop): `forward`'s upstream
/// health checks and `loop`'s self-probe. Implemented by the server; safe to call from any thread.
public protocol ControlPlaneNetwork: AnyObject, Sendable {
    /// Sends `query` to `address` (over TCP as one length-prefixed frame) and calls `completion`
    /// once, on the control-plane thread: with the first message that carries the query's ID, or
    /// nil (no socket, refused, connection closed, `timeout` passed).
    func exchange(_ query: [UInt8], with address: SocketAddress, overTCP: Bool, timeout: Duration,
                  completion: @escaping @Sendable ([UInt8]?) -> Void)
    /// Runs `work` on the control-plane thread after `delay`.
    func schedule(after delay: Duration, _ work: @escaping @Sendable () -> Void)
}
