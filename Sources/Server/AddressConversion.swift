import DNSWire
import EventLoop

extension IPAddress {
    /// The address part of a socket address. Allocation-free.
    init(_ socket: SocketAddress) {
        if let v4 = socket.ipv4Value {
            self = .v4(IPv4Address(rawValue: v4))
        } else {
            self = .v6(socket.withAddressBytes { IPv6Address(octets: $0) })
        }
    }
}

extension SocketAddress {
    /// A socket address for `address` and `port`.
    init(_ address: IPAddress, port: UInt16) {
        switch address {
        case .v4(let a):
            let o = a.octets
            self.init(ipv4: o, port: port)
        case .v6(let a):
            let bytes = (0..<16).map { a.octet($0) }
            self = bytes.withUnsafeBytes { SocketAddress(ipv6: $0, port: port) }
        }
    }
}
