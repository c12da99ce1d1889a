import DNSWire

/// What `explain` needs to know about the cluster, independent of where it comes from.
///
/// The cluster registry's snapshot provides it (`SnapshotFacts`); tests provide a literal
/// cluster. Keeping explain's reasoning on this small surface means it reads like the
/// "common issues" checklist it implements, not like index code.
public protocol ClusterFacts {
    /// Every namespace that exists, sorted.
    var namespaces: [String] { get }
    /// Services of a namespace, sorted by name.
    func services(in namespace: String) -> [ServiceFacts]
    /// Every service, for "a service of that name exists in another namespace".
    var allServices: [ServiceFacts] { get }
    /// Pods of a namespace, sorted by name.
    func pods(in namespace: String) -> [PodFacts]
    /// Problems the manifests have with this object (decode errors, warnings), as text.
    func issues(kind: String, namespace: String, name: String) -> [(isError: Bool, text: String)]
}

extension ClusterFacts {
    public func issues(kind: String, namespace: String, name: String) -> [(isError: Bool, text: String)] { [] }

    public func namespaceExists(_ name: String) -> Bool { namespaces.contains(name.lowercased()) }

    public func service(_ name: String, in namespace: String) -> ServiceFacts? {
        services(in: namespace).first { $0.name == name.lowercased() }
    }
}

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

/// One endpoint address of a service (from its EndpointSlices).
public struct EndpointFacts: Sendable, Equatable {
    public var address: IPAddress
    public var hostname: String?
    /// `conditions.ready`; nil means unknown, which Kubernetes and CoreDNS treat as ready.
    public var ready: Bool?
    public var terminating: Bool
    /// `targetRef` of kind Pod: the pod's name.
    public var pod: String?
    public var node: String?

    public init(address: IPAddress, hostname: String? = nil, ready: Bool? = true, terminating: Bool = false,
                pod: String? = nil, node: String? = nil) {
        self.address = address
        self.hostname = hostname
        self.ready = ready
        self.terminating = terminating
        self.pod = pod
        self.node = node
    }

    /// What CoreDNS counts: ready unless explicitly not (nil counts as ready, PR #4632).
    public var countsAsReady: Bool { ready != false }

    /// The name CoreDNS gives the endpoint: its hostname, else its dashed IP.
    public var dnsName: String {
        if let hostname { return hostname }
        switch address {
        case .v4(let v4): return v4.description.replacingOccurrences(".", "-")
        case .v6(let v6):
            let dashed = v6.description.replacingOccurrences(":", "-")
            return dashed.hasSuffix("-") ? dashed + "0" : dashed
        }
    }
}

/// A Pod as explain sees it.
public struct PodFacts: Sendable, Equatable {
    public var name: String
    public var namespace: String
    public var labels: [String: String]
    public var ips: [IPAddress]
    /// `status.phase`.
    public var phase: String
    /// The Ready condition, nil when unknown.
    public var ready: Bool?

    public init(name: String, namespace: String, labels: [String: String] = [:], ips: [IPAddress] = [],
                phase: String = "Running", ready: Bool? = true) {
        self.name = name
        self.namespace = namespace
        self.labels = labels
        self.ips = ips
        self.phase = phase
        self.ready = ready
    }

    /// True when every pair of `selector` is among the pod's labels.
    public func matches(_ selector: [String: String]) -> Bool {
        !selector.isEmpty && selector.allSatisfy { labels[$0.key] == $0.value }
    }
}

/// A cluster given as literal values (tests, and `explain` without a registry).
public struct LiteralCluster: ClusterFacts, Sendable {
    public var namespaceList: [String]
    public var serviceList: [ServiceFacts]
    public var podList: [PodFacts]

    public init(namespaces: [String], services: [ServiceFacts] = [], pods: [PodFacts] = []) {
        self.namespaceList = namespaces.sorted()
        self.serviceList = services.sorted { ($0.namespace, $0.name) < ($1.namespace, $1.name) }
        self.podList = pods.sorted { ($0.namespace, $0.name) < ($1.namespace, $1.name) }
    }

    public var namespaces: [String] { namespaceList }
    public var allServices: [ServiceFacts] { serviceList }
    public func services(in namespace: String) -> [ServiceFacts] { serviceList.filter { $0.namespace == namespace.lowercased() } }
    public func pods(in namespace: String) -> [PodFacts] { podList.filter { $0.namespace == namespace.lowercased() } }
}
