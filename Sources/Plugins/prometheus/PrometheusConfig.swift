import Corefile
import DNSWire

/// `prometheus [ADDRESS] { runtime_metrics }`: where `GET /metrics` answers (default
/// `localhost:9153`, as CoreDNS; kubeadm's Corefile says `prometheus :9153`).
public struct PrometheusConfig: Sendable, Equatable {
    public static let defaultAddress = ControlAddress(host: "localhost", port: 9153)

    public let address: ControlAddress
    /// The block's zones and port: its DNS metrics are exported (CoreDNS records metrics only for
    /// the blocks that enable `prometheus`).
    public let zones: [DomainName]
    public let port: UInt16

    public init(address: ControlAddress = PrometheusConfig.defaultAddress, zones: [DomainName] = [.root], port: UInt16 = 53) {
        self.address = address
        self.zones = zones
        self.port = port
    }

    public static let setup: PluginSetupFunction = { (directive, block) throws(CorefileError) in
        PrometheusPlugin(config: try PrometheusConfig.parse(directive, zones: block.zones, port: block.port))
    }

    /// - Throws: `CorefileError` for an address that is not `host:port`, `tls` (not supported:
    ///   refusing it beats serving metrics in clear text by surprise), an unknown property.
    public static func parse(_ directive: Directive, zones: [DomainName], port: UInt16) throws(CorefileError) -> PrometheusConfig {
        let arguments = try directive.requireArguments(max: 1)
        var address = defaultAddress
        if let text = arguments.first {
            address = try ControlAddress.parse(text, in: directive)
        }
        for property in directive.properties {
            switch property.name {
            case "runtime_metrics":
                // Go runtime metrics have no Swift counterpart; accepted so CoreDNS Corefiles load.
                try property.noArguments()
            case "tls":
                throw property.error("TLS for /metrics is not supported by ClusterDNS")
            default:
                throw property.unknownProperty()
            }
        }
        return PrometheusConfig(address: address, zones: zones, port: port)
    }
}
