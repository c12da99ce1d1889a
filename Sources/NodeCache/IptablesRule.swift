import DNSWire

/// One rule of the conntrack bypass: table, chain and match, tagged with node-cache's comment so
/// it can be checked (`-C`), added (`-I`) and removed (`-D`) by itself, whoever else writes rules.
package struct IptablesRule: Sendable, Hashable, CustomStringConvertible {
    package enum Family: Sendable, Hashable { case ipv4, ipv6 }

    package var family: Family
    package var table: String
    package var chain: String
    /// The match and target, without table or chain.
    package var specification: [String]

    /// node-cache's two comments: a rule list written by either program is recognised by the other.
    package static let skipConntrack = "NodeLocal DNS Cache: skip conntrack"
    package static let allowTraffic = "NodeLocal DNS Cache: allow DNS traffic"

    /// `iptables` or `ip6tables` (nft or legacy, whichever the node's alternatives name: the rules
    /// must go where kube-proxy's are).
    package var program: String { family == .ipv4 ? "iptables" : "ip6tables" }

    /// The command line for `operation` (`-C`, `-I`, `-D`). `-w 5`: wait up to 5 s for the xtables
    /// lock (legacy mode) rather than fail at once while kube-proxy holds it.
    package func arguments(_ operation: String) -> [String] {
        ["-w", "5", "-t", table, operation, chain] + specification
    }

    package var description: String { "\(program) -t \(table) \(chain) " + specification.joined(separator: " ") }

    /// The rules for every local IP, in node-cache's order: NOTRACK in `raw` and ACCEPT in
    /// `filter` for UDP and TCP to and from `port`, NOTRACK for locally generated queries (host
    /// network pods), and NOTRACK for the health probe's TCP port.
    ///
    /// Why both tables: NOTRACK keeps DNS out of conntrack (no UDP insert races, no table to fill);
    /// untracked packets then fail a filter chain that accepts only `ESTABLISHED,RELATED`, so they
    /// are accepted explicitly.
    package static func rules(localIPs: [IPAddress], port: UInt16, healthPort: UInt16) -> [IptablesRule] {
        var rules: [IptablesRule] = []
        for ip in localIPs {
            let family: Family
            switch ip {
            case .v4: family = .ipv4
            case .v6: family = .ipv6
            }
            let address = ip.description
            func rule(_ table: String, _ chain: String, _ proto: String, _ direction: String, _ ports: UInt16) -> IptablesRule {
                let (addressFlag, portFlag) = direction == "to" ? ("-d", "--dport") : ("-s", "--sport")
                let notrack = table == "raw"
                return IptablesRule(family: family, table: table, chain: chain, specification: [
                    "-p", proto, addressFlag, address, portFlag, String(ports),
                    "-m", "comment", "--comment", notrack ? skipConntrack : allowTraffic,
                    "-j", notrack ? "NOTRACK" : "ACCEPT",
                ])
            }
            for proto in ["tcp", "udp"] { rules.append(rule("raw", "PREROUTING", proto, "to", port)) }
            for proto in ["tcp", "udp"] { rules.append(rule("filter", "INPUT", proto, "to", port)) }
            for proto in ["tcp", "udp"] { rules.append(rule("raw", "OUTPUT", proto, "from", port)) }
            for proto in ["tcp", "udp"] { rules.append(rule("filter", "OUTPUT", proto, "from", port)) }
            for proto in ["tcp", "udp"] { rules.append(rule("raw", "OUTPUT", proto, "to", port)) }
            rules.append(rule("raw", "OUTPUT", "tcp", "to", healthPort))
            rules.append(rule("raw", "OUTPUT", "tcp", "from", healthPort))
        }
        return rules
    }
}
