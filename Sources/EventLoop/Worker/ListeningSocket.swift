import ClusterDNSCSystem

/// Creates the sockets workers listen on. Startup-only code: errors carry the address and a hint for a person,
/// e.g. `bind(0.0.0.0:53/udp): Permission denied (EACCES) — run as root or grant CAP_NET_BIND_SERVICE`.
enum ListeningSocket {
    /// A non-blocking UDP socket with SO_REUSEADDR and SO_REUSEPORT (one per worker on the same address:
    /// the kernel spreads datagrams across them by flow hash), IPV6_V6ONLY on IPv6, and packet info when bound
    /// to a wildcard so replies leave from the address each query was sent to.
    /// - Returns: the descriptor, the bound address (the real port when `address.port` is 0), and whether packet
    ///   info is on.
    static func makeUDP(address: SocketAddress, configuration: UDPConfiguration) throws(SystemError)
        -> (fd: Int32, bound: SocketAddress, packetInfo: Bool)
    {
        let subject = "\(address)/udp"
        let fd = try describe(subject) { () throws(SystemError) in
            try Syscall.socket(domain: address.addressFamily, type: Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), protocol: 0)
        }
        do {
            try setFlag(fd, SOL_SOCKET, SO_REUSEADDR, subject)
            try setFlag(fd, SOL_SOCKET, SO_REUSEPORT, subject)
            let packetInfo = address.isWildcard
            if address.family == .ipv6 {
                try setFlag(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, subject)
                if packetInfo { try setFlag(fd, Int32(IPPROTO_IPV6), IPV6_RECVPKTINFO, subject) }
            } else if packetInfo {
                try setFlag(fd, Int32(IPPROTO_IP), IP_PKTINFO, subject)
            }
            if let bytes = configuration.socketReceiveBufferBytes { try setValue(fd, SOL_SOCKET, SO_RCVBUF, bytes, subject) }
            if let bytes = configuration.socketSendBufferBytes { try setValue(fd, SOL_SOCKET, SO_SNDBUF, bytes, subject) }
            try bind(fd, address, subject)
            let bound = try describe(subject) { () throws(SystemError) in try Syscall.getsockname(fd: fd) }
            return (fd, bound, packetInfo)
        } catch {
            Syscall.close(fd: fd)
            throw error
        }
    }

    /// A non-blocking listening TCP socket with SO_REUSEADDR and SO_REUSEPORT (one per worker; the kernel
    /// spreads connections across them), IPV6_V6ONLY on IPv6, and TCP_NODELAY, which accepted sockets inherit
    /// (several replies written back to back must not wait for the peer's ACK).
    static func makeTCP(address: SocketAddress, backlog: Int32) throws(SystemError) -> (fd: Int32, bound: SocketAddress) {
        let subject = "\(address)/tcp"
        let fd = try describe(subject) { () throws(SystemError) in
            try Syscall.socket(domain: address.addressFamily, type: Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), protocol: 0)
        }
        do {
            try setFlag(fd, SOL_SOCKET, SO_REUSEADDR, subject)
            try setFlag(fd, SOL_SOCKET, SO_REUSEPORT, subject)
            if address.family == .ipv6 { try setFlag(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, subject) }
            try setFlag(fd, Int32(IPPROTO_TCP), TCP_NODELAY, subject)
            try bind(fd, address, subject)
            try describe(subject) { () throws(SystemError) in try Syscall.listen(fd: fd, backlog: backlog) }
            let bound = try describe(subject) { () throws(SystemError) in try Syscall.getsockname(fd: fd) }
            return (fd, bound)
        } catch {
            Syscall.close(fd: fd)
            throw error
        }
    }

    private static func bind(_ fd: Int32, _ address: SocketAddress, _ subject: String) throws(SystemError) {
        do {
            try Syscall.bind(fd: fd, address: address)
        } catch {
            throw error.with(subject: subject, hint: SystemError.bindHint(errno: error.errno, port: address.port))
        }
    }

    private static func setFlag(_ fd: Int32, _ level: Int32, _ name: Int32, _ subject: String) throws(SystemError) {
        try setValue(fd, level, name, Int32(1), subject)
    }

    private static func setValue(_ fd: Int32, _ level: Int32, _ name: Int32, _ value: Int32, _ subject: String) throws(SystemError) {
        try describe(subject) { () throws(SystemError) in
            try Syscall.setsockopt(fd: fd, level: level, name: name, value: value)
        }
    }

    private static func describe<R>(_ subject: String, _ body: () throws(SystemError) -> R) throws(SystemError) -> R {
        do {
            return try body()
        } catch {
            throw error.with(subject: subject)
        }
    }
}
