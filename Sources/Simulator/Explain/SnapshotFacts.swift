import ClusterRegistry
import DNSWire

/// `ClusterFacts` read from a cluster registry snapshot: what `explain --manifests DIR` (or the
/// example cluster) knows.
package struct SnapshotFacts: ClusterFacts, Sendable {
    package let snapshot: ClusterSnapshot

    package init(_ snapshot: ClusterSnapshot) {
        self.snapshot = snapshot
    }

    /// Loads every manifest under `directory` once (no watching).
    /// - Throws: `SimulatorError` when the directory cannot be read; problems inside manifests
    ///   are not errors, they are the snapshot's issues.
    package static func load(directory: String) throws(SimulatorError) -> SnapshotFacts {
        let source = ManifestDirectorySource(path: directory)
        defer { source.stop() }
        do {
            return SnapshotFacts(try source.start().merged)
        } catch {
            throw SimulatorError("\(directory): cannot load the manifests: \(error)")
        }
    }

    package var namespaces: [String] { snapshot.namespaces.map(\.name) }

    package func services(in namespace: String) -> [ServiceFacts] {
        snapshot.serviceIDs(inNamespace: namespace).map(facts)
    }

    package var allServices: [ServiceFacts] { snapshot.services.ids.map(facts) }

    package func pods(in namespace: String) -> [PodFacts] {
        snapshot.pods(inNamespace: namespace).map { pod in
            PodFacts(name: pod.name, namespace: pod.namespace, labels: Self.dictionary(pod.labels), ips: Array(pod.ips),
                     phase: pod.phase.rawValue, ready: pod.isReady)
        }
    }

    package func issues(kind: String, namespace: String, name: String) -> [(isError: Bool, text: String)] {
        snapshot.issues.filter { issue in
            issue.namespace == namespace && (issue.name == name || (issue.kind == "EndpointSlice" && issue.name?.hasPrefix(name + "-") == true))
                && (issue.kind == kind || issue.kind == "EndpointSlice" || issue.kind == "Endpoints")
        }.map { ($0.severity == .error, $0.description) }
    }

    func facts(_ id: ServiceID) -> ServiceFacts {
        let service = snapshot[id]
        let kind: ServiceFacts.Kind = switch service.type {
        case .clusterIP: .clusterIP
        case .nodePort: .nodePort
        case .loadBalancer: .loadBalancer
        case .externalName: .externalName
        }
        let endpoints = snapshot.endpoints(of: id).map { endpoint in
            EndpointFacts(address: endpoint.address, hostname: endpoint.endpoint.hostname,
                          ready: endpoint.endpoint.conditions.ready, terminating: endpoint.endpoint.conditions.terminating == true,
                          pod: endpoint.endpoint.targetRef.flatMap { $0.kind == "Pod" ? $0.name : nil },
                          node: endpoint.endpoint.nodeName)
        }
        return ServiceFacts(
            name: service.name, namespace: service.namespace, kind: kind, isHeadless: service.isHeadless,
            clusterIPs: Array(service.clusterIPs), externalName: service.externalName?.description,
            ports: service.ports.map { ServiceFacts.Port(name: $0.name, proto: $0.protocol.kubernetesName, port: $0.port) },
            selector: service.selector.map(Self.dictionary), publishNotReadyAddresses: service.publishesNotReadyAddresses,
            endpoints: endpoints)
    }

    static func dictionary(_ labels: Labels) -> [String: String] {
        var out: [String: String] = [:]
        for pair in labels { out[pair.key] = pair.value }
        return out
    }
}
