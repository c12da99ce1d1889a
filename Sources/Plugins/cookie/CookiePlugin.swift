import Corefile
import DNSWire

/// The cookie secrets a running configuration uses, shared read-only by every worker's engine:
/// a master key and how it rotates.
///
/// Immutable, so workers read it without a lock; a reload builds a new one and each engine
/// takes it on its own thread. Each engine turns it into its own `CookieKeyring`, which follows
/// the clock from epoch to epoch by itself (no thread, timer or shared state rotates secrets).
public final class CookieSecrets: Sendable {
    /// The master key (rotating) or the secret itself (`rotation == nil`).
    public let current: CookieSecret
    /// A previous master key or secret whose cookies are still accepted.
    public let previous: CookieSecret?
    /// Seconds between rotations; nil for a fixed secret (`rotate off`).
    public let rotation: UInt32?

    public init(current: CookieSecret, previous: CookieSecret?, rotation: UInt32? = nil) {
        self.current = current
        self.previous = previous
        self.rotation = rotation
    }

    /// The keyring a worker starts with at wall-clock second `now`.
    public func keyring(now: UInt32) -> CookieKeyring {
        guard let rotation else { return CookieKeyring(fixed: current, previous: previous) }
        return CookieKeyring(master: current, previousMaster: previous, interval: rotation, now: now)
    }

    /// The master key used when the Corefile sets none: random, made once per process, so every
    /// worker and every reload agree (clients keep their cookies across a reload); the secrets
    /// derived from it rotate every `CookieConfig.defaultRotation`.
    public static let processDefault = CookieSecrets(current: .random(), previous: nil,
                                                     rotation: CookieConfig.defaultRotation)
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
        guard let secret = config.secret else {
            if config.rotation == CookieSecrets.processDefault.rotation { return .processDefault }
            // Still the process's random master key, so reloads agree with each other; a new
            // interval derives new secrets, so every client's cookie is renewed once.
            return CookieSecrets(current: CookieSecrets.processDefault.current, previous: nil, rotation: config.rotation)
        }
        return CookieSecrets(current: secret, previous: config.previous, rotation: config.rotation)
    }
}
