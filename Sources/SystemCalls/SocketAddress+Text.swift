import ClusterDNSCSystem

/// Why a text did not parse as a socket address; the description names the text.
public struct SocketAddressParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The text that failed to parse.
    public let text: String
    /// What was wrong with it.
    public let reason: String

    public var description: String { "invalid address \"\(text)\": \(reason)" }
}

extension SocketAddress: CustomStringConvertible, LosslessStringConvertible {
    /// Parses `127.0.0.1:53`, `127.0.0.1`, `[::1]:53`, `::1`, `[fe80::1%eth0]:53`; a missing port is `defaultPort`.
    ///
    /// Startup-only (allocates). A bare IPv6 address has no port: `::1:53` is the address `::1:53`, so write
    /// `[::1]:53` to give one.
    /// - Throws: `SocketAddressParseError` naming the text and what is wrong with it.
    public init(parsing text: String, defaultPort: UInt16 = 53) throws(SocketAddressParseError) {
        func fail(_ reason: String) -> SocketAddressParseError { SocketAddressParseError(text: text, reason: reason) }
        var host = Substring(text)
        var portText: Substring?
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { throw fail("missing ']'") }
            let rest = host[host.index(after: close)...]
            host = host[host.index(after: host.startIndex)..<close]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { throw fail("expected ':' and a port after ']'") }
                portText = rest.dropFirst()
            }
        } else if let colon = host.firstIndex(of: ":"), host[host.index(after: colon)...].firstIndex(of: ":") == nil {
            portText = host[host.index(after: colon)...]
            host = host[..<colon]
        }
        var port = defaultPort
        if let portText {
            guard let value = UInt16(portText) else { throw fail("port must be a number from 0 to 65535") }
            port = value
        }
        if host.isEmpty { throw fail("missing address") }

        var scopeID: UInt32 = 0
        if let percent = host.firstIndex(of: "%") {
            let zone = String(host[host.index(after: percent)...])
            host = host[..<percent]
            if let number = UInt32(zone) {
                scopeID = number
            } else {
                scopeID = if_nametoindex(zone)
                if scopeID == 0 { throw fail("no interface named \"\(zone)\"") }
            }
        }
        let hostString = String(host)
        if !hostString.contains(":") {
            var address = in_addr()
            guard scopeID == 0, inet_pton(AF_INET, hostString, &address) == 1 else {
                throw fail("not an IPv4 address")
            }
            self.init(family: .ipv4, high: UInt64(address.s_addr), low: 0, port: port, scopeID: 0)
        } else {
            var address = in6_addr()
            guard inet_pton(AF_INET6, hostString, &address) == 1 else { throw fail("not an IPv6 address") }
            let (high, low) = withUnsafeBytes(of: &address) {
                ($0.loadUnaligned(fromByteOffset: 0, as: UInt64.self), $0.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
            }
            self.init(family: .ipv6, high: high, low: low, port: port, scopeID: scopeID)
        }
    }

    /// Parses with port 53 as the default; `nil` when the text is not an address.
    public init?(_ description: String) {
        do throws(SocketAddressParseError) {
            try self.init(parsing: description)
        } catch {
            return nil
        }
    }

    /// The address alone, without port: `127.0.0.1`, `::1`, `fe80::1%2`.
    public var hostDescription: String {
        withAddressBytes { bytes in
            withUnsafeTemporaryAllocation(of: CChar.self, capacity: Int(INET6_ADDRSTRLEN) + 1) { text in
                let family = self.family == .ipv4 ? AF_INET : AF_INET6
                guard inet_ntop(family, bytes.baseAddress, text.baseAddress, socklen_t(text.count)) != nil else {
                    return "?"
                }
                let host = String(cString: text.baseAddress.unsafelyUnwrapped)
                return scopeID == 0 ? host : "\(host)%\(scopeID)"
            }
        }
    }

    /// `127.0.0.1:53` or `[::1]:53`.
    public var description: String {
        family == .ipv4 ? "\(hostDescription):\(port)" : "[\(hostDescription)]:\(port)"
    }
}
