import Corefile
import DNSWire

/// `prometheus [ADDRESS]`: where `GET /metrics` answers (default `localhost:9153`, as CoreDNS;
/// kubeadm's Corefile says `prometheus :9153`). The `process_*` metrics are always exported, as
/// the Go client exports them for CoreDNS; CoreDNS's `runtime_metrics` (the Go runtime's own
/// metrics) is refused at its line.
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
                // Accepting it would promise metrics that never appear: the Go runtime's have no
                // Swift counterpart, and the process ones are exported without it.
                throw property.error("not supported yet by ClusterDNS: it adds the Go runtime's metrics, which a Swift process has no counterpart for; the process_* metrics are always exported")
            case "tls":
                throw property.error("TLS for /metrics is not supported by ClusterDNS")
            default:
                throw property.unknownProperty()
            }
        }
        return PrometheusConfig(address: address, zones: zones, port: port)
    }
}
