import ClusterRegistry
import Corefile
import DNSWire
import Logging
import Synchronization
import ZoneFile

/// `file`: authoritative answers from RFC 1035 zone files (CoreDNS's *file* plugin).
///
/// Zones are parsed (libldns, see `ZoneFile`) when the Corefile is loaded, so a broken zone file
/// stops `serve` and `check` with its file:line. Each zone lives in a `SnapshotCell` (as the registry's snapshots do): a reload
/// timer re-reads the file when it changed and publishes the new zone only when it parses and
/// (unless `reload_by_mtime`) its SOA serial changed; a broken edit is logged and the previous
/// zone keeps serving. Workers read the current zone with one relaxed atomic load per query.
public final class FilePlugin: PluginFactory, Sendable {
    public let name = "file"
    let zones: [LoadedZone]
    let origins: ZoneList
    let configs: [FileConfig]

    init(configs: [FileConfig], zones: [LoadedZone]) {
        self.configs = configs
        self.zones = zones
        self.origins = ZoneList(zones.map(\.origin))
    }

    /// The zones this plugin serves, as loaded now (nil for one whose file could not be read yet).
    public var currentZones: [(origin: DomainName, zone: Zone?)] {
        zones.map { ($0.origin, $0.cell.load()) }
    }

    public func makeHandler(worker: WorkerContext) -> (any PluginHandler)? {
        zones.isEmpty ? nil : FileHandler(plugin: self)
    }

    public func start(_ server: ServerContext) throws {
        let logger = server.logger
        for zone in zones {
            if let note = zone.startupNote {
                logger.warning("plugin/file: \(note)")
            } else if let loaded = zone.cell.load() {
                for warning in loaded.warnings { logger.warning("plugin/file: \(warning)") }
                logger.info("plugin/file: loaded zone \(zone.origin) from \(zone.config.file), serial \(loaded.serial), \(loaded.recordCount) records")
            }
            zone.timer.start(every: zone.config.reload, label: "clusterdns.file.\(zone.origin)") { [zone] in
                zone.reloadIfChanged(logger: logger)
            }
        }
    }

    public func stop() {
        for zone in zones { zone.timer.stop() }
    }

    /// One origin of a `file` directive: its current zone and what reloading needs.
    final class LoadedZone: Sendable {
        let origin: DomainName
        let config: FileConfig
        let cell: SnapshotCell<Zone>
        /// Why the zone is not served yet (its file was missing at start and `reload` will retry).
        let startupNote: String?
        let timer = ReloadTimer()
        /// The files' state at the last load attempt: a reload happens only when it changes.
        private let lastSeen: Mutex<[FileFingerprint?]>

        init(origin: DomainName, config: FileConfig, zone: Zone?, startupNote: String?) {
            self.origin = origin
            self.config = config
            self.cell = SnapshotCell(zone)
            self.startupNote = startupNote
            self.lastSeen = Mutex((zone?.files ?? [config.path]).map(FileContents.fingerprint))
        }

        /// Parses the zone for the Corefile. A missing file is tolerated when `reload` will look
        /// again (CoreDNS: "trying again in …"); any other defect is a Corefile error.
        static func load(config: FileConfig, origin: DomainName, directive: Directive) throws(CorefileError) -> LoadedZone {
            do {
                let zone = try Zone.load(file: config.path, origin: origin)
                return LoadedZone(origin: origin, config: config, zone: zone, startupNote: nil)
            } catch let error where config.reload > .zero && FileContents.fingerprint(config.path) == nil {
                let note = "zone \(origin): \(error): answering SERVFAIL, trying again every \(CorefileDuration.format(config.reload))"
                return LoadedZone(origin: origin, config: config, zone: nil, startupNote: note)
            } catch {
                throw directive.error("zone \(origin): \(error)")
            }
        }

        /// The reload timer's check: re-reads the zone when any of its files changed.
        func reloadIfChanged(logger: Logger) {
            let current = cell.load()
            let files = current?.files ?? [config.path]
            let fingerprints = files.map(FileContents.fingerprint)
            let changed = lastSeen.withLock { seen in
                guard seen != fingerprints else { return false }
                seen = fingerprints
                return true
            }
            guard changed else { return }
            let zone: Zone
            do {
                zone = try Zone.load(file: config.path, origin: origin)
            } catch {
                let serving = current.map { "still serving serial \($0.serial)" } ?? "not serving it"
                logger.error("plugin/file: reloading zone \(origin) failed, \(serving): \(error)")
                return
            }
            if let current, !config.reloadByModification, zone.serial == current.serial {
                logger.debug("plugin/file: \(config.file) changed but the SOA serial of \(origin) is still \(zone.serial): not reloaded")
                return
            }
            // Remember the new zone's files (an $INCLUDE may have been added or removed).
            let seenNow = zone.files.map(FileContents.fingerprint)
            lastSeen.withLock { $0 = seenNow }
            cell.publish(zone)
            for warning in zone.warnings { logger.warning("plugin/file: \(warning)") }
            logger.info("plugin/file: reloaded zone \(origin) from \(config.file), serial \(zone.serial)")
        }
    }
}

/// The `file` plugin on one worker.
final class FileHandler: PluginHandler {
    /// One zone's reader (a noncopyable value, so boxed to sit in an array).
    final class ZoneReader {
        var reader: SnapshotCell<Zone>.Reader
        init(_ cell: SnapshotCell<Zone>) { reader = cell.makeReader() }
    }

    let plugin: FilePlugin
    let readers: [ZoneReader]
    /// Each zone's `fallthrough`, kept here so a query copies no configuration.
    let falls: [Fallthrough]

    init(plugin: FilePlugin) {
        self.plugin = plugin
        self.readers = plugin.zones.map { ZoneReader($0.cell) }
        self.falls = plugin.zones.map(\.config.fall)
    }

    func serve(_ request: Request, engine: QueryEngine) -> PluginResult {
        guard let index = plugin.origins.longestMatch(request.questionName) else { return .next }
        let qtype = request.questionType
        // Without a transfer plugin, zone transfers are refused (CoreDNS).
        if qtype == .axfr || qtype == .ixfr {
            request.respond(rcode: .refused)
            return .answered
        }
        let fall = falls[index]
        // The zone is borrowed only inside this call: a subrequest may re-enter this handler.
        let outcome = readers[index].reader.withCurrent { zone -> ZoneAnswer.Outcome? in
            guard let zone else { return nil }
            return ZoneAnswer.serve(zone: zone, request: request, fall: fall)
        }
        switch outcome {
        case nil:
            request.respond(rcode: .serverFailure)
            return .answered
        case .answered?:
            return .answered
        case .next?:
            return .next
        case .external(let pending)?:
            request.pluginState = .fileChase(pending)
            if engine.startSubrequest(parent: request, name: pending.target, type: qtype, entry: .top) {
                return .suspended
            }
            request.pluginState = .none
            pending.completeUnresolved(parent: request)
            return .answered
        }
    }

    func subrequestCompleted(_ child: Request, parent: Request, engine: QueryEngine) {
        if case .fileChase(let pending) = parent.pluginState {
            parent.pluginState = .none
            pending.complete(parent: parent, child: child)
        } else {
            parent.respond(rcode: .serverFailure)
        }
        engine.resume(parent, .answered)
    }
}
