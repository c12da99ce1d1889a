import Corefile
import DNSWire
import ZoneFile

/// `hosts [FILE [ZONES...]] { [INLINE...] ttl SECONDS; no_reverse; reload DURATION;
/// fallthrough [ZONES...]; fallthrough_unsupported }`, as CoreDNS's *hosts*.
///
/// FILE defaults to /etc/hosts (relative paths are taken from the Corefile's directory); ZONES to
/// the server block's. TTL 3600 (1–65535), reload every 5 s (0 turns it off). Lines in the block
/// that are not properties are hosts entries, up to the `fallthrough` line. One difference: an
/// inline line whose first word is not an address is an error here (CoreDNS skips it silently,
/// which hides a mistyped property).
public struct HostsConfig: Sendable {
    public static let defaultFile = "/etc/hosts"

    /// The hosts file as the Corefile names it, and as opened.
    public var file: String = HostsConfig.defaultFile
    public var path: String = HostsConfig.defaultFile
    public var zones: [DomainName] = []
    /// Inline entries, one hosts line each.
    public var inline: [String] = []
    public var ttl: UInt32 = 3600
    public var reverse = true
    public var reload: Duration = .seconds(5)
    public var fall: Fallthrough = .never
    /// `fallthrough_unsupported`: types other than A/AAAA/PTR for known names go to the next
    /// plugin instead of NODATA (needs `fallthrough`, within its zones).
    public var fallthroughUnsupported = false

    public static let setup: PluginSetupFunction = { (directive, setup) throws(CorefileError) in
        HostsPlugin(config: try parse(directive, in: setup))
    }

    /// Reads the `hosts` directive.
    /// - Throws: `CorefileError` at the directive or the offending line of its block.
    public static func parse(_ directive: Directive, in setup: BlockSetup) throws(CorefileError) -> HostsConfig {
        var config = HostsConfig()
        var zoneTexts = setup.zones.map(\.description)
        if let file = directive.argument(0) {
            config.file = file.text
            config.path = FileContents.join(setup.baseDirectory, file.text)
            zoneTexts = try directive.zones(from: directive.arguments.dropFirst(), orServerBlock: zoneTexts)
        }
        for text in zoneTexts {
            do {
                config.zones.append(try DomainName(text).lowercased())
            } catch {
                throw directive.error("'\(text)' is not a zone: \(error)")
            }
        }
        var sawFallthrough = false
        for property in directive.properties {
            switch property.name {
            case "fallthrough":
                config.fall = try Fallthrough.parse(property)
                sawFallthrough = true
            case "fallthrough_unsupported":
                try property.noArguments()
                config.fallthroughUnsupported = true
            case "no_reverse":
                try property.noArguments()
                config.reverse = false
            case "ttl":
                try property.requireArguments(exactly: 1)
                config.ttl = UInt32(try property.integer(at: 0, in: 1...65_535))
            case "reload":
                try property.requireArguments(exactly: 1)
                config.reload = try property.duration(at: 0, in: .zero...Duration.seconds(365 * 86_400))
            default:
                guard !sawFallthrough else { throw property.unknownProperty() }
                guard HostsTable.address(Substring(property.name)) != nil else {
                    throw CorefileError(.argument, at: property.location, directive: "hosts",
                                        "unknown property '\(property.name)' (an inline hosts entry starts with an IP address)")
                }
                guard !property.arguments.isEmpty else {
                    throw CorefileError(.argument, at: property.location, directive: "hosts",
                                        "inline hosts entry '\(property.name)' has no host name")
                }
                config.inline.append(([property.name] + property.arguments.map(\.text)).joined(separator: " "))
            }
        }
        if config.fallthroughUnsupported && sawFallthrough == false {
            throw directive.error("fallthrough_unsupported requires fallthrough")
        }
        return config
    }
}
