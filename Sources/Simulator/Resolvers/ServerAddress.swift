import DNSWire

/// An IP address and port to send queries to: `10.96.0.10`, `10.96.0.10:53`, `[fd00::a]:53`.
/// Host names are refused: a DNS tool must not depend on DNS to find its server.
package struct ServerAddress: Sendable, Hashable, CustomStringConvertible {
    package var address: IPAddress
    package var port: UInt16

    package init(address: IPAddress, port: UInt16 = 53) {
        self.address = address
        self.port = port
    }

    /// Parses `IP`, `IPv4:PORT` or `[IPv6]:PORT`.
    package init?(parsing text: String) {
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), let address = IPAddress(text[text.index(after: text.startIndex)..<close]) else {
                return nil
            }
            let rest = text[text.index(after: close)...]
            if rest.isEmpty {
                self.init(address: address)
            } else {
                guard rest.hasPrefix(":"), let port = UInt16(rest.dropFirst()), port > 0 else { return nil }
                self.init(address: address, port: port)
            }
            return
        }
        if let address = IPAddress(text) {
            self.init(address: address)
            return
        }
        guard let colon = text.lastIndex(of: ":"), let address = IPAddress(text[..<colon]), case .v4 = address,
              let port = UInt16(text[text.index(after: colon)...]), port > 0 else { return nil }
        self.init(address: address, port: port)
    }

    package var description: String {
        switch address {
        case .v4: "\(address):\(port)"
        case .v6: "[\(address)]:\(port)"
        }
    }
}
