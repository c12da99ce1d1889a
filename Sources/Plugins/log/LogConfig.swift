import Corefile
import DNSWire

/// One `log` rule: the names it covers, the response classes it logs, and its line format.
public struct LogRule: Sendable, Equatable {
    /// Queries for this name or below are logged by this rule (lowercase).
    public let scope: DomainName
    /// The classes logged; `.all` among them logs every response.
    public let classes: Set<LogClass>
    public let format: LogFormat

    public init(scope: DomainName, classes: Set<LogClass> = [.all], format: LogFormat = LogFormat(LogFormat.common)) {
        self.scope = scope.lowercased()
        self.classes = classes
        self.format = format
    }

    /// True when every response is logged, so the response need not be classified.
    var logsAll: Bool { classes.contains(.all) }
}

/// `log [NAMES...] [FORMAT] { class CLASSES... }`, possibly several times in a block.
///
/// CoreDNS gathers every `log` line of a server block into one plugin whose rules are tried in
/// order: a query is logged by the first rule whose name covers it, and only by that one. Here
/// every `log` directive runs its own setup, so the first one of a block reads all of them and
/// the others configure nothing (`LogConfig.isPrimary`).
public struct LogConfig: Sendable, Equatable {
    public let rules: [LogRule]
    /// False for the second and later `log` lines of a block: their rules are in the first one's.
    public let isPrimary: Bool

    public init(rules: [LogRule], isPrimary: Bool = true) {
        self.rules = rules
        self.isPrimary = isPrimary
    }

    public static let setup: PluginSetupFunction = { (directive, block) throws(CorefileError) in
        let config = try LogConfig.parse(directive, in: block.block)
        return LogPlugin(config: config)
    }

    /// Reads `directive`; when it is the block's first `log`, reads every `log` of `block` too.
    /// - Throws: `CorefileError` for a bad name, an unknown class or property.
    public static func parse(_ directive: Directive, in block: ServerBlock?) throws(CorefileError) -> LogConfig {
        let all = block?.directives.filter { $0.name == directive.name } ?? [directive]
        guard let first = all.first, first.location == directive.location else {
            // Validate this line on its own all the same, so its errors point at it.
            _ = try rules(of: directive)
            return LogConfig(rules: [], isPrimary: false)
        }
        var rules: [LogRule] = []
        for line in all { rules += try LogConfig.rules(of: line) }
        return LogConfig(rules: rules, isPrimary: true)
    }

    /// The rules of one `log` line, as CoreDNS's `logParse` reads them.
    static func rules(of directive: Directive) throws(CorefileError) -> [LogRule] {
        var names: [Argument] = directive.arguments
        var format = LogFormat(LogFormat.common)
        // A last argument with a brace is the format. CoreDNS looks for it only when there are
        // two arguments or more, so its `log {combined}` logs nothing (it reads a name
        // "{combined}."); here a lone format argument is a format.
        if let last = names.last, last.text.contains("{") {
            format = LogFormat(last.text)
            names.removeLast()
        }
        var scopes: [DomainName] = []
        for name in names {
            do {
                scopes.append(try DomainName(name.text).lowercased())
            } catch {
                throw directive.error("'\(name.text)' is not a domain name: \(error)", at: name)
            }
        }
        if scopes.isEmpty { scopes = [.root] }
        var classes: Set<LogClass> = []
        for property in directive.properties {
            switch property.name {
            case "class":
                let arguments = try property.requireArguments(min: 1)
                for argument in arguments {
                    guard let value = LogClass(argument.text) else {
                        throw property.error("invalid class '\(argument.text)' — expected all, success, denial or error", at: argument)
                    }
                    classes.insert(value)
                }
            default:
                throw property.unknownProperty()
            }
        }
        if classes.isEmpty { classes = [.all] }
        return scopes.map { LogRule(scope: $0, classes: classes, format: format) }
    }
}
