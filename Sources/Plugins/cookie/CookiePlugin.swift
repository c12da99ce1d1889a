import Corefile
import DNSWire

/// The cookie secrets a running configuration uses, shared read-only by every worker's engine.
///
/// Immutable, so workers read it without a lock; a reload builds a new one and each engine
/// takes it on its own thread.
public final class CookieSecrets: Sendable {
    public let current: CookieSecret
    public let previous: CookieSecret?

    public init(current: CookieSecret, previous: CookieSecret?) {
        self.current = current
        self.previous = previous
    }

    /// The secret used when the Corefile sets none: random, made once per process, so every
    /// worker and every reload agree (clients keep their cookies across a reload).
    public static let processDefault = CookieSecrets(current: .random(), previous: nil)
}

/// `cookie`: configures DNS cookies for the whole server. It sees no queries itself; the query
/// engine checks and answers COOKIE options before any server block runs (a FORMERR for a
/// malformed option must not depend on which block the name falls in).
public final class CookiePlugin: PluginFactory, Sendable {
    public let name = "cookie"
    public let config: CookieConfig

    public init(config: CookieConfig) { self.config = config }

    public func makeHandler(worker: WorkerContext) -> (any PluginHandler)? { nil }

    /// The secrets this directive asks for; nil with `cookie off`.
    public var secrets: CookieSecrets? {
        guard config.enabled else { return nil }
        guard let secret = config.secret else { return .processDefault }
        return CookieSecrets(current: secret, previous: config.previous)
    }
}
