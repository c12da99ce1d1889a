/// Settings of one parse that are not in the Corefile itself.
public struct CorefileParseOptions: Sendable {
    /// Values for `{$NAME}` / `{%NAME%}`. Defaults to the process environment; tests pass their
    /// own so they neither depend on nor change the real one.
    public var environment: [String: String]
    /// The port of a key that names none: 53, or what `-dns.port` says (CoreDNS's `-dns.port`).
    public var defaultPort: Int
    /// Whether to reject two keys serving the same zone on the same port (CoreDNS: "cannot serve
    /// dns://…:53 - it is already defined"). This check assumes no block binds to specific
    /// addresses; a caller that knows about `bind` / `view` turns it off and calls
    /// `Corefile.checkServeConflicts(scope:)` itself with that knowledge.
    public var checksServeConflicts: Bool

    public init(
        environment: [String: String]? = nil,
        defaultPort: Int = 53,
        checksServeConflicts: Bool = true
    ) {
        self.environment = environment ?? FileSystem.processEnvironment()
        self.defaultPort = defaultPort
        self.checksServeConflicts = checksServeConflicts
    }
}
