import DNSWire

/// How a query reached the server and how its answer goes back. Plugins read the client's
/// address and transport from it (`whoami`, `autopath`, `log`); the server reads its opaque
/// `replyToken` to send a reply that completes later. A plain value, so keeping it in a
/// suspended request costs nothing, and the chain never sees a socket.
public struct Route: Sendable {
    public enum Transport: UInt8, Sendable, CustomStringConvertible {
        case udp, tcp
        /// A subrequest or a simulation: there is no socket; the answer goes to the parent.
        case `internal`
        public var description: String {
            switch self {
            case .udp: "udp"
            case .tcp: "tcp"
            case .internal: "internal"
            }
        }
    }

    public var transport: Transport
    /// The client's address and port.
    public var peerAddress: IPAddress
    public var peerPort: UInt16
    /// The server address the query was sent to (from IP_PKTINFO for wildcard binds).
    public var localAddress: IPAddress
    public var localPort: UInt16
    /// Where the server sends a reply that completes later (which socket or connection); nil for
    /// internal requests. Only the server that made it reads it.
    public var replyToken: ReplyToken?

    public init(transport: Transport, peerAddress: IPAddress, peerPort: UInt16, localAddress: IPAddress,
                localPort: UInt16, replyToken: ReplyToken? = nil) {
        self.transport = transport
        self.peerAddress = peerAddress
        self.peerPort = peerPort
        self.localAddress = localAddress
        self.localPort = localPort
        self.replyToken = replyToken
    }

    /// The route of a query that did not come from the network.
    public static let `internal` = Route(transport: .internal, peerAddress: .v4(IPv4Address(rawValue: 0x7F00_0001)),
                                         peerPort: 0, localAddress: .v4(IPv4Address(rawValue: 0x7F00_0001)),
                                         localPort: 0)
}

/// The server's note of where a late reply goes, carried through the chain unread.
///
/// Three words, so a `Route` stays a small value and building one per query costs no
/// allocation; the server (`Sources/Server/ReplyToken+Targets.swift`) packs its socket's
/// reply target into them and unpacks it in `ResponseSink.deliver`. Plugins, tests and the
/// simulator never need one: a request without a token is answered in process.
public struct ReplyToken: Sendable, Hashable {
    package var first: UInt64
    package var second: UInt64
    package var third: UInt64

    package init(first: UInt64, second: UInt64, third: UInt64) {
        self.first = first
        self.second = second
        self.third = third
    }
}
