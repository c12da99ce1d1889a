import ClusterRegistry
import DNSWire

/// Builds large, realistic clusters in memory, for memory and speed measurements (tests and
/// `Benchmarks/`), without going through YAML.
///
/// The mix follows what big clusters hold: mostly ClusterIP services backed by Deployments
/// (pod names with a ReplicaSet hash, `targetRef` to the pod, node and zone set), a fifth
/// headless StatefulSets (endpoint hostnames `<svc>-<n>`), a tenth dual-stack (an IPv6 cluster IP
/// and an IPv6 slice beside the IPv4 one), a few ExternalName services, 2 % of endpoints not
/// ready. Slices hold at most 100 endpoints, as the EndpointSlice controller does. Everything is
/// deterministic: the same parameters give the same cluster.
public struct SyntheticCluster: Sendable {
    public var services: Int
    /// Endpoint addresses in total (an IPv4 and an IPv6 address of one dual-stack pod count as two).
    public var endpoints: Int
    public var namespaces: Int
    /// Also create one Pod object per backing pod (needed for `pods verified`).
    public var includePods: Bool

    public init(services: Int, endpoints: Int, namespaces: Int? = nil, includePods: Bool = false) {
        self.services = services
        self.endpoints = endpoints
        self.namespaces = max(1, namespaces ?? max(1, services / 100))
        self.includePods = includePods
    }

    /// The kind of each generated service, by position (every 100: 69 ClusterIP, 20 headless,
    /// 10 dual-stack, 1 ExternalName).
    public enum Shape: Sendable {
        case clusterIP, headless, dualStack, externalName
    }

    public static func shape(of index: Int) -> Shape {
        switch index % 100 {
        case 0: .externalName
        case 1...20: .headless
        case 21...30: .dualStack
        default: .clusterIP
        }
    }

    /// The name of service `index`: `svc-<index>` in namespace `ns-<index % namespaces>`.
    public func name(ofService index: Int) -> (namespace: String, name: String) {
        ("ns-\(index % namespaces)", "svc-\(index)")
    }

    /// Generates the objects, sorted by namespace then name within each kind.
    public func generate() -> ClusterObjects {
        var objects = ClusterObjects()
        objects.namespaces = (0..<namespaces).map { i in
            Namespace(name: "ns-\(i)", labels: Labels(["kubernetes.io/metadata.name": "ns-\(i)"]))
        }
        let zones = ["europe-west1-b", "europe-west1-c", "europe-west1-d"]
        // One shared location per node (a node lives in one zone), one reference scope per
        // namespace: what the decoder's interning produces.
        let nodes = (0..<max(1, endpoints / 30)).map { n in
            EndpointLocation(nodeName: Self.exact("gke-prod-pool-1-\(String(n, radix: 16))-node.internal"), zone: zones[n % zones.count])
        }
        let scopes = (0..<namespaces).map { ReferenceScope(kind: "Pod", namespace: "ns-\($0)") }
        let webPorts = [ServicePort(name: "http", port: 80, targetPort: .number(8080)),
                        ServicePort(name: "metrics", port: 9090, targetPort: .name("metrics"))]
        let webSlicePorts = [EndpointPort(name: "http", port: 8080), EndpointPort(name: "metrics", port: 9090)]
        let dbPorts = [ServicePort(name: "postgres", port: 5432, targetPort: .number(5432))]
        let dbSlicePorts = [EndpointPort(name: "postgres", port: 5432)]
        let withEndpoints = (0..<services).filter { Self.shape(of: $0) != .externalName }
        let weights = [2, 5, 10, 13, 20]  // mean 10: a spread of replica counts
        let weightSum = withEndpoints.indices.reduce(0) { $0 + weights[$1 % weights.count] }

        var serviceIP: UInt32 = IPv4Address(10, 96, 1, 0).rawValue
        var podIP: UInt32 = IPv4Address(10, 128, 0, 0).rawValue
        var podIPv6: UInt64 = 1
        var assigned = 0
        var services: [Service] = []
        var slices: [EndpointSlice] = []
        var pods: [Pod] = []
        services.reserveCapacity(self.services)
        var endpointPosition = 0

        for index in 0..<self.services {
            let (namespace, name) = self.name(ofService: index)
            let shape = Self.shape(of: index)
            let app = Labels(["app": name])
            if shape == .externalName {
                services.append(Service(
                    namespace: namespace, name: name, type: .externalName,
                    externalName: try? DomainName("\(name).db.example.com."), labels: app))
                continue
            }
            // This service's share of the endpoints (the last one takes the rounding remainder).
            var share = weightSum == 0 ? 0 : endpoints * weights[endpointPosition % weights.count] / weightSum
            if endpointPosition == withEndpoints.count - 1 { share = endpoints - assigned }
            share = max(0, min(share, endpoints - assigned))
            endpointPosition += 1
            assigned += share

            let v4 = IPv4Address(rawValue: serviceIP)
            serviceIP += 1
            let ports = shape == .headless ? dbPorts : webPorts
            let slicePorts = shape == .headless ? dbSlicePorts : webSlicePorts
            var clusterIPs = DualStackAddresses(ipv4: v4, ipv6: nil)
            if shape == .dualStack {
                clusterIPs = DualStackAddresses(ipv4: v4, ipv6: IPv6Address(high: 0xfd00_0010_0096_0000, low: UInt64(index)))
            }
            services.append(Service(
                namespace: namespace, name: name, isHeadless: shape == .headless,
                clusterIPs: shape == .headless ? .none : clusterIPs, ports: ports, selector: app, labels: app))

            // Pods: dual-stack services split their share between both families.
            let podCount = shape == .dualStack ? share / 2 : share
            let v6Count = shape == .dualStack ? share - podCount : 0
            var v4Addresses: [EndpointAddress] = []
            var v6Addresses: [EndpointAddress] = []
            let hash = String(UInt32(truncatingIfNeeded: index &* 2_654_435_761), radix: 36)
            for p in 0..<max(podCount, v6Count) {
                let podName = Self.exact(shape == .headless ? "\(name)-\(p)" : "\(name)-\(hash)-\(String(p, radix: 36))")
                let location = nodes[(index &+ p) % nodes.count]
                let ready = (index &+ p) % 50 != 7
                let conditions = EndpointConditions(ready: ready, serving: ready, terminating: ready ? false : nil)
                let ref = ObjectReference(name: podName, scope: scopes[index % namespaces])
                var ips: [IPAddress] = []
                if p < podCount {
                    let ip = IPAddress.v4(IPv4Address(rawValue: podIP))
                    podIP += 1
                    ips.append(ip)
                    v4Addresses.append(EndpointAddress(
                        address: ip, conditions: conditions, hostname: shape == .headless ? podName : nil,
                        location: location, targetRef: ref))
                }
                if p < v6Count {
                    let ip = IPAddress.v6(IPv6Address(high: 0xfd00_0010_0244_0000, low: podIPv6))
                    podIPv6 += 1
                    ips.append(ip)
                    v6Addresses.append(EndpointAddress(
                        address: ip, conditions: conditions, location: location, targetRef: ref))
                }
                if includePods {
                    pods.append(Pod(
                        namespace: namespace, name: podName, ips: DualStackAddresses(ips) ?? .none,
                        hostname: shape == .headless ? podName : nil, subdomain: shape == .headless ? name : nil,
                        phase: .running, isReady: ready, nodeName: location.nodeName, labels: app))
                }
            }
            for (family, addresses) in [(EndpointAddressType.ipv4, v4Addresses), (.ipv6, v6Addresses)] where !addresses.isEmpty {
                var start = 0
                var part = 0
                while start < addresses.count {
                    let end = min(start + 100, addresses.count)
                    let suffix = family == .ipv4 ? "" : "-v6"
                    slices.append(EndpointSlice(
                        namespace: namespace, name: "\(name)\(suffix)-\(String(part, radix: 36))\(hash.prefix(4))",
                        serviceName: name, addressType: family, ports: slicePorts,
                        endpoints: Array(addresses[start..<end])))
                    start = end
                    part += 1
                }
            }
        }
        let byName: (Service, Service) -> Bool = { ($0.namespace, $0.name) < ($1.namespace, $1.name) }
        objects.services = services.sorted(by: byName)
        objects.endpointSlices = slices.sorted { ($0.namespace, $0.name) < ($1.namespace, $1.name) }
        objects.pods = pods.sorted { ($0.namespace, $0.name) < ($1.namespace, $1.name) }
        objects.namespaces.sort { $0.name < $1.name }
        return objects
    }

    /// A copy of `s` whose heap buffer (if any) is sized to its content, as strings decoded
    /// from YAML are; string interpolation reserves spare capacity that would inflate the
    /// memory figures.
    static func exact(_ s: String) -> String {
        let bytes = Array(s.utf8)
        return String(decoding: bytes, as: UTF8.self)
    }
}
