/// One line of a server block (`name arg arg … [{ … }]`), or one line of a nested block.
///
/// Nested lines are directive-shaped too (`pods insecure`, `disable success cluster.local`), so
/// plugins read their properties as `Directive`s. Each nested directive remembers `plugin`, the
/// name of the top-level directive it sits in, so errors about a property name the plugin:
/// `Corefile:9: plugin/kubernetes: ttl: '-1' is out of range…`.
///
/// Equality compares names, argument texts and blocks, not locations: a Corefile re-printed in
/// canonical form (different lines) parses back equal to the original.
public struct Directive: Sendable, Equatable, CustomStringConvertible {
    public let name: String
    public let arguments: [Argument]
    /// The nested block, `nil` when the directive has none (an empty `{ }` gives `[]`).
    public let block: [Directive]?
    public let location: SourceLocation
    /// The top-level directive (plugin) this one belongs to; its own name at top level.
    public let plugin: String
    /// Whether this directive is a property inside another directive's block.
    public let isNested: Bool

    /// Builds a top-level directive; every directive in `block` (at any depth) becomes a property
    /// of `name`.
    public init(name: String, arguments: [Argument], block: [Directive]?, location: SourceLocation) {
        self.init(name: name, arguments: arguments, block: block, location: location, nestedIn: nil)
    }

    /// - Parameter plugin: the enclosing top-level directive's name, `nil` for a top-level one.
    init(name: String, arguments: [Argument], block: [Directive]?, location: SourceLocation, nestedIn plugin: String?) {
        self.name = name
        self.arguments = arguments
        self.location = location
        self.plugin = plugin ?? name
        self.isNested = plugin != nil
        let owner = plugin ?? name
        // The parser already builds children with the right owner; only hand-built trees get re-homed.
        self.block = block?.map { child in
            child.isNested && child.plugin == owner ? child : child.rehomed(under: owner)
        }
    }

    /// The lines of the nested block, empty when there is none.
    public var properties: [Directive] { block ?? [] }

    private func rehomed(under owner: String) -> Directive {
        Directive(name: name, arguments: arguments, block: block, location: location, nestedIn: owner)
    }

    public static func == (lhs: Directive, rhs: Directive) -> Bool {
        lhs.name == rhs.name && lhs.arguments == rhs.arguments && lhs.block == rhs.block
    }

    /// The directive in canonical Corefile form, nested blocks indented by four spaces.
    public var description: String {
        var out = ""
        CorefileText.write(self, indent: 0, to: &out)
        return String(out.dropLast())
    }
}
