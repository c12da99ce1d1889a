import Corefile

/// `health [ADDRESS] { lameduck DURATION }`: the address of `GET /health` (default `:8080`) and how
/// long to keep answering DNS after SIGTERM.
public struct HealthConfig: Sendable, Equatable {
    public static let defaultAddress = ControlAddress(host: "", port: 8080)

    public let address: ControlAddress
    public let lameduck: Duration

    public init(address: ControlAddress = HealthConfig.defaultAddress, lameduck: Duration = .zero) {
        self.address = address
        self.lameduck = lameduck
    }

    public static let setup: PluginSetupFunction = { (directive, _) throws(CorefileError) in
        HealthPlugin(config: try HealthConfig.parse(directive))
    }

    /// - Throws: `CorefileError` for an address that is not `host:port`, a bad duration, an
    ///   unknown property.
    public static func parse(_ directive: Directive) throws(CorefileError) -> HealthConfig {
        let arguments = try directive.requireArguments(max: 1)
        var address = defaultAddress
        if let text = arguments.first {
            address = try ControlAddress.parse(text, in: directive)
        }
        var lameduck: Duration = .zero
        for property in directive.properties {
            switch property.name {
            case "lameduck":
                let value = try property.requireArguments(exactly: 1)[0]
                lameduck = try property.duration(value, in: .zero...Duration.seconds(24 * 3600))
            default:
                throw property.unknownProperty()
            }
        }
        return HealthConfig(address: address, lameduck: lameduck)
    }
}

extension ControlAddress {
    /// The address in `argument`, or an error at it naming the plugin.
    static func parse(_ argument: Argument, in directive: Directive) throws(CorefileError) -> ControlAddress {
        switch ControlAddress.parse(argument.text) {
        case .success(let address): return address
        case .failure(let error): throw directive.error(error.description, at: argument)
        }
    }
}
