#if canImport(Glibc)
import Glibc
#endif
import Corefile
import DNSWire
import SystemCalls

/// The `autopath` directive, typed: which queries it acts on and where search paths come from.
///
/// `autopath [ZONES...] RESOLV-CONF`: one search path for every client, the `search` (or
/// `domain`) line of a resolv.conf-style file, read when the Corefile is loaded.
/// `autopath [ZONES...] @PLUGIN`: a search path per client from a plugin of the same server block
/// implementing `AutoPathProvider` (`@kubernetes`: the client pod's namespace).
public struct AutopathConfig: Sendable, Equatable {
    public enum Source: Sendable, Equatable {
        /// The search domains of a resolv.conf file, lowercase and absolute, first to last.
        case resolvConf(path: String, search: [DomainName])
        /// The directive name of the plugin that gives each client's search path.
        case plugin(String)
    }

    /// Zones whose queries autopath looks at (lowercase); others pass through.
    public var zones: [DomainName]
    public var source: Source

    public init(zones: [DomainName], source: Source) {
        self.zones = zones
        self.source = source
    }

    /// Builds the `autopath` plugin of a server block.
    public static let setup: PluginSetupFunction = { (directive, block) throws(CorefileError) in
        let config = try AutopathConfig.parse(directive, serverBlockZones: block.block.zones,
                                              baseDirectory: block.baseDirectory)
        return AutopathPlugin(config: config, serverLabel: "dns://:\(block.port)", location: directive)
    }

    /// Parses `autopath [ZONES...] RESOLV-CONF|@PLUGIN`; reads the resolv.conf file.
    /// - Parameter baseDirectory: where a relative RESOLV-CONF path is looked up (the Corefile's).
    /// - Throws: `CorefileError` at the directive's line when the source is missing, the file
    ///   cannot be read or names no search domain we can use, or a zone is malformed.
    public static func parse(_ directive: Directive, serverBlockZones: [String],
                             baseDirectory: String) throws(CorefileError) -> AutopathConfig {
        try directive.noBlock()
        let arguments = try directive.requireArguments(min: 1)
        let last = arguments[arguments.count - 1]
        let zoneNames = try directive.zones(from: arguments.dropLast(), orServerBlock: serverBlockZones)
        var zones: [DomainName] = []
        for zone in zoneNames {
            do {
                zones.append(try DomainName(zone).lowercased())
            } catch {
                throw directive.error("'\(zone)' is not a valid zone: \(error)")
            }
        }
        if last.text.hasPrefix("@") {
            let plugin = String(last.text.dropFirst())
            guard !plugin.isEmpty else { throw directive.error("'@' must be followed by a plugin name, as in @kubernetes", at: last) }
            return AutopathConfig(zones: zones, source: .plugin(plugin))
        }
        let path = last.text.hasPrefix("/") ? last.text : baseDirectory + "/" + last.text
        let text: String
        do {
            text = try readTextFile(path)
        } catch {
            throw directive.error("failed to parse \"\(last.text)\": \(error.message)", at: last)
        }
        var search: [DomainName] = []
        for domain in ResolvConfSearch.domains(in: text) {
            guard let name = try? DomainName(domain.hasSuffix(".") ? domain : domain + ".") else {
                throw directive.error("failed to parse \"\(last.text)\": search domain '\(domain)' is not a valid name", at: last)
            }
            let lower = name.lowercased()
            if !search.contains(lower) { search.append(lower) }
        }
        return AutopathConfig(zones: zones, source: .resolvConf(path: path, search: search))
    }

    /// Reads a resolv.conf whole (at most 1 MiB).
    static func readTextFile(_ path: String) throws(SystemError) -> String {
        let contents = try FileReader.read(path: path, limit: 1 << 20)
        if contents.truncated { throw SystemError(errno: EFBIG, call: "read") }
        return contents.text
    }
}

/// The search list of a resolv.conf file, as the resolver (and miekg's `ClientConfigFromFile`)
/// reads it: the last `search` or `domain` line wins; `#` and `;` start comments.
enum ResolvConfSearch {
    static func domains(in text: String) -> [String] {
        var result: [String] = []
        for rawLine in text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            var line = Substring(rawLine)
            if let comment = line.firstIndex(where: { $0 == "#" || $0 == ";" }) { line = line[..<comment] }
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard let keyword = fields.first else { continue }
            switch keyword {
            case "search": result = fields.dropFirst().map(String.init)
            case "domain": result = fields.count > 1 ? [String(fields[1])] : []
            default: continue
            }
        }
        return result
    }
}
