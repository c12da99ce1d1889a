import DNSWire

/// What a name in the cluster zone asks for, read the way CoreDNS's kubernetes plugin reads it
/// (`plugin/kubernetes/parse.go` `parseRequest`; coredns-behaviour.md §2.2): the zone is
/// trimmed, then the labels are read right to left — `svc` or `pod`, the namespace, the
/// service (or the pod's dashed IP), then one label (an endpoint) or two (`_port._proto`).
/// Anything longer, or not ending in `svc`/`pod`, cannot exist: NXDOMAIN.
package enum ClusterName: Sendable, Equatable {
    /// Not under the cluster zone: answered by another block or forwarded upstream.
    case outsideZone
    /// The zone apex: SOA and NS; NODATA for other types.
    case apex
    /// `svc.<zone>` or `pod.<zone>`: exists (NODATA).
    case typeLevel(String)
    /// `dns-version.<zone>`: TXT "1.1.0" (Kubernetes DNS specification §2.2).
    case dnsVersion
    /// `ns.dns.<zone>`: the DNS server's own addresses.
    case nameServer
    /// `<ns>.svc.<zone>` (or `.pod.`): NODATA when the namespace exists, else NXDOMAIN.
    case namespace(String, podLevel: Bool)
    /// `<service>.<ns>.svc.<zone>`.
    case service(service: String, namespace: String)
    /// `<endpoint>.<service>.<ns>.svc.<zone>`: a headless service's endpoint by hostname (or
    /// dashed IP).
    case endpoint(endpoint: String, service: String, namespace: String)
    /// `_<port>._<proto>.<service>.<ns>.svc.<zone>`: SRV for a named port. `underscored` is
    /// false when the two labels lacked the leading underscores (CoreDNS still reads them as
    /// port and protocol).
    case servicePort(port: String, proto: String, service: String, namespace: String, underscored: Bool)
    /// `<a-b-c-d>.<ns>.pod.<zone>`: a pod A/AAAA record; `address` nil when the label is not
    /// a dashed IP (NXDOMAIN).
    case pod(label: String, address: IPAddress?, namespace: String)
    /// A reverse name (`d.c.b.a.in-addr.arpa.`): PTR for a cluster IP or an endpoint.
    case reverse(IPAddress)
    /// A name the grammar rules out: always NXDOMAIN, with the reason.
    case invalid(String)

    /// Reads `name` against the cluster `zone` (both compared case-insensitively).
    package static func parse(_ name: DomainName, zone: DomainName) -> ClusterName {
        if let address = IPAddress(reverseName: name) { return .reverse(address) }
        guard let relative = name.labels(relativeTo: zone) else { return .outsideZone }
        let labels = relative.map { String(decoding: $0, as: UTF8.self).lowercased() }
        if labels.isEmpty { return .apex }
        if labels == ["dns-version"] { return .dnsVersion }
        if labels == ["ns", "dns"] { return .nameServer }
        if labels == ["svc"] || labels == ["pod"] { return .typeLevel(labels[0]) }
        var rest = labels
        guard let kind = rest.popLast(), kind == "svc" || kind == "pod" else {
            return .invalid("the label before the zone must be 'svc' (services) or 'pod' (pods), not '\(labels.last ?? "")'")
        }
        guard let namespace = rest.popLast() else { return .typeLevel(kind) }
        guard let object = rest.popLast() else { return .namespace(namespace, podLevel: kind == "pod") }
        if kind == "pod" {
            guard rest.isEmpty else {
                return .invalid("nothing exists below a pod name (\(object).\(namespace).pod)")
            }
            return .pod(label: object, address: podAddress(object), namespace: namespace)
        }
        switch rest.count {
        case 0:
            return .service(service: object, namespace: namespace)
        case 1:
            return .endpoint(endpoint: rest[0], service: object, namespace: namespace)
        case 2:
            let underscored = rest[0].hasPrefix("_") && rest[1].hasPrefix("_")
            return .servicePort(port: strip(rest[0]), proto: strip(rest[1]), service: object, namespace: namespace,
                                underscored: underscored)
        default:
            return .invalid("too many labels before the service name '\(object)': at most an endpoint or _port._proto")
        }
    }

    static func strip(_ label: String) -> String { label.hasPrefix("_") ? String(label.dropFirst()) : label }

    /// CoreDNS's pod label rule: exactly three `-` and no `--` is IPv4 (`10-244-1-7`);
    /// otherwise `-` stands for `:` in IPv6 (`fd00--1`).
    package static func podAddress(_ label: String) -> IPAddress? {
        let dashes = label.filter { $0 == "-" }.count
        if dashes == 3 && !label.contains("--") {
            return IPv4Address(label.replacingOccurrences("-", "."))
                .map(IPAddress.v4)
        }
        return IPv6Address(label.replacingOccurrences("-", ":")).map(IPAddress.v6)
    }

    /// The record types worth asking about for this kind of name.
    package var interestingTypes: [RecordType] {
        switch self {
        case .servicePort: [.srv]
        case .dnsVersion: [.txt]
        case .reverse: [.ptr]
        case .apex: [.soa, .ns]
        case .namespace, .typeLevel, .invalid, .outsideZone: [.a]
        case .service, .endpoint, .pod, .nameServer: [.a, .aaaa]
        }
    }

    /// The kind of name, in words.
    package var summary: String {
        switch self {
        case .outsideZone: "a name outside the cluster zone: answered by another server block or forwarded upstream"
        case .apex: "the cluster zone's apex (SOA, NS)"
        case .typeLevel(let kind): "the '\(kind)' level of the zone: exists, holds no records (NODATA)"
        case .dnsVersion: "the DNS schema version record (TXT \"1.1.0\")"
        case .nameServer: "the cluster DNS server's own name (ns.dns)"
        case .namespace(let ns, let pod): "namespace '\(ns)' at the \(pod ? "pod" : "service") level: NODATA if it exists, NXDOMAIN if not"
        case .service(let s, let ns): "service '\(s)' in namespace '\(ns)'"
        case .endpoint(let e, let s, let ns): "endpoint '\(e)' of service '\(s)' in namespace '\(ns)'"
        case .servicePort(let port, let proto, let s, let ns, let underscored):
            "SRV for port '\(port)' (protocol \(proto)) of service '\(s)' in namespace '\(ns)'"
                + (underscored ? "" : " — written without the leading underscores (_\(port)._\(proto)), which CoreDNS reads the same way")
        case .pod(let label, let address, let ns):
            address.map { "pod address \($0) in namespace '\(ns)' (\(label))" }
                ?? "pod name '\(label)' in namespace '\(ns)': not a dashed IP address, so NXDOMAIN"
        case .reverse(let address): "the reverse (PTR) name of \(address)"
        case .invalid(let why): "not a name the cluster can have: \(why)"
        }
    }
}

extension String {
    /// Every occurrence of `target` replaced (no Foundation).
    func replacingOccurrences(_ target: Character, _ replacement: Character) -> String {
        String(map { $0 == target ? replacement : $0 })
    }
}
