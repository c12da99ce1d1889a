import Corefile
import Logging

/// `errors [stdout] { consolidate DURATION REGEXP [LEVEL] [show_first] }`. CoreDNS's
/// `stacktrace` (a stack trace of a recovered panic) is refused at its line: Swift traps instead
/// of panicking, so there is nothing to recover and print.
public struct ErrorsConfig: Sendable {
    /// One `consolidate` line: errors whose text matches `regex` are counted for `period` after
    /// the first one, then summed up in one line at `level`.
    public struct Consolidation: Sendable {
        public let period: Duration
        /// The expression as written, quoted in the summary line.
        public let pattern: String
        nonisolated(unsafe) public let regex: Regex<AnyRegexOutput>
        // nonisolated(unsafe): a compiled Regex is immutable and only matched against (read).
        public let level: Logger.Level
        /// Log the first error at once, and a summary only when more followed.
        public let showFirst: Bool
    }

    public let consolidations: [Consolidation]

    public init(consolidations: [Consolidation] = []) {
        self.consolidations = consolidations
    }

    /// CoreDNS refuses longer expressions (their compilation could exhaust memory).
    public static let maxPatternLength = 10_000

    public static let setup: PluginSetupFunction = { (directive, _) throws(CorefileError) in
        ErrorsPlugin(config: try ErrorsConfig.parse(directive))
    }

    /// - Throws: `CorefileError` for a log target other than stdout, a bad duration, expression,
    ///   level or option, or an unknown property.
    public static func parse(_ directive: Directive) throws(CorefileError) -> ErrorsConfig {
        let arguments = try directive.requireArguments(max: 1)
        if let target = arguments.first, target.text != "stdout" {
            throw directive.error("invalid log file: \(target.text)", at: target)
        }
        var consolidations: [Consolidation] = []
        for property in directive.properties {
            switch property.name {
            case "stacktrace":
                throw property.error("not supported yet by ClusterDNS: Swift has no recoverable panics to print a stack trace of")
            case "consolidate":
                consolidations.append(try parseConsolidate(property))
            default:
                throw property.unknownProperty()
            }
        }
        return ErrorsConfig(consolidations: consolidations)
    }

    static func parseConsolidate(_ property: Directive) throws(CorefileError) -> Consolidation {
        let arguments = try property.requireArguments(min: 2, max: 4)
        let period = try property.duration(arguments[0], in: .nanoseconds(1)...Duration.seconds(1 << 40))
        let pattern = arguments[1].text
        guard pattern.utf8.count <= maxPatternLength else {
            throw property.error("regex pattern too long: \(pattern.utf8.count) > \(maxPatternLength)", at: arguments[1])
        }
        let regex: Regex<AnyRegexOutput>
        do {
            regex = try Regex(pattern)
        } catch {
            throw property.error("invalid regular expression '\(pattern)': \(error)", at: arguments[1])
        }
        var level: Logger.Level?
        var showFirst = false
        for option in arguments.dropFirst(2) {
            let named: Logger.Level? = switch option.text {
            case "warning": .warning
            case "error": .error
            case "info": .info
            case "debug": .debug
            default: nil
            }
            if let named {
                if level != nil { throw property.error("multiple log levels specified in consolidate", at: option) }
                if showFirst { throw property.error("log level must come before show_first in consolidate", at: option) }
                level = named
            } else if option.text == "show_first" {
                showFirst = true
            } else {
                throw property.error("unknown option in consolidate: \(option.text)", at: option)
            }
        }
        return Consolidation(period: period, pattern: pattern, regex: regex, level: level ?? .error, showFirst: showFirst)
    }
}
