import DNSWire

extension ManifestDecoder {
    func decodeEndpointSlice(_ node: ManifestNode, _ header: ObjectHeader) throws(ObjectDecodingError) -> EndpointSlice {
        try header.requireName(KubernetesNames.isRFC1123Subdomain, "RFC 1123 subdomain")
        // The one label a slice keeps, as its service name (the header holds no labels for it).
        let labels = try node.optional("metadata")?.optional("labels")
        guard let serviceName = try labels?.optionalString(EndpointSlice.serviceNameLabel), !serviceName.isEmpty else {
            throw ObjectDecodingError(
                code: .missingServiceName,
                message: "metadata.labels: no \(EndpointSlice.serviceNameLabel) label, so the slice belongs to no service; skipped",
                line: header.nameNode.line)
        }
        let typeNode = try node.required("addressType")
        let typeText = try typeNode.string()
        guard let addressType = EndpointAddressType(rawValue: typeText) else {
            throw typeNode.fail(.invalidValue, "unknown addressType \"\(typeText)\" (expected IPv4, IPv6 or FQDN)")
        }
        let ports = try endpointPorts(try node.optionalList("ports"))
        let endpointNodes = try node.optionalList("endpoints")
        // Exactly one address per endpoint in practice (the API says consumers may assume so):
        // reserving that many keeps the array at its size instead of the next power of two, 72
        // bytes per slice of three endpoints, for as long as the slice is held.
        var addresses: [EndpointAddress] = []
        addresses.reserveCapacity(endpointNodes.count)
        for endpoint in endpointNodes {
            let addressNodes = try endpoint.required("addresses").list()
            guard !addressNodes.isEmpty else { throw endpoint.fail(.missingField, "addresses: at least one address is required") }
            var conditions = EndpointConditions()
            if let c = try endpoint.optional("conditions") {
                conditions = EndpointConditions(
                    ready: try c.optionalBool("ready"), serving: try c.optionalBool("serving"),
                    terminating: try c.optionalBool("terminating"))
            }
            let hostname = try hostnameField(endpoint)
            let location = interner.location(
                nodeName: try endpoint.optionalString("nodeName"), zone: try endpoint.optionalString("zone"))
            let targetRef = try objectReference(try endpoint.optional("targetRef"), defaultNamespace: header.namespace)
            for addressNode in addressNodes {
                let text = try addressNode.string()
                if addressType == .fqdn { continue }
                guard let ip = IPAddress(text) else { throw addressNode.fail(.invalidAddress, "\"\(text)\" is not an IP address") }
                guard (ip.recordType == .a) == (addressType == .ipv4) else {
                    throw addressNode.fail(.invalidAddress, "\"\(text)\" is not an \(addressType) address (the slice's addressType)")
                }
                addresses.append(EndpointAddress(
                    address: ip, conditions: conditions, hostname: hostname, location: location, targetRef: targetRef))
            }
        }
        return EndpointSlice(
            namespace: header.namespace, name: header.name, serviceName: interner.intern(serviceName),
            addressType: addressType, ports: interner.intern(ports), endpoints: addresses)
    }

    func decodeEndpoints(_ node: ManifestNode, _ header: ObjectHeader) throws(ObjectDecodingError) -> Endpoints {
        try header.requireName(KubernetesNames.isRFC1123Subdomain, "RFC 1123 subdomain, the name of its service")
        var subsets: [EndpointGroup] = []
        for subset in try node.optionalList("subsets") {
            let ports = try endpointPorts(try subset.optionalList("ports"))
            let lists = [(try subset.optionalList("addresses"), true), (try subset.optionalList("notReadyAddresses"), false)]
            var addresses: [EndpointAddress] = []
            addresses.reserveCapacity(lists[0].0.count + lists[1].0.count)
            for (entries, ready) in lists {
                for entry in entries {
                    let ipNode = try entry.required("ip")
                    let text = try ipNode.string()
                    guard let ip = IPAddress(text) else { throw ipNode.fail(.invalidAddress, "\"\(text)\" is not an IP address") }
                    addresses.append(EndpointAddress(
                        address: ip, conditions: EndpointConditions(ready: ready),
                        hostname: try hostnameField(entry),
                        location: interner.location(nodeName: try entry.optionalString("nodeName"), zone: nil),
                        targetRef: try objectReference(try entry.optional("targetRef"), defaultNamespace: header.namespace)))
                }
            }
            subsets.append(EndpointGroup(ports: interner.intern(ports), addresses: addresses))
        }
        return Endpoints(namespace: header.namespace, name: header.name, subsets: subsets)
    }

    private func endpointPorts(_ nodes: [ManifestNode]) throws(ObjectDecodingError) -> [EndpointPort] {
        var ports: [EndpointPort] = []
        for portNode in nodes {
            let name = try portNode.optionalString("name").flatMap { $0.isEmpty ? nil : $0 }
            if let name, !KubernetesNames.isRFC1123Label(name) {
                throw try portNode.required("name").fail(.invalidName, "\"\(name)\" is not a valid port name (RFC 1123 label)")
            }
            let port = try portNode.optional("port")?.port()
            ports.append(EndpointPort(name: interner.intern(name), protocol: try transportProtocol(portNode), port: port))
        }
        return ports
    }

    private func hostnameField(_ node: ManifestNode) throws(ObjectDecodingError) -> String? {
        guard let hostnameNode = try node.optional("hostname") else { return nil }
        let hostname = try hostnameNode.string()
        if hostname.isEmpty { return nil }
        guard KubernetesNames.isRFC1123Label(hostname) else {
            throw hostnameNode.fail(.invalidName, "\"\(hostname)\" is not a valid hostname (RFC 1123 label)")
        }
        return hostname
    }

    private func objectReference(_ node: ManifestNode?, defaultNamespace: String) throws(ObjectDecodingError) -> ObjectReference? {
        guard let node, let name = try node.optionalString("name"), !name.isEmpty else { return nil }
        return ObjectReference(
            name: name,
            scope: interner.scope(
                kind: try node.optionalString("kind") ?? "Pod", namespace: try node.optionalString("namespace") ?? defaultNamespace))
    }
}
