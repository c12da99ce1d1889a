/// The outcome of a non-blocking call that did not fail: it did its work, or it would have had to block.
///
/// `EAGAIN`/`EWOULDBLOCK` is an expected outcome on non-blocking sockets, so it is a value rather than an error:
/// callers must say what "would block" means at their site (done reading, wait for `EPOLLOUT`, drop).
public enum IOResult<Value> {
    /// The call completed with this value (a byte or message count, a descriptor).
    case processed(Value)
    /// The call returned `EAGAIN`/`EWOULDBLOCK`.
    case wouldBlock
}

extension IOResult: Sendable where Value: Sendable {}
extension IOResult: Equatable where Value: Equatable {}
