import DNSWire

/// A Service as explain sees it.
package struct ServiceFacts: Sendable, Equatable {
    package enum Kind: String, Sendable {
        case clusterIP = "ClusterIP"
        case nodePort = "NodePort"
        case loadBalancer = "LoadBalancer"
        case externalName = "ExternalName"
    }

    package struct Port: Sendable, Equatable {
        package var name: String?
        /// `TCP`, `UDP` or `SCTP`.
        package var proto: String
        package var port: UInt16
        package init(name: String?, proto: String = "TCP", port: UInt16) {
            self.name = name
            self.proto = proto
            self.port = port
        }
    }

    package var name: String
    package var namespace: String
    package var kind: Kind
    /// `clusterIP: None`.
    package var isHeadless: Bool
    package var clusterIPs: [IPAddress]
    package var externalName: String?
    package var ports: [Port]
    /// nil: no selector (endpoints managed by hand).
    package var selector: [String: String]?
    package var publishNotReadyAddresses: Bool
    package var endpoints: [EndpointFacts]

    package init(name: String, namespace: String, kind: Kind = .clusterIP, isHeadless: Bool = false,
                clusterIPs: [IPAddress] = [], externalName: String? = nil, ports: [Port] = [],
                selector: [String: String]? = nil, publishNotReadyAddresses: Bool = false,
                endpoints: [EndpointFacts] = []) {
        self.name = name
        self.namespace = namespace
        self.kind = kind
        self.isHeadless = isHeadless
        self.clusterIPs = clusterIPs
        self.externalName = externalName
        self.ports = ports
        self.selector = selector
        self.publishNotReadyAddresses = publishNotReadyAddresses
        self.endpoints = endpoints
    }

    /// How the service type is usually called: "headless" for ClusterIP None.
    package var typeDescription: String {
        isHeadless ? "headless (clusterIP: None)" : kind.rawValue
    }
}
