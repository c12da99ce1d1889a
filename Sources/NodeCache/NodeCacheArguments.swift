/// node-cache's command line, read as `clusterdns node-cache`'s: the stock DaemonSet passes
/// Go-style flags (`-localip 169.254.20.10,10.96.0.10 -conf /etc/Corefile -upstreamsvc
/// kube-dns-upstream`), which swift-argument-parser would read as clusters of short options.
/// `translate` rewrites each flag node-cache knows into this command's long option, before parsing;
/// everything else passes through unchanged.
///
/// Go's `flag` package accepts `-name`, `--name`, `-name=value` and `-name value`; a boolean is
/// `-name` (true) or `-name=BOOL` (never a separate word).
package enum NodeCacheArguments {
    enum Spelling {
        case value(String)
        case bool(on: String, off: String?)
    }

    static let flags: [String: Spelling] = [
        "localip": .value("--local-ip"),
        "interfacename": .value("--interface-name"),
        "syncinterval": .value("--sync-interval"),
        "initialdelay": .value("--initial-delay"),
        "metrics-listen-address": .value("--metrics-listen-address"),
        "basecorefile": .value("--basecorefile"),
        "corefile": .value("--corefile"),
        "conf": .value("--corefile"),
        "kubednscm": .value("--kubednscm"),
        "upstreamsvc": .value("--upstream-svc"),
        "health-port": .value("--health-port"),
        "pidfile": .value("--pidfile"),
        "dns.port": .value("--dns-port"),
        "setupinterface": .bool(on: "--setup-interface", off: "--no-setup-interface"),
        "setupiptables": .bool(on: "--setup-iptables", off: "--no-setup-iptables"),
        "setupebtables": .bool(on: "--setup-ebtables", off: nil),
        "skipteardown": .bool(on: "--skip-teardown", off: nil),
    ]

    /// A node-cache boolean flag with a value Go's `strconv.ParseBool` refuses.
    package struct BadBool: Error, Equatable, CustomStringConvertible {
        package let flag: String
        package let value: String
        package init(flag: String, value: String) {
            self.flag = flag
            self.value = value
        }
        package var description: String { "invalid boolean value \"\(value)\" for -\(flag)" }
    }

    /// The arguments after `node-cache`, with node-cache's flags in this command's spelling.
    /// - Throws: `BadBool` for `-setupiptables=maybe`.
    package static func translate(_ arguments: [String]) throws(BadBool) -> [String] {
        var result: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if argument == "--" {
                result += arguments[(index - 1)...]
                break
            }
            guard argument.hasPrefix("-"), argument != "-" else {
                result.append(argument)
                continue
            }
            var body = argument.dropFirst()
            if body.hasPrefix("-") { body = body.dropFirst() }
            var name = body
            var inlineValue: Substring?
            if let equals = body.firstIndex(of: "=") {
                name = body[..<equals]
                inlineValue = body[body.index(after: equals)...]
            }
            guard let spelling = flags[String(name)] else {
                result.append(argument)
                continue
            }
            switch spelling {
            case .value(let long):
                if let inlineValue {
                    result.append("\(long)=\(inlineValue)")
                } else {
                    result.append(long)
                }
            case .bool(let on, let off):
                var value = true
                if let inlineValue {
                    guard let parsed = parseBool(inlineValue) else { throw BadBool(flag: String(name), value: String(inlineValue)) }
                    value = parsed
                }
                if value {
                    result.append(on)
                } else if let off {
                    result.append(off)
                }
            }
        }
        return result
    }

    /// Go's `strconv.ParseBool`.
    static func parseBool(_ text: Substring) -> Bool? {
        switch text {
        case "1", "t", "T", "true", "TRUE", "True": true
        case "0", "f", "F", "false", "FALSE", "False": false
        default: nil
        }
    }

    /// A duration as node-cache's flags take it: Go's `time.ParseDuration` text (`60s`, `1m30s`,
    /// `500ms`), or a bare number of seconds (node-cache multiplies its `-syncinterval` by a second).
    /// - Returns: nil for anything else, or a negative value.
    package static func parseDuration(_ text: String) -> Duration? {
        if let seconds = Int64(text), seconds >= 0 { return .seconds(seconds) }
        let units: [(String, Double)] = [("ns", 1e-9), ("us", 1e-6), ("µs", 1e-6), ("ms", 1e-3), ("s", 1), ("m", 60), ("h", 3600)]
        var rest = Substring(text)
        var total = 0.0
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            guard !number.isEmpty, let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            let unitText = rest.prefix { !$0.isNumber && $0 != "." }
            guard let unit = units.first(where: { $0.0 == unitText }) else { return nil }
            rest = rest.dropFirst(unitText.count)
            total += value * unit.1
        }
        guard total.isFinite, total < 1e9 else { return nil }
        return .nanoseconds(Int64(total * 1e9))
    }
}
