import DNSWire

/// A Service as explain sees it.
public struct ServiceFacts: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case clusterIP = "ClusterIP"
        case nodePort = "NodePort"
        case loadBalancer = "LoadBalancer"
        case externalName = "ExternalName"
    }

    public struct Port: Sendable, Equatable {
        public var name: String?
        /// `TCP`, `UDP` or `SCTP`.
        public var proto: String
        public var port: UInt16
        public init(name: String?, proto: String = "TCP", port: UInt16) {
            self.name = name
            self.proto = proto
            self.port = port
        }
    }

    public var name: String
    public var namespace: String
    public var kind: Kind
    /// `clusterIP: None`.
    public var isHeadless: Bool
    public var clusterIPs: [IPAddress]
    public var externalName: String?
    public var ports: [Port]
    /// nil: no selector (endpoints managed by hand).
    public var selector: [String: String]?
    public var publishNotReadyAddresses: Bool
    public var endpoints: [EndpointFacts]

    public init(name: String, namespace: String, kind: Kind = .clusterIP, isHeadless: Bool = false,
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
    public var typeDescription: String {
        isHeadless ? "headless (clusterIP: None)" : kind.rawValue
    }
}
