import DNSWire
import Logging
import Synchronization

/// What the server offers plugins at start-up and for their lifetime: its logger, its listen
/// addresses, command-line options that plugins read (`--manifests`), resources shared between
/// server blocks and kept across reloads, and a way to stop the process on a fatal condition.
public final class ServerContext: Sendable {
    public struct Listener: Sendable, Hashable {
        public var address: IPAddress
        public var port: UInt16
        public init(address: IPAddress, port: UInt16) {
            self.address = address
            self.port = port
        }
    }

    public let logger: Logger
    /// Addresses the DNS listeners are bound to (wildcards as given).
    public let listeners: [Listener]
    /// `--manifests DIR` from the command line, for a `kubernetes` block that names no source.
    public let manifestsDirectory: String?
    public let resources: SharedResources
    let fatalHandler: @Sendable (String) -> Void
    /// The running server, for plugins that report on it; nil when plugins run in-process
    /// (`clusterdns simulate`).
    public weak let introspection: (any ServerIntrospection)?
    /// Where `health`, `ready` and `prometheus` publish their HTTP endpoints, and the build facts.
    public let controlPlane: ControlPlane
    /// DNS exchanges on the control-plane thread (`forward` health checks, `loop`'s probe); nil
    /// in process, where no check runs.
    public let network: (any ControlPlaneNetwork)?

    public init(logger: Logger, listeners: [Listener], manifestsDirectory: String?,
                resources: SharedResources = SharedResources(),
                introspection: (any ServerIntrospection)? = nil,
                controlPlane: ControlPlane = ControlPlane(),
                network: (any ControlPlaneNetwork)? = nil,
                fatal: @escaping @Sendable (String) -> Void) {
        self.introspection = introspection
        self.network = network
        self.controlPlane = controlPlane
        self.logger = logger
        self.listeners = listeners
        self.manifestsDirectory = manifestsDirectory
        self.resources = resources
        self.fatalHandler = fatal
    }

    /// The resource under `key`, made by `make` the first time it is asked for. Plugins use this
    /// so that two server blocks (or a reloaded Corefile) share one registry per manifest
    /// directory instead of loading it twice.
    public func shared<T: Sendable>(_ key: String, make: () throws -> T) rethrows -> T {
        try resources.value(key, make: make)
    }

    /// Stops the server with a message and a non-zero exit (the `loop` plugin's verdict).
    public func fatal(_ message: String) { fatalHandler(message) }
}

/// Objects kept by key for the life of the process, across reloads.
public final class SharedResources: Sendable {
    let table = Mutex<[String: any Sendable]>([:])

    public init() {}

    public func value<T: Sendable>(_ key: String, make: () throws -> T) rethrows -> T {
        try table.withLock { table in
            // Unwrap the stored value first: casting a missing entry to an Optional `T` would
            // succeed as `.some(nil)` and hide that nothing was stored yet.
            if let stored = table[key], let existing = stored as? T { return existing }
            let made = try make()
            table[key] = made
            return made
        }
    }

    /// Every resource, for shutdown.
    public var all: [any Sendable] { table.withLock { Array($0.values) } }
}
