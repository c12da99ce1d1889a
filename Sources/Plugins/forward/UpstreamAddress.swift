import DNSWire
import SystemCalls

/// One upstream server a `forward` sends queries to: its socket address and the `to` label its
/// metrics carry (`127.0.0.1:53`, `[::1]:53`, as CoreDNS writes them).
public struct UpstreamAddress: Sendable, Hashable, CustomStringConvertible {
    public let address: SocketAddress

    public init(_ address: SocketAddress) { self.address = address }

    /// The `to` label and the text used in logs.
    public var description: String { address.description }
}

/// How one `TO` argument of `forward` reads: an address, a `dns://` address, or a resolv.conf file.
enum UpstreamSpec {
    /// What a `TO` argument was, before any file is read.
    enum Kind: Equatable {
        case address(SocketAddress)
        case resolvConf(path: String)
        /// A transport this build does not implement (`tls://`, `https://`, `grpc://`…).
        case unsupported(transport: String)
        /// Neither an address nor a path: a hostname (CoreDNS resolves those; ClusterDNS does not yet).
        case hostname
    }

    /// Classifies `text` without touching the file system.
    ///
    /// `IP`, `IP:port`, `[IPv6]:port`, a bare IPv6 address and `dns://` forms of them are
    /// addresses (port 53 by default); anything containing `/` is a resolv.conf path (CoreDNS's
    /// rule is "not an address, so a file"); another scheme is an unsupported transport.
    static func classify(_ text: String) -> Kind {
        var rest = Substring(text)
        if let range = rest.firstRange(of: "://") {
            let scheme = rest[..<range.lowerBound].lowercased()
            guard scheme == "dns" else { return .unsupported(transport: scheme) }
            rest = rest[range.upperBound...]
            // CoreDNS allows a trailing slash after dns://host.
            while rest.hasSuffix("/") { rest = rest.dropLast() }
        }
        do throws(SocketAddressParseError) {
            return .address(try SocketAddress(parsing: String(rest), defaultPort: 53))
        } catch {
            if text.contains("/") && !text.contains("://") { return .resolvConf(path: text) }
            return .hostname
        }
    }
}
