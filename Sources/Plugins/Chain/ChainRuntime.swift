import DNSWire

/// A server block's plugin chain as one worker runs it: the handlers in plugin.cfg order, with
/// the facts about the block the engine needs per query.
public final class ChainRuntime: @unchecked Sendable {
    // @unchecked: every stored property is immutable. The handlers are used only on their
    // worker's thread; other threads (metrics scrapes) read only `metrics`, `zones` and labels.
    /// The block's zones, lowercase, for `log`, metrics and negative answers.
    public let zones: [DomainName]
    /// The `server` label of CoreDNS metrics: `dns://:53`.
    public let serverLabel: String
    public let names: [String]
    public let handlers: [any PluginHandler]
    /// The UDP payload size this server advertises and the largest UDP answer it sends.
    public let advertisedUDPSize: UInt16
    public let maxUDPSize: Int
    /// This worker's counters for this block.
    public let metrics: BlockMetrics

    public init(zones: [DomainName], serverLabel: String, names: [String], handlers: [any PluginHandler],
                advertisedUDPSize: UInt16 = 1232, maxUDPSize: Int = 1232, metrics: BlockMetrics? = nil) {
        precondition(handlers.count <= 64, "at most 64 plugins per server block (hook bitmask)")
        self.zones = zones
        self.serverLabel = serverLabel
        self.names = names
        self.handlers = handlers
        self.advertisedUDPSize = advertisedUDPSize
        self.maxUDPSize = maxUDPSize
        // Counters survive a reload that keeps the block's plugins (same layout), so they never
        // appear to go backwards to a scraper.
        if let metrics, metrics.pluginNames == names {
            self.metrics = metrics
        } else {
            self.metrics = BlockMetrics(pluginNames: names)
        }
    }

    /// A placeholder for pooled requests between queries; never run.
    static let empty = ChainRuntime(zones: [], serverLabel: "", names: [], handlers: [])
}

/// Chooses the server block for a query name: the block whose zone is the longest suffix of the
/// name (CoreDNS's rule), among the blocks listening on the port the query came to.
public struct ZoneTable {
    struct Entry {
        let zone: [UInt8]           // lowercase wire form
        let labelCount: Int
        let chain: ChainRuntime
    }
    var entries: [Entry] = []

    public init() {}

    public mutating func add(zone: DomainName, chain: ChainRuntime) {
        entries.append(Entry(zone: zone.lowercased().wire, labelCount: zone.labelCount, chain: chain))
        // Longest zones first, so the first match is the most specific.
        entries.sort { $0.zone.count > $1.zone.count }
    }

    /// The chain for `name` (wire form, any case), or nil when no zone covers it (REFUSED).
    /// - Complexity: O(zones × name length). Allocation-free.
    public func chain(for name: UnsafeRawBufferPointer) -> (chain: ChainRuntime, zoneOffset: Int)? {
        for entry in entries {
            if let offset = ZoneMatch.offset(of: entry.zone, in: name) { return (entry.chain, offset) }
        }
        return nil
    }

    public var isEmpty: Bool { entries.isEmpty }
}
