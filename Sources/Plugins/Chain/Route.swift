import DNSWire
import EventLoop

/// How a query reached the server and how its answer goes back. Plugins read the client's
/// address and transport from it (`whoami`, `autopath`, `log`); the server reads the rest to
/// send the reply. A plain value, so keeping it in a suspended request costs nothing.
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
    /// Where the server sends a reply that completes later; nil for internal requests.
    public var udpTarget: UDPReplyTarget?
    public var tcpTarget: TCPReplyTarget?

    public init(transport: Transport, peerAddress: IPAddress, peerPort: UInt16, localAddress: IPAddress,
                localPort: UInt16, udpTarget: UDPReplyTarget? = nil, tcpTarget: TCPReplyTarget? = nil) {
        self.transport = transport
        self.peerAddress = peerAddress
        self.peerPort = peerPort
        self.localAddress = localAddress
        self.localPort = localPort
        self.udpTarget = udpTarget
        self.tcpTarget = tcpTarget
    }

    /// The route of a query that did not come from the network.
    public static let `internal` = Route(transport: .internal, peerAddress: .v4(IPv4Address(rawValue: 0x7F00_0001)),
                                         peerPort: 0, localAddress: .v4(IPv4Address(rawValue: 0x7F00_0001)),
                                         localPort: 0)
}
