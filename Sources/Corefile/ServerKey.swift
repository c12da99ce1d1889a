/// One zone a server block serves, on one port: a key such as `cluster.local:53` after
/// normalization.
///
/// `zone` is lowercase and fully qualified (`.`, `cluster.local.`, `10.in-addr.arpa.`). A CIDR key
/// (`10.0.0.0/8`, `fd00::/64`) becomes one key per reverse zone it covers, each keeping the
/// written text in `original`. Equality compares zone and port only (what is served), not how the
/// key was written.
public struct ServerKey: Sendable, Equatable, CustomStringConvertible {
    /// Lowercase FQDN with the trailing dot.
    public let zone: String
    public let port: Int
    /// The key as written, after environment substitution and without a trailing comma.
    public let original: String
    public let location: SourceLocation

    public init(zone: String, port: Int, original: String, location: SourceLocation) {
        self.zone = zone
        self.port = port
        self.original = original
        self.location = location
    }

    public static func == (lhs: ServerKey, rhs: ServerKey) -> Bool {
        lhs.zone == rhs.zone && lhs.port == rhs.port
    }

    /// `zone:port`, the canonical way to write the key (`cluster.local.:53`).
    public var description: String { "\(zone):\(port)" }
}
