import DNSWire

/// A cluster given as literal values (tests, and `explain` without a registry).
package struct LiteralCluster: ClusterFacts, Sendable {
    package var namespaceList: [String]
    package var serviceList: [ServiceFacts]
    package var podList: [PodFacts]

    package init(namespaces: [String], services: [ServiceFacts] = [], pods: [PodFacts] = []) {
        self.namespaceList = namespaces.sorted()
        self.serviceList = services.sorted { ($0.namespace, $0.name) < ($1.namespace, $1.name) }
        self.podList = pods.sorted { ($0.namespace, $0.name) < ($1.namespace, $1.name) }
    }

    package var namespaces: [String] { namespaceList }
    package var allServices: [ServiceFacts] { serviceList }
    package func services(in namespace: String) -> [ServiceFacts] { serviceList.filter { $0.namespace == namespace.lowercased() } }
    package func pods(in namespace: String) -> [PodFacts] { podList.filter { $0.namespace == namespace.lowercased() } }
}
