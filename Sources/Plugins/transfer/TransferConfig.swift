import Corefile
import DNSWire

/// `transfer [ZONES...] { to ADDRESS... }`, as CoreDNS's *transfer*: which zones may be sent
/// whole (AXFR, and IXFR answered in full or as "up to date") and to whom.
///
/// ZONES default to the server block's. `to` may be given several times; each ADDRESS is `*`
/// (anyone) or an IP address, optionally with a port (CoreDNS uses it for NOTIFY, which
/// ClusterDNS does not send; only the address is compared). A block without `to` lets no one
/// transfer, so it is refused rather than accepted and useless.
public struct TransferConfig: Sendable, Equatable {
    public var zones: [DomainName]
    /// Peers allowed to transfer; empty with `anyone`.
    public var allowed: [IPAddress]
    public var anyone: Bool

    public static let setup: PluginSetupFunction = { (directive, block) throws(CorefileError) in
        TransferPlugin(config: try parse(directive, serverZones: block.zones))
    }

    /// - Throws: `CorefileError` at the line of a bad zone, address or property, or at the
    ///   directive when no `to` line is given.
    public static func parse(_ directive: Directive, serverZones: [DomainName]) throws(CorefileError) -> TransferConfig {
        let texts = try directive.zones(from: directive.arguments, orServerBlock: serverZones.map(\.description))
        var zones: [DomainName] = []
        for text in texts {
            do { zones.append(try DomainName(text).lowercased()) } catch {
                throw directive.error("'\(text)' is not a zone: \(error)")
            }
        }
        var config = TransferConfig(zones: zones, allowed: [], anyone: false)
        var sawTo = false
        for property in directive.properties {
            switch property.name {
            case "to":
                let arguments = try property.requireArguments(min: 1)
                sawTo = true
                for argument in arguments {
                    if argument.text == "*" {
                        config.anyone = true
                        continue
                    }
                    guard let address = TransferConfig.address(argument.text) else {
                        throw property.error("'\(argument.text)' is not an IP address (or IP:port, or *)", at: argument)
                    }
                    if !config.allowed.contains(address) { config.allowed.append(address) }
                }
            default:
                throw property.unknownProperty()
            }
        }
        guard sawTo else { throw directive.error("no 'to' line: name who may transfer ('to *' for anyone)") }
        return config
    }

    /// `10.0.0.1`, `10.0.0.1:53`, `fd00::1`, `[fd00::1]:53`.
    static func address(_ text: String) -> IPAddress? {
        if let plain = IPAddress(text) { return plain }
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            return IPAddress(text[text.index(after: text.startIndex)..<close])
        }
        if let colon = text.lastIndex(of: ":"), text.firstIndex(of: ":") == colon, UInt16(text[text.index(after: colon)...]) != nil {
            return IPAddress(text[..<colon])
        }
        return nil
    }

    /// True when `peer` may transfer.
    public func allows(_ peer: IPAddress) -> Bool { anyone || allowed.contains(peer) }
}
