import Corefile
import DNSWire

/// `rewrite [continue|stop] name [exact|prefix|suffix|substring|regex] FROM TO [answer auto |
/// answer name FROM TO | answer value FROM TO]...`, or the same with the rule in a block
/// (`rewrite stop { name regex … \n answer name … }`), as CoreDNS's *rewrite*.
///
/// Only `name` rules are supported; `type`, `class`, `edns0`, `ttl`, `cname` and `rcode` rules
/// are rejected as not supported yet, naming the kind. Every `rewrite` line of a server block
/// belongs to one plugin instance and its rules apply in line order (CoreDNS does the same).
public enum RewriteConfig {
    /// Longest regex accepted (CoreDNS's limit against pathological patterns).
    public static let maxRegexLength = 10_000

    static let unsupportedKinds: Set<String> = ["type", "class", "edns0", "ttl", "cname", "rcode"]

    public static let setup: PluginSetupFunction = { (directive, setup) throws(CorefileError) in
        let siblings = setup.block.directives(named: "rewrite")
        guard siblings.first?.location == directive.location else {
            _ = try parse(directive)
            return RewritePlugin(rules: [])
        }
        var rules: [NameRule] = []
        for sibling in siblings { rules.append(try parse(sibling)) }
        return RewritePlugin(rules: rules)
    }

    /// Reads one `rewrite` directive into its rule.
    /// - Throws: `CorefileError` at the directive.
    public static func parse(_ directive: Directive) throws(CorefileError) -> NameRule {
        var args = directive.arguments.map(\.text)
        if let block = directive.block {
            guard args.count < 2 else {
                throw directive.error("a rule is given on the line or in a block, not both")
            }
            for property in block { args += flatten(property) }
        }
        var mode = NameRule.Mode.stop
        if let first = args.first, let explicit = NameRule.Mode(rawValue: first.lowercased()) {
            mode = explicit
            args.removeFirst()
            guard !args.isEmpty else { throw directive.error("\(explicit.rawValue) rule must begin with a rule type") }
        }
        guard let kind = args.first?.lowercased() else { throw directive.error("no rule type specified for rewrite") }
        if kind == "answer" { throw directive.error("response rewrites must begin with a name rule") }
        if unsupportedKinds.contains(kind) {
            throw directive.error("'\(kind)' rules are not supported yet by ClusterDNS (only 'name' rules are)")
        }
        guard kind == "name" else { throw directive.error("invalid rule type '\(args[0])'") }
        return try nameRule(Array(args.dropFirst()), mode: mode, directive: directive)
    }

    /// A block's tokens in order, as CoreDNS collects them.
    static func flatten(_ property: Directive) -> [String] {
        [property.name] + property.arguments.map(\.text) + property.properties.flatMap(flatten)
    }

    static func nameRule(_ args: [String], mode: NameRule.Mode, directive: Directive) throws(CorefileError) -> NameRule {
        guard args.count >= 2 else { throw directive.error("too few arguments for a name rule") }
        let match: NameRule.Match
        let from: String
        let to: String
        if args.count == 2 {
            match = .exact
            from = normalize(args[0])
            to = normalize(args[1])
        } else {
            guard let kind = NameRule.Match(rawValue: args[0].lowercased()) else {
                throw directive.error("name rule supports only exact, prefix, suffix, substring, and regex name matching, received: \(args[0])")
            }
            match = kind
            if kind == .regex {
                try validateRegex(args[1], replacement: args[2], directive: directive)
                from = args[1]
            } else {
                from = normalize(args[1])
            }
            to = normalize(args[2])
        }
        var auto = match == .exact
        var names: [NameRule.AnswerRewrite] = []
        var values: [NameRule.AnswerRewrite] = []
        if args.count > 3 {
            let answers = Array(args[3...])
            guard answers.count >= 2 else { throw directive.error("invalid arguments for name rule: '\(answers.joined(separator: " "))'") }
            var i = 0
            var last = ""
            while i < answers.count {
                if last.isEmpty && answers[i] != "answer" {
                    throw directive.error("exceeded the number of arguments for a non-answer rule argument for name rule")
                }
                if answers[i] == "answer" { i += 1 }
                guard i < answers.count else { throw directive.error("type missing for answer rule for name rule") }
                last = answers[i]
                i += 1
                switch last {
                case "auto":
                    auto = true
                case "name", "value":
                    guard answers.count - i >= 2 else { throw directive.error("\(last) answer rule for name rule: 2 arguments required") }
                    try validateRegex(answers[i], replacement: answers[i + 1], directive: directive)
                    let rewrite = NameRule.AnswerRewrite(pattern: answers[i], replacement: normalize(answers[i + 1]))
                    if last == "name" { names.append(rewrite) } else { values.append(rewrite) }
                    i += 2
                default:
                    throw directive.error("invalid type '\(last)' for answer rule for name rule")
                }
            }
            if answers.contains("auto") && !names.isEmpty {
                throw directive.error("auto name answer rule cannot be combined with explicit name answer rules")
            }
        }
        return NameRule(mode: mode, match: match, from: from, to: to, auto: auto, answerNames: names, answerValues: values)
    }

    /// CoreDNS's `plugin.Name.Normalize`: lowercase, with a trailing dot.
    static func normalize(_ text: String) -> String {
        let lower = text.lowercased()
        return lower.hasSuffix(".") ? lower : lower + "."
    }

    /// The pattern compiles, is not too long, and the replacement uses no group it lacks.
    static func validateRegex(_ pattern: String, replacement: String, directive: Directive) throws(CorefileError) {
        guard pattern.utf8.count <= maxRegexLength else {
            throw directive.error("regex pattern too long: \(pattern.utf8.count) > \(maxRegexLength)")
        }
        do {
            _ = try Regex(pattern)
        } catch {
            throw directive.error("invalid regex matching pattern: \(pattern)")
        }
        let groups = captureGroupCount(pattern)
        for index in 0...100 where replacement.contains("{\(index)}") && index > groups {
            throw directive.error("the rewrite regex pattern (\(replacement)) uses more subexpressions than its corresponding matching regex pattern (\(pattern))")
        }
    }

    /// Capturing groups in a pattern: `(` not escaped, not in a character class, and not `(?:`
    /// or another non-capturing `(?` form (named groups `(?<n>` and `(?P<n>` count).
    static func captureGroupCount(_ pattern: String) -> Int {
        let bytes = Array(pattern.utf8)
        var count = 0
        var i = 0
        var inClass = false
        while i < bytes.count {
            let c = bytes[i]
            if c == UInt8(ascii: "\\") {
                i += 2
                continue
            }
            if inClass {
                if c == UInt8(ascii: "]") { inClass = false }
            } else if c == UInt8(ascii: "[") {
                inClass = true
            } else if c == UInt8(ascii: "(") {
                if i + 1 < bytes.count && bytes[i + 1] == UInt8(ascii: "?") {
                    let next = i + 2 < bytes.count ? bytes[i + 2] : 0
                    let afterNext = i + 3 < bytes.count ? bytes[i + 3] : 0
                    if (next == UInt8(ascii: "<") && afterNext != UInt8(ascii: "=") && afterNext != UInt8(ascii: "!"))
                        || next == UInt8(ascii: "P") || next == UInt8(ascii: "'") {
                        count += 1
                    }
                } else {
                    count += 1
                }
            }
            i += 1
        }
        return count
    }
}
