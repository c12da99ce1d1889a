/// Typed readings of arguments (integers in a range, durations, booleans, zones), each failing
/// with an error that quotes the bad text and names the directive and line.
extension Directive {
    /// The argument as a decimal integer within `range` (`ttl 0..3600`: `integer(arg, in: 0...3600)`).
    ///
    /// Accepts an optional sign, as Go's `strconv.Atoi` does.
    public func integer(_ argument: Argument, in range: ClosedRange<Int>) throws(CorefileError) -> Int {
        guard let value = Int(argument.text) else {
            throw error("'\(argument.text)' is not an integer — expected one in \(range.lowerBound)...\(range.upperBound)", at: argument)
        }
        guard range.contains(value) else {
            throw error("\(value) is out of range — expected an integer in \(range.lowerBound)...\(range.upperBound)", at: argument)
        }
        return value
    }

    /// The argument at `index` as an integer within `range`; missing is an error.
    public func integer(at index: Int, in range: ClosedRange<Int>) throws(CorefileError) -> Int {
        try integer(requiredArgument(index, "integer"), in: range)
    }

    /// The argument as a Go duration (`5s`, `1m30s`, `500ms`, `0`), optionally within `range`.
    public func duration(_ argument: Argument, in range: ClosedRange<Duration>? = nil) throws(CorefileError) -> Duration {
        let value: Duration
        do {
            value = try CorefileDuration.parse(argument.text)
        } catch {
            throw self.error(error.description, at: argument)
        }
        if let range, !range.contains(value) {
            throw error(
                "duration \(argument.text) is out of range — expected \(CorefileDuration.format(range.lowerBound)) to \(CorefileDuration.format(range.upperBound))",
                at: argument)
        }
        return value
    }

    /// The argument at `index` as a duration; missing is an error.
    public func duration(at index: Int, in range: ClosedRange<Duration>? = nil) throws(CorefileError) -> Duration {
        try duration(requiredArgument(index, "duration"), in: range)
    }

    /// The argument as a boolean, with the spellings of Go's `strconv.ParseBool`
    /// (`1 t T TRUE true True` / `0 f F FALSE false False`) plus `yes`/`no` and `on`/`off`.
    public func boolean(_ argument: Argument) throws(CorefileError) -> Bool {
        switch argument.text {
        case "1", "t", "T", "TRUE", "true", "True", "yes", "on": return true
        case "0", "f", "F", "FALSE", "false", "False", "no", "off": return false
        default:
            throw error("'\(argument.text)' is not a boolean — expected true or false", at: argument)
        }
    }

    /// The zones an argument stands for, normalized like server block keys (lowercase FQDN; a CIDR
    /// expands to its reverse zones; a `dns://` prefix and a `:port` suffix are dropped), as
    /// CoreDNS's `plugin.Host.NormalizeExact` does for plugin arguments such as
    /// `kubernetes cluster.local 10.0.0.0/8`.
    public func zones(_ argument: Argument) throws(CorefileError) -> [String] {
        do {
            return try ServerKey.resolve(argument.text, defaultPort: 53).zones
        } catch {
            throw self.error("'\(argument.text)' is not a zone: \(error.message)", at: argument)
        }
    }

    /// The zones of `arguments` (in order, without duplicates), or `serverBlockZones` when there are
    /// none: CoreDNS's `OriginsFromArgsOrServerBlock`.
    public func zones(from arguments: some Collection<Argument>, orServerBlock serverBlockZones: [String]) throws(CorefileError) -> [String] {
        if arguments.isEmpty { return serverBlockZones }
        var result: [String] = []
        for argument in arguments {
            for zone in try zones(argument) where !result.contains(zone) {
                result.append(zone)
            }
        }
        return result
    }
}
