/// Where a server block listens, as far as zone conflicts are concerned: the addresses it binds
/// (none means all addresses) and whether a filter (CoreDNS's `view`) lets it share a zone and port
/// with an unfiltered block.
///
/// The Corefile module knows no plugin, so it cannot read `bind` or `view` itself; the caller that
/// does fills this in for `Corefile.checkServeConflicts(scope:)`.
public struct ListenScope: Sendable, Equatable {
    /// Bind addresses; empty means the block listens on every address.
    public var addresses: [String]
    public var isFiltered: Bool

    public init(addresses: [String] = [], isFiltered: Bool = false) {
        self.addresses = addresses
        self.isFiltered = isFiltered
    }
}
