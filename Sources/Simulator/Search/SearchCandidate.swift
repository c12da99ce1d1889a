import DNSWire

/// A name the stub resolver will try, in order.
public struct SearchCandidate: Sendable, Equatable {
    /// The text the C library builds: the name, or `name.domain`.
    public var text: String
    /// The search domain appended; nil for the name as written.
    public var domain: String?

    public init(text: String, domain: String?) {
        self.text = text
        self.domain = domain
    }

    public var isSearchExpansion: Bool { domain != nil }
}
