import DNSWire
import Foundation

/// The node cache's Corefile: node-cache's template placeholders, filled in at start, and the
/// Corefile used when no template is mounted.
///
/// node-cache (k8s-dns-node-cache) reads a template Corefile (the `node-local-dns` ConfigMap),
/// replaces its `__PILLAR__…__` placeholders with what only the node knows at start, writes the
/// result and serves it. Doing the same here lets the stock ConfigMap run unchanged:
///
/// | placeholder | becomes |
/// | --- | --- |
/// | `__PILLAR__LOCAL__DNS__` | the local IPs, space-separated (`bind`); followed by `:PORT`, the first one only (`health`) |
/// | `__PILLAR__DNS__SERVER__` | nothing (the kube-dns ClusterIP is already among the local IPs) |
/// | `__PILLAR__CLUSTER__DNS__` | the cluster tier: `<UPSTREAMSVC>_SERVICE_HOST` (and `_PORT` when not 53) |
/// | `__PILLAR__UPSTREAM__SERVERS__` | the node's resolv.conf path |
/// | `__PILLAR__DNS__DOMAIN__` | the cluster domain (node-cache leaves this one to the deploy-time `sed`) |
package struct NodeCacheTemplate: Sendable, Equatable {
    package static let localDNS = "__PILLAR__LOCAL__DNS__"
    package static let dnsServer = "__PILLAR__DNS__SERVER__"
    package static let clusterDNS = "__PILLAR__CLUSTER__DNS__"
    package static let upstreamServers = "__PILLAR__UPSTREAM__SERVERS__"
    package static let dnsDomain = "__PILLAR__DNS__DOMAIN__"

    /// The addresses the cache listens on, in the order given (the first one serves `health`).
    package var localIPs: [IPAddress]
    /// The cluster tier as a `forward` target (`10.96.0.10`, `10.96.0.10:5353`, `[fd00::a]:53`);
    /// nil when the environment does not name it.
    package var clusterDNS: String?
    /// What `forward . __PILLAR__UPSTREAM__SERVERS__` sends to: a resolv.conf path or addresses.
    package var upstreamServers: String
    /// The cluster domain, without a trailing dot.
    package var clusterDomain: String

    package init(localIPs: [IPAddress], clusterDNS: String?, upstreamServers: String, clusterDomain: String) {
        self.localIPs = localIPs
        self.clusterDNS = clusterDNS
        self.upstreamServers = upstreamServers
        self.clusterDomain = clusterDomain
    }

    /// `template` with every placeholder replaced.
    /// - Throws: `NodeCacheError.noClusterDNS` when the template forwards to
    ///   `__PILLAR__CLUSTER__DNS__` and no cluster tier is known (node-cache would write `<nil>`
    ///   and fail later, less clearly).
    package func render(_ template: String) throws(NodeCacheError) -> String {
        var text = template
        if text.contains(Self.clusterDNS) {
            guard let clusterDNS else { throw .noClusterDNS }
            text = text.replacingAll(Self.clusterDNS, with: clusterDNS)
        }
        if let first = localIPs.first {
            // `health __PILLAR__LOCAL__DNS__:8080` must name one address, not the whole list.
            text = text.replacingAll(Self.localDNS + ":", with: Self.hostText(first) + ":")
        }
        text = text.replacingAll(Self.localDNS, with: localIPs.map(\.description).joined(separator: " "))
        text = text.replacingAll(Self.dnsServer, with: "")
        text = text.replacingAll(Self.upstreamServers, with: upstreamServers)
        text = text.replacingAll(Self.dnsDomain, with: clusterDomain)
        return text
    }

    /// An address as the host part of `host:port` (IPv6 in brackets).
    static func hostText(_ address: IPAddress) -> String {
        switch address {
        case .v4(let a): a.description
        case .v6(let a): "[\(a)]"
        }
    }

    /// The Corefile served when no template is mounted: the stock `node-local-dns` ConfigMap's
    /// four blocks (cluster zone and reverse zones to the cluster tier over TCP, everything else
    /// to the node's resolvers) with `serve_stale` added to every cache, so names already cached
    /// keep answering while the cluster tier is away. Placeholders are left for `render`.
    /// - Parameters:
    ///   - port: the DNS port.
    ///   - healthPort: the port of `health` on the first local IP.
    ///   - metricsAddress: the `prometheus` address (`:9253`).
    package static func builtIn(port: UInt16, healthPort: UInt16, metricsAddress: String) -> String {
        func block(_ zone: String, cache: String, forward: String, extra: String = "") -> String {
            """
            \(zone):\(port) {
                errors
            \(cache)
                reload
                loop
                bind \(localDNS)
            \(forward)
                prometheus \(metricsAddress)
            \(extra)}

            """
        }
        let clusterCache = """
                cache {
                    success 9984 30
                    denial 9984 5
                    serve_stale 1h
                }
            """
        let cache = """
                cache 30 {
                    serve_stale 1h
                }
            """
        let toCluster = """
                forward . \(clusterDNS) {
                    force_tcp
                }
            """
        let toUpstream = "    forward . \(upstreamServers)"
        return block(dnsDomain, cache: clusterCache, forward: toCluster, extra: "    health \(localDNS):\(healthPort)\n")
            + block("in-addr.arpa", cache: cache, forward: toCluster)
            + block("ip6.arpa", cache: cache, forward: toCluster)
            + block(".", cache: cache, forward: toUpstream)
    }
}

extension String {
    /// Every occurrence of `target` replaced.
    func replacingAll(_ target: String, with replacement: String) -> String {
        replacingOccurrences(of: target, with: replacement)
    }
}
