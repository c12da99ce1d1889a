import DNSWire

extension ManifestDecoder {
    /// The legacy annotation the DNS specification names for "every address is ready".
    static let tolerateUnreadyAnnotation = "service.alpha.kubernetes.io/tolerate-unready-endpoints"

    func decodeService(_ node: ManifestNode, _ header: ObjectHeader) throws(ObjectDecodingError) -> Service {
        // RFC 1123, not RFC 1035: the API server admits Service names that start with a digit
        // (RelaxedServiceNameValidation), and Kubernetes' DNS e2e suite resolves one.
        try header.requireName(KubernetesNames.isRFC1123Label,
            "a Service name must be an RFC 1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63")
        guard let spec = try node.optional("spec") else { throw node.fail(.missingField, "spec: required field is missing") }

        var type = ServiceType.clusterIP
        if let typeNode = try spec.optional("type") {
            let text = try typeNode.string()
            guard let t = ServiceType(rawValue: text) else {
                throw typeNode.fail(.invalidValue, "unknown service type \"\(text)\" (expected ClusterIP, NodePort, LoadBalancer or ExternalName)")
            }
            type = t
        }

        // clusterIPs wins over clusterIP; when both are given they must agree on the first entry.
        let single = try spec.optional("clusterIP")
        let list = try spec.optionalList("clusterIPs")
        let singleText = try single?.string()
        var ipNodes: [ManifestNode] = list
        if ipNodes.isEmpty, let single, let singleText, !singleText.isEmpty { ipNodes = [single] }
        if let singleText, !singleText.isEmpty, let first = list.first, try first.string() != singleText {
            throw first.fail(.invalidAddress, "\"\(try first.string())\" must equal spec.clusterIP \"\(singleText)\"")
        }
        var isHeadless = false
        var addresses: [IPAddress] = []
        for ipNode in ipNodes {
            let text = try ipNode.string()
            if text == "None" {
                guard ipNodes.count == 1 else { throw ipNode.fail(.invalidAddress, "\"None\" must be the only cluster IP") }
                isHeadless = true
                continue
            }
            guard let ip = IPAddress(text) else { throw ipNode.fail(.invalidAddress, "\"\(text)\" is not an IP address") }
            addresses.append(ip)
        }
        guard addresses.count <= 2, let clusterIPs = DualStackAddresses(addresses) else {
            throw (list.first ?? spec).fail(.invalidAddress, "at most one IPv4 and one IPv6 cluster IP are allowed")
        }

        var externalName: DomainName?
        if type == .externalName {
            guard ipNodes.isEmpty else {
                throw ipNodes[0].fail(.invalidValue, "an ExternalName service has no cluster IP")
            }
            let nameNode = try spec.required("externalName")
            var text = try nameNode.string()
            if text.hasSuffix(".") { text.removeLast() }
            if IPAddress(text) == nil {
                guard KubernetesNames.isRFC1123Subdomain(text), let name = try? DomainName(text + ".") else {
                    throw nameNode.fail(.invalidName, "\"\(text)\" is not a valid DNS name (lowercase RFC 1123 subdomain)")
                }
                externalName = name
            }
        } else if isHeadless, type != .clusterIP {
            throw (single ?? list[0]).fail(.invalidValue, "a \(type) service cannot be headless (clusterIP: None)")
        }

        var ports: [ServicePort] = []
        let portNodes = try spec.optionalList("ports")
        var seenNames: Set<String> = []
        var seenPorts: Set<[Int]> = []
        for portNode in portNodes {
            let name = try portNode.optionalString("name").flatMap { $0.isEmpty ? nil : $0 }
            if let name {
                guard KubernetesNames.isRFC1123Label(name) else {
                    throw try portNode.required("name").fail(.invalidName, "\"\(name)\" is not a valid port name (RFC 1123 label)")
                }
                guard seenNames.insert(name).inserted else {
                    throw try portNode.required("name").fail(.invalidName, "duplicate port name \"\(name)\"")
                }
            } else if portNodes.count > 1 {
                throw portNode.fail(.missingField, "name: required when a service has more than one port")
            }
            let proto = try transportProtocol(portNode)
            let port = try portNode.required("port").port()
            guard seenPorts.insert([Int(port), Int(proto.rawValue)]).inserted else {
                throw portNode.fail(.invalidPort, "duplicate port \(port)/\(proto)")
            }
            var target: TargetPort?
            if let targetNode = try portNode.optional("targetPort") {
                let text = try targetNode.string()
                if let number = Int(text) {
                    guard (1...65535).contains(number) else { throw targetNode.fail(.invalidPort, "\(number) is out of range 1…65535") }
                    target = .number(UInt16(number))
                } else {
                    guard KubernetesNames.isIANAServiceName(text) else {
                        throw targetNode.fail(.invalidPort, "\"\(text)\" is neither a port number nor a valid port name")
                    }
                    target = .name(interner.intern(text))
                }
            }
            ports.append(ServicePort(name: interner.intern(name), protocol: proto, port: port, targetPort: target))
        }

        let selectorLabels = try labels(try spec.optional("selector"))
        let tolerates = header.annotations[Self.tolerateUnreadyAnnotation].map(Self.parseGoBool) ?? false
        return Service(
            namespace: header.namespace, name: header.name, type: type, isHeadless: isHeadless,
            clusterIPs: clusterIPs, externalName: externalName, ports: interner.intern(ports),
            publishNotReadyAddresses: try spec.optionalBool("publishNotReadyAddresses") ?? false,
            toleratesUnreadyEndpoints: tolerates,
            selector: selectorLabels.isEmpty ? nil : selectorLabels, labels: header.labels)
    }

    /// `protocol`, defaulting to TCP as the API server does.
    func transportProtocol(_ portNode: ManifestNode) throws(ObjectDecodingError) -> TransportProtocol {
        guard let node = try portNode.optional("protocol") else { return .tcp }
        let text = try node.string()
        guard let proto = TransportProtocol(kubernetesName: text) else {
            throw node.fail(.invalidValue, "unknown protocol \"\(text)\" (expected TCP, UDP or SCTP)")
        }
        return proto
    }

    /// Go's `strconv.ParseBool`, which Kubernetes uses for annotation values.
    static func parseGoBool(_ text: String) -> Bool {
        ["1", "t", "T", "TRUE", "true", "True"].contains(text)
    }
}
