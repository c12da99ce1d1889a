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
    /// A socket address for `address` and `port` (and, for IPv6, the interface `scopeID`).
    /// Allocation-free: late replies rebuild their target with it.
    init(_ address: IPAddress, port: UInt16, scopeID: UInt32 = 0) {
        switch address {
        case .v4(let a):
            let o = a.octets
            self.init(ipv4: o, port: port)
        case .v6(let a):
            var bytes: (UInt64, UInt64) = (0, 0)
            withUnsafeMutableBytes(of: &bytes) { raw in
                for i in 0..<16 { raw[i] = a.octet(i) }
            }
            self = withUnsafeBytes(of: &bytes) { SocketAddress(ipv6: $0, port: port, scopeID: scopeID) }
        }
    }
}
