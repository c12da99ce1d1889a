import Corefile
import DNSWire

#if canImport(Glibc)
import Glibc
#endif

/// `bind ADDRESS|INTERFACE... { except ADDRESS... }`: the addresses a server block listens on,
/// instead of every address. Interface names expand to the interface's addresses when the
/// Corefile is loaded. Allowed several times per block; the lists add up.
public final class BindPlugin: PluginFactory, ListenAddressProvider, @unchecked Sendable {
    // @unchecked: immutable after setup.
    public let name = "bind"
    public let listenAddresses: [IPAddress]

    init(addresses: [IPAddress]) { listenAddresses = addresses }

    public func makeHandler(worker: WorkerContext) -> (any PluginHandler)? { nil }

    public static let setup: PluginSetupFunction = { (directive, _) throws(CorefileError) in
        let arguments = try directive.requireArguments(min: 1)
        var addresses: [IPAddress] = []
        for argument in arguments {
            if let address = IPAddress(argument.text) {
                addresses.append(address)
            } else {
                let found = BindPlugin.interfaceAddresses(argument.text)
                guard !found.isEmpty else {
                    throw directive.error("'\(argument.text)' is neither an IP address nor an interface with addresses", at: argument)
                }
                addresses += found
            }
        }
        var excluded: [IPAddress] = []
        for property in directive.properties {
            guard property.name == "except" else { throw property.unknownProperty() }
            for argument in try property.requireArguments(min: 1) {
                guard let address = IPAddress(argument.text) else {
                    throw property.error("'\(argument.text)' is not an IP address", at: argument)
                }
                excluded.append(address)
            }
        }
        var unique: [IPAddress] = []
        for address in addresses where !excluded.contains(address) && !unique.contains(address) { unique.append(address) }
        guard !unique.isEmpty else { throw directive.error("every address is excluded: nothing to listen on") }
        return BindPlugin(addresses: unique)
    }

    /// The IPv4 and IPv6 addresses of the interface `name` (link-local IPv6 excluded: a DNS
    /// server bound there needs a scope, which a Corefile cannot give).
    static func interfaceAddresses(_ name: String) -> [IPAddress] {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0, let first = list else { return [] }
        defer { freeifaddrs(list) }
        var result: [IPAddress] = []
        var cursor: UnsafeMutablePointer<ifaddrs>? = first
        while let entry = cursor {
            defer { cursor = entry.pointee.ifa_next }
            guard let cName = entry.pointee.ifa_name, String(cString: cName) == name,
                  let address = entry.pointee.ifa_addr else { continue }
            switch Int32(address.pointee.sa_family) {
            case AF_INET:
                let v4 = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr.s_addr }
                result.append(.v4(IPv4Address(rawValue: UInt32(bigEndian: v4))))
            case AF_INET6:
                let bytes = address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { p in
                    withUnsafeBytes(of: p.pointee.sin6_addr) { Array($0) }
                }
                let v6 = IPv6Address(octets: bytes)
                if v6.high >> 54 != 0x3FA { result.append(.v6(v6)) }   // skip fe80::/10
            default:
                continue
            }
        }
        return result
    }
}
