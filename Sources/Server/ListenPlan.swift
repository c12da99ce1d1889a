import DNSWire
import EventLoop
import Plugins

/// Which sockets the server opens for a configuration: one UDP and one TCP listener per distinct
/// address and port. A block without `bind` listens on every address (0.0.0.0 and ::), as
/// CoreDNS does; `bind` narrows it to the addresses given.
struct ListenPlan: Equatable {
    struct Endpoint: Hashable, CustomStringConvertible {
        let address: IPAddress
        let port: UInt16
        var description: String {
            if case .v6 = address { return "[\(address)]:\(port)" }
            return "\(address):\(port)"
        }
    }

    let endpoints: [Endpoint]

    init(_ configuration: ServerConfiguration) {
        var seen = Set<Endpoint>()
        var ordered: [Endpoint] = []
        for block in configuration.blocks {
            let addresses: [IPAddress] = block.bindAddresses.isEmpty
                ? [.v4(IPv4Address(rawValue: 0)), .v6(IPv6Address(high: 0, low: 0))]
                : block.bindAddresses
            for address in addresses {
                let endpoint = Endpoint(address: address, port: block.port)
                if seen.insert(endpoint).inserted { ordered.append(endpoint) }
            }
        }
        endpoints = ordered
    }

    /// The distinct ports.
    var ports: [UInt16] {
        var result: [UInt16] = []
        for endpoint in endpoints where !result.contains(endpoint.port) { result.append(endpoint.port) }
        return result
    }
}
