import Corefile

/// `ready [ADDRESS] { monitor until-ready|continuously }`: where `GET /ready` answers (default
/// `:8181`), and whether a plugin that was ready once is asked again.
public struct ReadyConfig: Sendable, Equatable {
    public enum Monitor: String, Sendable {
        /// A plugin that reported ready is not asked again (CoreDNS's default).
        case untilReady = "until-ready"
        /// Every request asks every plugin: readiness can be lost again.
        case continuously
    }

    public static let defaultAddress = ControlAddress(host: "", port: 8181)

    public let address: ControlAddress
    public let monitor: Monitor

    public init(address: ControlAddress = ReadyConfig.defaultAddress, monitor: Monitor = .untilReady) {
        self.address = address
        self.monitor = monitor
    }

    public static let setup: PluginSetupFunction = { (directive, _) throws(CorefileError) in
        ReadyPlugin(config: try ReadyConfig.parse(directive))
    }

    /// - Throws: `CorefileError` for an address that is not `host:port`, an unknown monitor type
    ///   or property.
    public static func parse(_ directive: Directive) throws(CorefileError) -> ReadyConfig {
        let arguments = try directive.requireArguments(max: 1)
        var address = defaultAddress
        if let text = arguments.first {
            address = try ControlAddress.parse(text, in: directive)
        }
        var monitor = Monitor.untilReady
        for property in directive.properties {
            switch property.name {
            case "monitor":
                let value = try property.requireArguments(exactly: 1)[0]
                guard let parsed = Monitor(rawValue: value.text) else {
                    throw property.error("monitor type '\(value.text)' not supported — expected until-ready or continuously", at: value)
                }
                monitor = parsed
            default:
                throw property.unknownProperty()
            }
        }
        return ReadyConfig(address: address, monitor: monitor)
    }
}
