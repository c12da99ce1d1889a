/// One server block: the zones it serves and the directives (plugins) that answer for them.
///
/// Directives keep the Corefile's line order; the plugin chain order is not this module's business
/// (it follows plugin.cfg, see the Plugins module). Equality compares keys and directives, not
/// locations.
public struct ServerBlock: Sendable, Equatable, CustomStringConvertible {
    public let keys: [ServerKey]
    public let directives: [Directive]
    /// Where the first key was written.
    public let location: SourceLocation

    public init(keys: [ServerKey], directives: [Directive], location: SourceLocation) {
        self.keys = keys
        self.directives = directives
        self.location = location
    }

    /// The zones of the keys, in key order, without duplicates: the origins a plugin uses when its
    /// own arguments name none (CoreDNS's `OriginsFromArgsOrServerBlock`).
    public var zones: [String] {
        var seen = Set<String>()
        return keys.compactMap { seen.insert($0.zone).inserted ? $0.zone : nil }
    }

    /// The directives named `name`, in line order.
    public func directives(named name: String) -> [Directive] {
        directives.filter { $0.name == name }
    }

    public static func == (lhs: ServerBlock, rhs: ServerBlock) -> Bool {
        lhs.keys == rhs.keys && lhs.directives == rhs.directives
    }

    /// The block in canonical form: normalized `zone:port` keys, then the directives indented.
    public var description: String {
        var out = ""
        CorefileText.write(self, to: &out)
        return String(out.dropLast())
    }
}
