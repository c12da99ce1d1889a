import ClusterDNSCSystem

/// The one way the server opens a client socket: to an upstream (`forward`), for a health check or
/// the `loop` self-probe, for the `health` plugin's HTTP probe, and for `clusterdns simulate`'s
/// network resolver.
///
/// Always `SOCK_CLOEXEC`, so a socket never leaks into a child process; connected, so the kernel
/// picks a random ephemeral source port and delivers only what the peer sends; `TCP_NODELAY` on
/// streams, since DNS messages are small and latency-bound. Errno policy: `socket` failing
/// (`EMFILE`, `ENFILE`, `ENOBUFS`) and `connect` failing at once (`ENETUNREACH`, `EADDRNOTAVAIL`,
/// `ECONNREFUSED` on a blocking stream) are thrown, with the descriptor already closed; a
/// non-blocking connect in progress is `.wouldBlock` (wait for writability, then read `SO_ERROR`
/// with `ClientSocket.pendingError`).
public enum ClientSocket {
    /// The transport of a client socket.
    public enum Kind: Sendable {
        case datagram, stream
    }

    /// Opens a socket of `kind` to `address` and connects it.
    /// - Parameters:
    ///   - nonBlocking: for sockets on an event loop; a blocking socket gets `timeout` (if any) as
    ///     its send and receive timeout (`SO_SNDTIMEO`/`SO_RCVTIMEO`, whole seconds and microseconds).
    /// - Returns: the descriptor, and whether it is connected already (`false`: a non-blocking
    ///   stream whose connect is in progress).
    /// - Throws: `SystemError` of `socket` or `connect`; nothing is left open then.
    public static func open(_ kind: Kind, to address: SocketAddress, nonBlocking: Bool,
                            timeout: Duration? = nil) throws(SystemError) -> (fd: Int32, connected: Bool) {
        var type = kind == .datagram ? Int32(SOCK_DGRAM.rawValue) : Int32(SOCK_STREAM.rawValue)
        type |= Int32(SOCK_CLOEXEC.rawValue)
        if nonBlocking { type |= Int32(SOCK_NONBLOCK.rawValue) }
        let fd = try Syscall.socket(domain: address.addressFamily, type: type, protocol: 0)
        // setsockopt fails here only for a bad option (a bug) or ENOMEM; the socket still works
        // then, a little slower (Nagle) or without a timeout (the caller's own deadline still holds).
        if kind == .stream {
            do { try Syscall.setsockopt(fd: fd, level: Int32(IPPROTO_TCP), name: TCP_NODELAY, value: Int32(1)) } catch {}
        }
        if !nonBlocking, let timeout {
            let (seconds, attoseconds) = timeout.components
            let value = timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
            do {
                try Syscall.setsockopt(fd: fd, level: SOL_SOCKET, name: SO_RCVTIMEO, value: value)
                try Syscall.setsockopt(fd: fd, level: SOL_SOCKET, name: SO_SNDTIMEO, value: value)
            } catch {}
        }
        do {
            switch try Syscall.connect(fd: fd, address: address) {
            case .processed: return (fd, true)
            case .wouldBlock: return (fd, false)
            }
        } catch {
            Syscall.close(fd: fd)
            throw error
        }
    }

    /// The outcome of a non-blocking connect once the socket is writable: 0 when connected, else
    /// the errno it failed with (`ECONNREFUSED`, `ETIMEDOUT`, …); `EIO` when it cannot be read.
    public static func pendingError(fd: Int32) -> Int32 {
        do {
            return try Syscall.getsockopt(fd: fd, level: SOL_SOCKET, name: SO_ERROR, as: Int32.self, initial: 0)
        } catch {
            return EIO
        }
    }
}
