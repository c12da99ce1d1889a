import DNSWire

extension ManifestDecoder {
    func decodePod(_ node: ManifestNode, _ header: ObjectHeader) throws(ObjectDecodingError) -> Pod {
        try header.requireName(KubernetesNames.isRFC1123Subdomain, "RFC 1123 subdomain")
        let spec = try node.optional("spec")
        let status = try node.optional("status")

        var ipNodes = try status?.optionalList("podIPs").map { (entry) throws(ObjectDecodingError) in try entry.required("ip") } ?? []
        if ipNodes.isEmpty, let single = try status?.optional("podIP") { ipNodes = [single] }
        var addresses: [IPAddress] = []
        for ipNode in ipNodes {
            let text = try ipNode.string()
            guard let ip = IPAddress(text) else { throw ipNode.fail(.invalidAddress, "\"\(text)\" is not an IP address") }
            addresses.append(ip)
        }
        guard let ips = DualStackAddresses(addresses), addresses.count <= 2 else {
            throw (status ?? node).fail(.invalidAddress, "podIPs: at most one IPv4 and one IPv6 address are allowed")
        }

        var phase = PodPhase.pending
        if let phaseNode = try status?.optional("phase") {
            let text = try phaseNode.string()
            guard let p = PodPhase(rawValue: text) else {
                throw phaseNode.fail(.invalidValue, "unknown phase \"\(text)\" (expected Pending, Running, Succeeded, Failed or Unknown)")
            }
            phase = p
        }

        var ready: Bool?
        for condition in try status?.optionalList("conditions") ?? [] where try condition.optionalString("type") == "Ready" {
            ready = try condition.optionalString("status") == "True"
        }

        let hostname = try dnsLabelField(spec, "hostname")
        let subdomain = interner.intern(try dnsLabelField(spec, "subdomain"))

        return Pod(
            namespace: header.namespace, name: header.name, ips: ips, hostname: hostname, subdomain: subdomain,
            phase: phase, isTerminating: header.isTerminating, isReady: ready,
            nodeName: interner.intern(try spec?.optionalString("nodeName")), labels: header.labels)
    }

    /// An optional field that must be an RFC 1123 label when present and non-empty.
    private func dnsLabelField(_ node: ManifestNode?, _ key: String) throws(ObjectDecodingError) -> String? {
        guard let fieldNode = try node?.optional(key) else { return nil }
        let text = try fieldNode.string()
        if text.isEmpty { return nil }
        guard KubernetesNames.isRFC1123Label(text) else {
            throw fieldNode.fail(.invalidName, "\"\(text)\" is not a valid \(key) (RFC 1123 label)")
        }
        return text
    }

    func decodeNamespace(_ header: ObjectHeader) throws(ObjectDecodingError) -> Namespace {
        try header.requireName(KubernetesNames.isRFC1123Label,
            "a namespace name must be an RFC 1123 label: lowercase letters, digits and '-', at most 63")
        return Namespace(name: interner.intern(header.name), labels: header.labels)
    }
}
