import Corefile
import DNSWire

/// A plugin that shapes the listeners rather than answering queries (`bind`).
public protocol ListenAddressProvider {
    var listenAddresses: [IPAddress] { get }
}

/// A plugin that asks the server to watch the Corefile for changes (`reload`).
public protocol ReloadSettingsProvider {
    var reloadInterval: Duration { get }
    var reloadJitter: Duration { get }
}

/// A plugin that sets how the server treats TCP connections (`timeouts`).
public protocol TCPSettingsProvider {
    var tcpIdleTimeout: Duration? { get }
}

/// One server block after setup: its keys and its plugins in chain order.
public struct ConfiguredBlock: Sendable {
    public let block: ServerBlock
    public let zones: [DomainName]
    public let port: UInt16
    /// Every plugin of the block in `Directives.order`.
    public let factories: [any PluginFactory]
    /// Addresses from `bind`; empty means all addresses (0.0.0.0 and ::).
    public let bindAddresses: [IPAddress]

    /// The plugin names in chain order, for `clusterdns check` and metrics.
    public var pluginNames: [String] { factories.map(\.name) }
}

/// A whole Corefile turned into configured server blocks: what `serve` runs and `check` prints.
public struct ServerConfiguration: Sendable {
    public let corefile: Corefile
    public let blocks: [ConfiguredBlock]
    /// From the first `reload` directive, if any.
    public let reloadInterval: Duration?
    public let reloadJitter: Duration
    /// From `timeouts { idle }`; nil keeps the default (10 s).
    public let tcpIdleTimeout: Duration?
    /// DNS cookie secrets for every listener (the `cookie` directive, else the process's random
    /// secret); nil with `cookie off`.
    public var cookies: CookieSecrets? = CookieSecrets.processDefault

    /// Runs every directive's setup. Errors name file:line and the directive.
    /// - Throws: `CorefileError` for an unknown or unsupported directive, a plugin repeated where
    ///   CoreDNS allows it once, or any plugin's own configuration error.
    public static func build(_ corefile: Corefile, manifestsDirectory: String?, baseDirectory: String,
                             implemented: [String: DirectiveSpec] = Directives.implemented) throws(CorefileError) -> ServerConfiguration {
        var blocks: [ConfiguredBlock] = []
        var reloadInterval: Duration? = nil
        var reloadJitter: Duration = .zero
        var idle: Duration? = nil
        var cookie: (config: CookieConfig, plugin: CookiePlugin, directive: Directive)? = nil
        for block in corefile.serverBlocks {
            var zones: [DomainName] = []
            for key in block.keys {
                do {
                    let zone = try DomainName(key.zone).lowercased()
                    if !zones.contains(zone) { zones.append(zone) }
                } catch {
                    throw CorefileError(.serverKey, at: key.location, "bad zone '\(key.original)': \(error)")
                }
            }
            let port = UInt16(clamping: block.keys.first?.port ?? 53)
            let setup = BlockSetup(block: block, zones: zones, port: port, manifestsDirectory: manifestsDirectory,
                                   baseDirectory: baseDirectory)
            var made: [(rank: Int, line: Int, factory: any PluginFactory)] = []
            var seen: [String: Directive] = [:]
            for directive in block.directives {
                guard let rank = Directives.rank(of: directive.name) else {
                    throw CorefileError(.argument, at: directive.location,
                                        "unknown directive '\(directive.name)'")
                }
                guard let spec = implemented[directive.name] else {
                    throw directive.error("not supported yet by ClusterDNS")
                }
                if let first = seen[directive.name], !spec.allowsMultiple {
                    throw directive.error("this plugin can only be used once per server block (first at line \(first.location.line))")
                }
                seen[directive.name] = directive
                let factory = try spec.setup(directive, setup)
                // Cookies are checked before any block is chosen, so every block that sets
                // them must agree.
                if let plugin = factory as? CookiePlugin {
                    if let first = cookie, first.config != plugin.config {
                        throw directive.error("differs from the cookie directive at \(first.directive.location); cookies are server-wide")
                    }
                    if cookie == nil { cookie = (plugin.config, plugin, directive) }
                }
                made.append((rank, directive.location.line, factory))
            }
            made.sort { $0.rank != $1.rank ? $0.rank < $1.rank : $0.line < $1.line }
            let factories = made.map(\.factory)
            for case let consumer as any BlockPluginsConsumer in factories {
                try consumer.connect(to: factories)
            }
            var bind: [IPAddress] = []
            for factory in factories {
                if let provider = factory as? any ListenAddressProvider { bind += provider.listenAddresses }
                if let tcp = factory as? any TCPSettingsProvider, let value = tcp.tcpIdleTimeout {
                    idle = min(idle ?? value, value)
                }
                if reloadInterval == nil, let reload = factory as? any ReloadSettingsProvider {
                    reloadInterval = reload.reloadInterval
                    reloadJitter = reload.reloadJitter
                }
            }
            blocks.append(ConfiguredBlock(block: block, zones: zones, port: port, factories: factories, bindAddresses: bind))
        }
        var configuration = ServerConfiguration(corefile: corefile, blocks: blocks, reloadInterval: reloadInterval,
                                                reloadJitter: reloadJitter, tcpIdleTimeout: idle)
        if let cookie { configuration.cookies = cookie.plugin.secrets }
        return configuration
    }

    /// The blocks and their chains, as `clusterdns check` prints them.
    public var summary: String {
        var lines: [String] = []
        for block in blocks {
            let keys = block.block.keys.map { "\($0.zone):\($0.port)" }.joined(separator: " ")
            lines.append("server block \(keys)")
            let bind = block.bindAddresses.isEmpty ? "all addresses" : block.bindAddresses.map(\.description).joined(separator: " ")
            lines.append("  listen: \(bind), port \(block.port) (udp, tcp)")
            lines.append("  plugin chain: " + block.pluginNames.joined(separator: " → "))
        }
        if let reloadInterval {
            lines.append("reload: every \(CorefileDuration.format(reloadInterval)) (jitter \(CorefileDuration.format(reloadJitter)))")
        }
        return lines.joined(separator: "\n")
    }
}

/// A plugin that keeps the server answering for a while after SIGTERM (`health`'s `lameduck`).
public protocol LameduckProvider {
    var lameduck: Duration { get }
    /// Called when shutdown starts: report unhealthy from now on.
    func enterLameduck()
}

extension ServerConfiguration {
    /// What one worker runs for this configuration: one zone table per port, and the chains in
    /// them (one per server block, with this worker's handlers). The server, the simulator and
    /// in-process tests all build their chains here, so they run exactly the same plugins.
    /// - Parameter previous: the worker's chains before a reload; a block that keeps its label
    ///   and zones keeps its counters, so metrics never go backwards.
    public func zoneTables(worker: WorkerContext, previous: [ChainRuntime] = [])
        -> (tables: [(port: UInt16, zones: ZoneTable)], chains: [ChainRuntime]) {
        var tables: [(port: UInt16, zones: ZoneTable)] = []
        var built: [ChainRuntime] = []
        for block in blocks {
            var names: [String] = []
            var handlers: [any PluginHandler] = []
            for factory in block.factories {
                if let handler = factory.makeHandler(worker: worker) {
                    names.append(factory.name)
                    handlers.append(handler)
                }
            }
            let label = "dns://:\(block.port)"
            let earlier = previous.first { $0.serverLabel == label && $0.zones == block.zones }
            let chain = ChainRuntime(zones: block.zones, serverLabel: label, names: names, handlers: handlers,
                                     metrics: earlier?.metrics)
            built.append(chain)
            if let i = tables.firstIndex(where: { $0.port == block.port }) {
                for zone in block.zones { tables[i].zones.add(zone: zone, chain: chain) }
            } else {
                var table = ZoneTable()
                for zone in block.zones { table.add(zone: zone, chain: chain) }
                tables.append((block.port, table))
            }
        }
        return (tables, built)
    }
}
