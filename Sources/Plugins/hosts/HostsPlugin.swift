import ClusterRegistry
import Corefile
import DNSWire
import Logging
import Synchronization
import ZoneFile

/// `hosts`: answers A, AAAA and PTR queries from a hosts file and inline entries (CoreDNS's
/// *hosts*).
///
/// For a name in the plugin's zones: its A or AAAA records (TTL `ttl`, AA set), all of them in one
/// RRset, so a name with many addresses is the simplest way to get a large answer (truncated
/// whole over UDP, complete over TCP). A known name asked for another type gets NODATA
/// (`fallthrough_unsupported` passes it on instead). An unknown name goes to the next plugin
/// with `fallthrough`, and otherwise gets SERVFAIL — CoreDNS's choice, since a hosts file has no
/// SOA to make an NXDOMAIN cacheable. PTR queries are answered for addresses in the file
/// whatever the zones (unless `no_reverse`), and passed on when the address is unknown.
///
/// The file is read when the Corefile is loaded and re-read every `reload` when its
/// modification time or size changed; a file that disappears or cannot be read keeps the last
/// good entries (CoreDNS does the same). Workers see the current table with one relaxed atomic
/// load per query; answers are written without allocating.
public final class HostsPlugin: PluginFactory, MetricsReporting, Sendable {
    public let name = "hosts"
    public let config: HostsConfig
    let zones: ZoneList
    let cell: SnapshotCell<HostsTable>
    let timer = ReloadTimer()
    private let state: Mutex<FileState>

    struct FileState {
        var fingerprint: FileFingerprint?
        /// Why the file is not read (missing, a directory), reported at start.
        var problem: String?
        /// The file's modification time at the last successful read, for the reload metric.
        var loadedModification: Double = 0
    }

    init(config: HostsConfig) {
        self.config = config
        self.zones = ZoneList(config.zones)
        let (text, state) = HostsPlugin.readFile(config.path)
        self.cell = SnapshotCell(HostsTable(texts: [text ?? "", config.inline.joined(separator: "\n")], zones: config.zones,
                                              reverse: config.reverse))
        self.state = Mutex(state)
    }

    /// The file's text, or nil with the reason it cannot be read.
    static func readFile(_ path: String) -> (String?, FileState) {
        let fingerprint = FileContents.fingerprint(path)
        do {
            let bytes = try FileContents.read(path)
            let modified = fingerprint.map { Double($0.seconds) + Double($0.nanoseconds) / 1e9 } ?? 0
            return (String(decoding: bytes, as: UTF8.self), FileState(fingerprint: fingerprint, problem: nil, loadedModification: modified))
        } catch {
            return (nil, FileState(fingerprint: fingerprint, problem: error.description))
        }
    }

    /// The entries served now.
    public var table: HostsTable? { cell.load() }

    public func makeHandler(worker: WorkerContext) -> (any PluginHandler)? { HostsHandler(plugin: self) }

    public func start(_ server: ServerContext) throws {
        let logger = server.logger
        if let problem = state.withLock({ $0.problem }) {
            logger.warning("plugin/hosts: \(problem): serving the inline entries only until it can be read")
        }
        if let table = cell.load() { reportSkipped(table, logger: logger) }
        timer.start(every: config.reload, label: "clusterdns.hosts") { [self] in
            reloadIfChanged(logger: logger)
        }
    }

    public func stop() { timer.stop() }

    /// The reload timer's check: re-reads the file when its modification time, size or inode changed.
    public func reloadIfChanged(logger: Logger) {
        let now = FileContents.fingerprint(config.path)
        let changed = state.withLock { state in
            guard state.fingerprint != now else { return false }
            state.fingerprint = now
            return true
        }
        guard changed, now != nil else { return }
        let (text, read) = HostsPlugin.readFile(config.path)
        guard let text else {
            logger.error("plugin/hosts: \(read.problem ?? config.file): keeping the previous entries")
            return
        }
        let table = HostsTable(texts: [text, config.inline.joined(separator: "\n")], zones: config.zones, reverse: config.reverse)
        state.withLock { $0.loadedModification = read.loadedModification }
        reportSkipped(table, logger: logger)
        cell.publish(table)
        logger.debug("plugin/hosts: reloaded \(config.file): \(table.entryCount) entries")
    }

    /// Logs each line of the file that was skipped, as `FILE:LINE`, once per load (at start and
    /// after each change); the inline entries were checked when the Corefile was read.
    func reportSkipped(_ table: HostsTable, logger: Logger) {
        for line in table.skipped where line.text == 0 {
            logger.warning("plugin/hosts: \(config.path):\(line.line): line skipped: \(line.reason)")
        }
    }

    public func reportMetrics(into report: inout MetricsReport) {
        report.gauge("coredns_hosts_entries", help: "The combined number of entries in hosts and Corefile.",
                     labels: [("hostsfile", config.path)], value: Double(cell.load()?.entryCount ?? 0))
        report.gauge("coredns_hosts_reload_timestamp_seconds", help: "The timestamp of the last reload of hosts file.",
                     value: state.withLock { $0.loadedModification })
    }
}

/// The `hosts` plugin on one worker.
final class HostsHandler: PluginHandler {
    /// What a query needs of the configuration, copied once so a query copies nothing.
    struct Settings {
        let zones: ZoneList
        let ttl: UInt32
        let fall: Fallthrough
        let fallthroughUnsupported: Bool
    }

    let settings: Settings
    var reader: SnapshotCell<HostsTable>.Reader

    init(plugin: HostsPlugin) {
        settings = Settings(zones: plugin.zones, ttl: plugin.config.ttl, fall: plugin.config.fall,
                            fallthroughUnsupported: plugin.config.fallthroughUnsupported)
        reader = plugin.cell.makeReader()
    }

    func serve(_ request: Request, engine: QueryEngine) -> PluginResult {
        let settings = self.settings
        return reader.withCurrent { table in
            guard let table else { return .next }
            return HostsHandler.answer(request, table: table, settings: settings)
        }
    }

    /// - Complexity: O(name length + answer size). Allocation-free.
    static func answer(_ request: Request, table: HostsTable, settings config: Settings) -> PluginResult {
        let qname = request.questionName
        let qtype = request.questionType
        let inZone = config.zones.contains(qname)
        // PTR zones need not be among the plugin's zones; other names outside them are not ours.
        guard inZone || qtype == .ptr else { return .next }
        if qtype == .ptr {
            guard let hosts = table.hosts(forReverse: qname), !hosts.isEmpty else { return .next }
            guard request.startResponse() else { return .answered }
            request.response.authoritative = true
            request.response.beginRRset()
            for host in hosts { request.response.append(owner: .question, type: .ptr, ttl: config.ttl, rdata: .ptr(host)) }
            request.response.endRRset()
            request.finishResponse()
            return .answered
        }
        let entry = table.entry(for: qname)
        let known = entry.map { !$0.isEmpty } ?? false
        if qtype != .a && qtype != .aaaa && qtype != .any && config.fallthroughUnsupported && config.fall.covers(qname) {
            return .next
        }
        guard known, let entry else {
            if config.fall.covers(qname) { return .next }
            request.respond(rcode: .serverFailure)
            return .answered
        }
        guard request.startResponse() else { return .answered }
        request.response.authoritative = true
        request.response.beginRRset()
        // ANY (RFC 8482): one RRset, the IPv4 addresses when there are any, else the IPv6 ones.
        if qtype == .a || (qtype == .any && !entry.v4.isEmpty) {
            for address in entry.v4 { request.response.append(owner: .question, type: .a, ttl: config.ttl, rdata: .a(address)) }
        } else if qtype == .aaaa || qtype == .any {
            for address in entry.v6 { request.response.append(owner: .question, type: .aaaa, ttl: config.ttl, rdata: .aaaa(address)) }
        }
        request.response.endRRset()
        request.finishResponse()
        return .answered
    }
}
