import DNSWire

/// A name the stub resolver will try, in order.
package struct SearchCandidate: Sendable, Equatable {
    /// The text the C library builds: the name, or `name.domain`.
    package var text: String
    /// The search domain appended; nil for the name as written.
    package var domain: String?

    package init(text: String, domain: String?) {
        self.text = text
        self.domain = domain
    }

    package var isSearchExpansion: Bool { domain != nil }
}
