import DNSWire

/// Where the cluster tier is: the `<NAME>_SERVICE_HOST` / `<NAME>_SERVICE_PORT` variables the
/// kubelet puts in every container's environment for each Service of its namespace (Kubernetes'
/// "Environment variables" service discovery), for the Service `--upstream-svc` names
/// (`kube-dns-upstream`). Only the environment: the node cache opens no API watch.
package enum ClusterTier {
    /// `kube-dns-upstream` → `KUBE_DNS_UPSTREAM_SERVICE_HOST` (upper case, `-` → `_`), as the kubelet
    /// names it.
    package static func hostVariable(service: String) -> String { prefix(service) + "_SERVICE_HOST" }
    package static func portVariable(service: String) -> String { prefix(service) + "_SERVICE_PORT" }

    static func prefix(_ service: String) -> String {
        String(service.uppercased().map { $0 == "-" || $0 == "." ? "_" : $0 })
    }

    /// The `forward` target for the cluster tier.
    /// - Parameters:
    ///   - override: `--cluster-dns` (`IP` or `IP:PORT` or `[IPv6]:PORT`), used instead of the environment.
    ///   - service: the Service whose variables name the tier.
    ///   - environment: the process environment.
    /// - Returns: nil when neither names it (the template may not need it).
    /// - Throws: `NodeCacheError.badClusterDNS` for a value that is not an address.
    package static func target(override: String?, service: String,
                              environment: [String: String]) throws(NodeCacheError) -> String? {
        if let override {
            return try parseTarget(override, variable: "--cluster-dns")
        }
        let hostName = hostVariable(service: service)
        guard let host = environment[hostName], !host.isEmpty else { return nil }
        guard let address = IPAddress(host) else { throw .badClusterDNS(variable: hostName, value: host) }
        let portName = portVariable(service: service)
        var port: UInt16 = 53
        if let text = environment[portName], !text.isEmpty {
            guard let value = UInt16(text), value > 0 else { throw .badClusterDNS(variable: portName, value: text) }
            port = value
        }
        return format(address, port: port)
    }

    /// `IP`, `IP:PORT` or `[IPv6]:PORT` → the same, checked.
    static func parseTarget(_ text: String, variable: String) throws(NodeCacheError) -> String {
        if let address = IPAddress(text) { return format(address, port: 53) }
        var host = Substring(text)
        var portText: Substring = ""
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { throw .badClusterDNS(variable: variable, value: text) }
            portText = rest.dropFirst()
        } else if let colon = text.lastIndex(of: ":") {
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        guard let address = IPAddress(host), let port = UInt16(portText), port > 0 else {
            throw .badClusterDNS(variable: variable, value: text)
        }
        return format(address, port: port)
    }

    static func format(_ address: IPAddress, port: UInt16) -> String {
        if port == 53 { return address.description }
        return "\(NodeCacheTemplate.hostText(address)):\(port)"
    }
}
