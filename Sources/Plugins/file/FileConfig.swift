import Corefile
import DNSWire
import ZoneFile

/// `file DBFILE [ZONES...] { reload DURATION; reload_by_mtime; fallthrough [ZONES...] }`.
///
/// As CoreDNS: ZONES default to the server block's zones; `reload` defaults to one minute (0
/// turns it off); a zone is reloaded when its SOA serial changes, or on any modification with
/// `reload_by_mtime`. `upstream` (deprecated in CoreDNS) is accepted and ignored. Relative paths
/// are taken from the Corefile's directory.
public struct FileConfig: Sendable {
    /// The zone file as the Corefile names it, and as opened.
    public var file: String
    public var path: String
    public var origins: [DomainName]
    public var reload: Duration = .seconds(60)
    public var reloadByModification = false
    public var fall: Fallthrough = .never

    /// Reads one `file` directive.
    /// - Throws: `CorefileError` at the directive or the offending property.
    public static func parse(_ directive: Directive, in setup: BlockSetup) throws(CorefileError) -> FileConfig {
        try directive.requireArguments(min: 1)
        let file = directive.arguments[0].text
        var origins: [DomainName] = []
        let zoneTexts = try directive.zones(from: directive.arguments.dropFirst(), orServerBlock: setup.zones.map(\.description))
        for text in zoneTexts {
            do {
                origins.append(try DomainName(text).lowercased())
            } catch {
                throw directive.error("'\(text)' is not a zone: \(error)")
            }
        }
        var config = FileConfig(file: file, path: FileContents.join(setup.baseDirectory, file), origins: origins)
        for property in directive.properties {
            switch property.name {
            case "reload":
                try property.requireArguments(exactly: 1)
                config.reload = try property.duration(at: 0, in: .zero...Duration.seconds(365 * 86_400))
            case "reload_by_mtime":
                try property.noArguments()
                config.reloadByModification = true
            case "fallthrough":
                config.fall = try Fallthrough.parse(property)
            case "upstream":
                continue
            default:
                throw property.unknownProperty()
            }
        }
        return config
    }

    /// Every `file` directive of the block becomes one plugin, as in CoreDNS (where they share a
    /// handler): the first directive's factory loads every zone; the others only check their syntax.
    public static let setup: PluginSetupFunction = { (directive, setup) throws(CorefileError) in
        let siblings = setup.block.directives(named: "file")
        guard siblings.first?.location == directive.location else {
            _ = try parse(directive, in: setup)
            return FilePlugin(configs: [], zones: [])
        }
        var configs: [FileConfig] = []
        var zones: [FilePlugin.LoadedZone] = []
        for sibling in siblings {
            let config = try parse(sibling, in: setup)
            configs.append(config)
            for origin in config.origins {
                zones.append(try FilePlugin.LoadedZone.load(config: config, origin: origin, directive: sibling))
            }
        }
        return FilePlugin(configs: configs, zones: zones)
    }
}
