import DNSWire

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
