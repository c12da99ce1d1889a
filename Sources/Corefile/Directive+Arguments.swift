/// Argument-count and shape checks that every plugin's config parser uses, with errors located at
/// the directive (or the offending argument) and naming the plugin.
///
/// Errors about a nested property carry the property name first:
/// `Corefile:9: plugin/kubernetes: ttl: expected 1 argument, found 2`.
extension Directive {
    /// The argument at `index`, or `nil` when there are fewer.
    public func argument(_ index: Int) -> Argument? {
        arguments.indices.contains(index) ? arguments[index] : nil
    }

    /// Checks `min ≤ arguments.count ≤ max` (`max` nil: no upper bound) and returns the arguments.
    ///
    /// - Throws: `.argument` error at the first extra argument, or at the directive when too few.
    @discardableResult
    public func requireArguments(min: Int = 0, max: Int? = nil) throws(CorefileError) -> [Argument] {
        let count = arguments.count
        if count >= min, max.map({ count <= $0 }) ?? true { return arguments }
        let expected: String
        switch (min, max) {
        case (0, 0?): expected = "no arguments"
        case (0, let upper?): expected = "at most \(Self.counted(upper, "argument"))"
        case (_, let upper?) where upper == min: expected = Self.counted(min, "argument")
        case (_, let upper?): expected = "\(min) to \(Self.counted(upper, "argument"))"
        case (_, nil): expected = "at least \(Self.counted(min, "argument"))"
        }
        if let max, count > max {
            throw error("expected \(expected), found \(count) ('\(arguments[max].text)' is one too many)", at: arguments[max])
        }
        throw error("expected \(expected), found \(count)")
    }

    /// Checks there are exactly `count` arguments and returns them.
    @discardableResult
    public func requireArguments(exactly count: Int) throws(CorefileError) -> [Argument] {
        try requireArguments(min: count, max: count)
    }

    /// Checks the directive is bare: no arguments (`loop`, `pods` is not bare: `pods insecure`).
    public func noArguments() throws(CorefileError) {
        try requireArguments(min: 0, max: 0)
    }

    /// Checks there is no nested block (`ready`, `loadbalance`…).
    public func noBlock() throws(CorefileError) {
        if block != nil {
            throw error("unexpected block — '\(name)' takes no '{ … }'")
        }
    }

    /// The argument at `index`, or an error saying which argument is missing.
    public func requiredArgument(_ index: Int, _ what: String) throws(CorefileError) -> Argument {
        guard let argument = argument(index) else {
            throw error("missing \(what) (argument \(index + 1))")
        }
        return argument
    }

    /// An `.argument` error about this directive, at its line.
    public func error(_ message: String) -> CorefileError {
        CorefileError(.argument, at: location, directive: plugin, isNested ? "\(name): \(message)" : message)
    }

    /// An `.argument` error about `argument` of this directive, at the argument's line.
    public func error(_ message: String, at argument: Argument) -> CorefileError {
        CorefileError(.argument, at: argument.location, directive: plugin, isNested ? "\(name): \(message)" : message)
    }

    /// The error for a property the plugin does not know: `plugin/cache: unknown property 'foo'`,
    /// at the property's line. Call it on the nested directive.
    public func unknownProperty() -> CorefileError {
        CorefileError(.argument, at: location, directive: plugin, "unknown property '\(name)'")
    }

    private static func counted(_ count: Int, _ noun: String) -> String {
        count == 1 ? "1 \(noun)" : "\(count) \(noun)s"
    }
}
