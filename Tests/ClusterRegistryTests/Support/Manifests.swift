import DNSWire
import Foundation
@testable import ClusterRegistry

/// Decodes manifest files given as (path, text) pairs through the real store, and snapshots them.
func snapshot(_ files: [(String, String)], previous: ClusterSnapshot? = nil, now: Date = Date()) -> ClusterSnapshot {
    let store = ManifestStore()
    for (path, text) in files { store.update(path: path, text: text) }
    return store.snapshot(previous: previous, now: now)
}

func snapshot(_ yaml: String) -> ClusterSnapshot { snapshot([("test.yaml", yaml)]) }

/// Decodes one text with a fresh decoder.
func decode(_ text: String, file: String = "test.yaml") -> Result<DecodedManifest, ManifestSyntaxError> {
    ManifestDecoder(interner: StringInterner()).decode(text, file: file)
}

func ip(_ text: String) -> IPAddress {
    guard let address = IPAddress(text) else { preconditionFailure("test address \(text) does not parse") }
    return address
}

/// The repository's `Zones/manifests`, found from this file's path.
let exampleManifests: String = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Zones/manifests").path

/// A minimal valid service, for tests that vary one thing.
func serviceYAML(
    name: String = "web", namespace: String = "prod", clusterIP: String = "10.96.0.20", extraSpec: String = ""
) -> String {
    """
    apiVersion: v1
    kind: Service
    metadata:
      name: \(name)
      namespace: \(namespace)
    spec:
      clusterIP: \(clusterIP)
      ports:
      - name: http
        port: 80
    \(extraSpec.isEmpty ? "" : extraSpec.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
    """
}

/// An EndpointSlice of `service` with the given (ip, ready) endpoints.
func sliceYAML(
    name: String, service: String, namespace: String = "prod", addressType: String = "IPv4",
    endpoints: [(String, String?)], port: Int = 8080, hostnames: [String?]? = nil
) -> String {
    var text = """
    apiVersion: discovery.k8s.io/v1
    kind: EndpointSlice
    metadata:
      name: \(name)
      namespace: \(namespace)
      labels:
        kubernetes.io/service-name: \(service)
    addressType: \(addressType)
    ports:
    - name: http
      port: \(port)
    endpoints:

    """
    if endpoints.isEmpty { text += "[]\n" }
    for (i, (address, ready)) in endpoints.enumerated() {
        text += "- addresses: [\"\(address)\"]\n"
        if let ready { text += "  conditions: {ready: \(ready)}\n" }
        if let hostname = hostnames?[i] { text += "  hostname: \(hostname)\n" }
        text += "  targetRef: {kind: Pod, name: pod-\(i)-of-\(name)}\n"
    }
    return text
}
