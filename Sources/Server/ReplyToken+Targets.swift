import DNSWire
import EventLoop
import Plugins

// How a socket's reply target travels through the chain as an opaque `ReplyToken`.
//
// The route already carries the peer's and the local address and port; the token adds what the
// worker needs besides to find the socket or connection again: the worker, the listener or
// connection slot, the interface and the IPv6 scopes. Layout:
//   first:  kind (8 bits: 1 UDP, 2 TCP) | worker index << 8 (24 bits) | listener or slot << 32
//   second: UDP: interface index | peer scope << 32;   TCP: generation | peer scope << 32
//   third:  UDP: local scope | local port << 32;       TCP: unused
// Packing and unpacking are a few shifts: no allocation on the query path.

extension ReplyToken {
    static let udpKind: UInt64 = 1
    static let tcpKind: UInt64 = 2

    init(_ target: UDPReplyTarget) {
        self.init(first: ReplyToken.udpKind | UInt64(UInt32(truncatingIfNeeded: target.workerIndex) & 0xFF_FFFF) << 8
                      | UInt64(UInt32(truncatingIfNeeded: target.listenerIndex)) << 32,
                  second: UInt64(target.interfaceIndex) | UInt64(target.peer.scopeID) << 32,
                  third: UInt64(target.local.scopeID) | UInt64(target.local.port) << 32)
    }

    init(_ target: TCPReplyTarget) {
        self.init(first: ReplyToken.tcpKind | UInt64(UInt32(truncatingIfNeeded: target.workerIndex) & 0xFF_FFFF) << 8
                      | UInt64(UInt32(truncatingIfNeeded: target.slot)) << 32,
                  second: UInt64(target.generation) | UInt64(target.peer.scopeID) << 32,
                  third: 0)
    }

    private var workerIndex: Int { Int((first >> 8) & 0xFF_FFFF) }
    private var index: Int { Int(first >> 32) }

    /// The UDP target this token was made from, with the addresses of `route`; nil for a TCP token.
    func udpTarget(route: Route) -> UDPReplyTarget? {
        guard first & 0xFF == ReplyToken.udpKind else { return nil }
        return UDPReplyTarget(peer: SocketAddress(route.peerAddress, port: route.peerPort, scopeID: UInt32(truncatingIfNeeded: second >> 32)),
                              local: SocketAddress(route.localAddress, port: UInt16(truncatingIfNeeded: third >> 32),
                                                   scopeID: UInt32(truncatingIfNeeded: third)),
                              interfaceIndex: UInt32(truncatingIfNeeded: second),
                              workerIndex: workerIndex, listenerIndex: index)
    }

    /// The TCP target this token was made from, with the peer of `route`; nil for a UDP token.
    func tcpTarget(route: Route) -> TCPReplyTarget? {
        guard first & 0xFF == ReplyToken.tcpKind else { return nil }
        return TCPReplyTarget(peer: SocketAddress(route.peerAddress, port: route.peerPort, scopeID: UInt32(truncatingIfNeeded: second >> 32)),
                              workerIndex: workerIndex, slot: index, generation: UInt32(truncatingIfNeeded: second))
    }
}
