import DNSWire

/// What `explain` needs to know about the cluster, independent of where it comes from.
///
/// The cluster registry's snapshot provides it (`SnapshotFacts`); tests provide a literal
/// cluster. Keeping explain's reasoning on this small surface means it reads like the
/// "common issues" checklist it implements, not like index code.
package protocol ClusterFacts {
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
    package func issues(kind: String, namespace: String, name: String) -> [(isError: Bool, text: String)] { [] }

    package func namespaceExists(_ name: String) -> Bool { namespaces.contains(name.lowercased()) }

    package func service(_ name: String, in namespace: String) -> ServiceFacts? {
        services(in: namespace).first { $0.name == name.lowercased() }
    }
}
