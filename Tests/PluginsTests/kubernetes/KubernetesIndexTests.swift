import ClusterRegistry
import DNSWire
import Foundation
import Testing
@testable import Plugins

/// Building the answer index from a snapshot: the edge cases the query tables do not reach
/// directly, and the in-process answer path.
@Suite struct KubernetesIndexTests {
    static func snapshot(_ files: [(String, String)]) -> ClusterSnapshot {
        let store = ManifestStore()
        for (path, text) in files { store.update(path: path, text: text) }
        return store.snapshot(previous: nil)
    }

    static func index(_ yaml: String, options: String = "", local: [IPAddress] = []) throws -> KubernetesIndex {
        KubernetesIndex.build(snapshot: snapshot([("t.yaml", yaml)]), config: try KubernetesHarness.config(options),
                              loaded: true, localAddresses: local)
    }

    static func service(_ name: String, ns: String = "prod", ip: String, ports: String = "[{name: http, port: 80}]",
                        extra: String = "") -> String {
        """
        apiVersion: v1
        kind: Service
        metadata: {name: \(name), namespace: \(ns)}
        spec:
          clusterIP: \(ip)
          ports: \(ports)
        \(extra)
        ---

        """
    }

    static func slice(_ name: String, service: String, ns: String = "prod", type: String = "IPv4", endpoints: [String],
                      ports: String = "[{name: http, port: 8080}]") -> String {
        """
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {name: \(name), namespace: \(ns), labels: {kubernetes.io/service-name: \(service)}}
        addressType: \(type)
        ports: \(ports)
        endpoints:
        \(endpoints.map { "- " + $0 }.joined(separator: "\n"))
        ---

        """
    }

    static func labelText(_ index: KubernetesIndex, _ endpoint: Int32) -> String {
        let e = index.endpoints[Int(endpoint)]
        return index.withArena(e.nameOffset, e.nameLength) { String(decoding: $0, as: UTF8.self) }
    }

    static func lookup(_ index: KubernetesIndex, service: String, ns: String = "prod") -> Int32? {
        var key: [UInt8] = [UInt8(service.utf8.count)] + Array(service.utf8) + [UInt8(ns.utf8.count)] + Array(ns.utf8)
        key = key.map { $0 }
        return key.withUnsafeBytes { index.service(key: $0) }
    }

    static func endpointChain(_ index: KubernetesIndex, service s: Int32, label: String) -> [String] {
        var result: [String] = []
        var cursor = Array(label.utf8).withUnsafeBytes { index.endpoint(named: $0, inService: s) } ?? -1
        while cursor >= 0 {
            result.append(index.address(of: index.endpoints[Int(cursor)]).description)
            cursor = index.endpoints[Int(cursor)].nextSameName
        }
        return result
    }

    @Test("endpoint names: shared labels chain within a service, lookups ignore case, other services do not see them")
    func endpointNames() throws {
        let yaml = Self.service("a", ip: "None") + Self.service("b", ip: "None")
            + Self.slice("a-1", service: "a", endpoints: [
                "{addresses: [10.0.0.1], hostname: same}", "{addresses: [10.0.0.2], hostname: same}",
                "{addresses: [10.0.0.3], hostname: other}",
            ])
            + Self.slice("a-2", service: "a", endpoints: ["{addresses: [10.0.0.4], hostname: same}"])
            + Self.slice("b-1", service: "b", endpoints: ["{addresses: [10.0.1.1], hostname: same}"])
        let index = try Self.index(yaml)
        let a = try #require(Self.lookup(index, service: "a"))
        let b = try #require(Self.lookup(index, service: "b"))
        #expect(Self.endpointChain(index, service: a, label: "same") == ["10.0.0.1", "10.0.0.2", "10.0.0.4"])
        #expect(Self.endpointChain(index, service: a, label: "SAME") == ["10.0.0.1", "10.0.0.2", "10.0.0.4"])
        #expect(Self.endpointChain(index, service: a, label: "other") == ["10.0.0.3"])
        #expect(Self.endpointChain(index, service: b, label: "same") == ["10.0.1.1"])
        #expect(Self.endpointChain(index, service: b, label: "other").isEmpty)
        #expect(Self.endpointChain(index, service: a, label: "").isEmpty)
        let entries = index.serviceEntries[Int(a)].endpoints.map { index.endpoints[Int($0)] }
        #expect(entries.map(\.sharesName) == [true, true, false, true])
    }

    @Test("endpoint names in services of 16, 17 and 40 endpoints: scanned below the threshold, hashed above, chains across it")
    func endpointNamesAtScale() throws {
        for size in [16, 17, 40] {
            let shared: Set<Int> = [3, 15, size - 1]
            let endpoints = (0..<size).map { i in
                "{addresses: [10.1.\(i / 200).\(i % 200 + 1)], hostname: \(shared.contains(i) ? "same" : "host-\(i)")}"
            }
            let index = try Self.index(Self.service("big", ip: "None") + Self.slice("big-1", service: "big", endpoints: endpoints))
            let s = try #require(Self.lookup(index, service: "big"))
            let expected = shared.sorted().map { "10.1.0.\($0 + 1)" }
            #expect(Self.endpointChain(index, service: s, label: "same") == expected, "\(size) endpoints")
            #expect(Self.endpointChain(index, service: s, label: "SAME") == expected, "\(size) endpoints, any case")
            for i in [0, 14, 16, size - 2] where i < size && !shared.contains(i) {
                #expect(Self.endpointChain(index, service: s, label: "host-\(i)") == ["10.1.0.\(i + 1)"], "\(size) endpoints: host-\(i)")
            }
            #expect(Self.endpointChain(index, service: s, label: "host-\(size)").isEmpty)
            #expect(index.endpoints.elements.filter(\.sharesName).count == shared.count)
        }
    }

    @Test("the same address twice (two slices) counts once for A/AAAA and once per PTR name")
    func repeatedAddress() throws {
        let yaml = Self.service("h", ip: "None")
            + Self.slice("h-1", service: "h", endpoints: ["{addresses: [10.0.0.1]}", "{addresses: [10.0.0.2]}"])
            + Self.slice("h-2", service: "h", endpoints: ["{addresses: [10.0.0.1]}"])
        let index = try Self.index(yaml)
        let h = try #require(Self.lookup(index, service: "h"))
        let entry = index.serviceEntries[Int(h)]
        #expect(index.cards[h].flags.contains(.readyEndpoints))
        #expect(entry.endpoints.map { index.endpoints[Int($0)].firstWithAddress } == [true, true, false])
        let head = try #require(index.ptrHead(for: .v4(IPv4Address(10, 0, 0, 1))))
        #expect(index.ptrEntries[Int(head)].next == -1, "one PTR: same service, same name")
    }

    @Test("a cluster IP claimed twice names the first service; an endpoint at a cluster IP adds no PTR")
    func ptrPrecedence() throws {
        let yaml = Self.service("first", ip: "10.96.0.1") + Self.service("second", ip: "10.96.0.1")
            + Self.service("h", ip: "None") + Self.slice("h-1", service: "h", endpoints: ["{addresses: [10.96.0.1]}"])
        let index = try Self.index(yaml)
        let head = try #require(index.ptrHead(for: .v4(IPv4Address(10, 96, 0, 1))))
        let target = index.ptrEntries[Int(head)]
        #expect(target.endpoint == -1 && target.next == -1)
        #expect(target.service == Self.lookup(index, service: "first"))
        #expect(index.ptrHead(for: .v4(IPv4Address(10, 96, 0, 2))) == nil)
        #expect(index.ptrHead(for: .v6(IPv6Address(high: 0, low: 0x0A60_0001))) == nil, "a v6 address never matches a v4 one")
    }

    @Test("slices of one service share their port entries; a slice without ports has none")
    func portsShared() throws {
        let endpoints = (1...50).map { "{addresses: [10.0.0.\($0)]}" }
        let yaml = Self.service("h", ip: "None") + Self.slice("h-1", service: "h", endpoints: endpoints)
            + Self.service("p", ip: "None") + Self.slice("p-1", service: "p", endpoints: ["{addresses: [10.0.1.1]}"], ports: "[]")
        let index = try Self.index(yaml)
        // 1 service port each, 1 slice port for h's 50 endpoints, none for p's.
        #expect(index.ports.count == 3)
        let p = try #require(Self.lookup(index, service: "p"))
        #expect(index.endpoints[Int(index.serviceEntries[Int(p)].endpoints.lowerBound)].ports.isEmpty)
    }

    @Test("endpoint labels: hostname, pod hostname+subdomain, pod names under 64 octets with endpoint_pod_names, dashed IPs")
    func endpointLabels() throws {
        let long = String(repeating: "p", count: 64)
        let max = String(repeating: "q", count: 63)
        let yaml = Self.service("web", ip: "10.96.0.5")
            + Self.slice("web-1", service: "web", endpoints: [
                "{addresses: [10.0.0.1], hostname: host-a, targetRef: {kind: Pod, name: pod-a, namespace: prod}}",
                "{addresses: [10.0.0.2], targetRef: {kind: Pod, name: pod-b, namespace: prod}}",
                "{addresses: [10.0.0.3], targetRef: {kind: Pod, name: \(long), namespace: prod}}",
                "{addresses: [10.0.0.4], targetRef: {kind: Pod, name: \(max), namespace: prod}}",
                "{addresses: [10.0.0.5], targetRef: {kind: Pod, name: sub-pod, namespace: prod}}",
            ])
            + Self.slice("web-2", service: "web", type: "IPv6", endpoints: ["{addresses: [\"fd00::\"]}", "{addresses: [\"fd00::1:0\"]}"])
            + """
            apiVersion: v1
            kind: Pod
            metadata: {name: sub-pod, namespace: prod}
            spec: {hostname: sub-host, subdomain: web}
            status: {phase: Running, podIP: 10.0.0.5}
            """
        let plain = try Self.index(yaml)
        let s = try #require(Self.lookup(plain, service: "web"))
        #expect(plain.serviceEntries[Int(s)].endpoints.map { Self.labelText(plain, $0) }
                == ["host-a", "10-0-0-2", "10-0-0-3", "10-0-0-4", "sub-host", "fd00--0", "fd00--1-0"])
        let podNames = try Self.index(yaml, options: "endpoint_pod_names")
        #expect(podNames.serviceEntries[Int(s)].endpoints.map { Self.labelText(podNames, $0) }
                == ["host-a", "pod-b", "10-0-0-3", max, "sub-host", "fd00--0", "fd00--1-0"])
    }

    @Test("filters: namespaces, namespace_labels and labels drop services; noendpoints drops endpoints; an IP ExternalName is absent")
    func filters() throws {
        let yaml = """
            apiVersion: v1
            kind: Namespace
            metadata: {name: prod, labels: {env: prod}}
            ---

            """ + Self.service("web", ip: "10.96.0.1", extra: "") + Self.service("db", ns: "dev", ip: "10.96.0.2")
            + Self.slice("web-1", service: "web", endpoints: ["{addresses: [10.0.0.1]}"])
            + """
            apiVersion: v1
            kind: Service
            metadata: {name: ext, namespace: prod}
            spec: {type: ExternalName, externalName: 192.0.2.1}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: labelled, namespace: prod, labels: {app: x}}
            spec: {clusterIP: 10.96.0.3}
            """
        let all = try Self.index(yaml)
        #expect(Self.lookup(all, service: "web") != nil && Self.lookup(all, service: "db", ns: "dev") != nil)
        #expect(Self.lookup(all, service: "ext") == nil)
        #expect(all.endpointCount == 1)
        let onlyProd = try Self.index(yaml, options: "namespaces prod")
        #expect(Self.lookup(onlyProd, service: "db", ns: "dev") == nil && Self.lookup(onlyProd, service: "web") != nil)
        #expect(onlyProd.ptrHead(for: .v4(IPv4Address(10, 96, 0, 2))) == nil)
        let byLabel = try Self.index(yaml, options: "namespace_labels env=prod")
        #expect(Self.lookup(byLabel, service: "db", ns: "dev") == nil && Self.lookup(byLabel, service: "web") != nil)
        let selected = try Self.index(yaml, options: "labels app=x")
        #expect(Self.lookup(selected, service: "web") == nil && Self.lookup(selected, service: "labelled") != nil)
        let noEndpoints = try Self.index(yaml, options: "noendpoints")
        #expect(noEndpoints.endpointCount == 0 && noEndpoints.ptrHead(for: .v4(IPv4Address(10, 0, 0, 1))) == nil)
        #expect(all.footprint > 0)
    }

    @Test("name servers: the ClusterIP services with an endpoint at a local address, else ns.dns with the local addresses")
    func nameServers() throws {
        let yaml = Self.service("kube-dns", ns: "kube-system", ip: "10.96.0.10")
            + Self.slice("kube-dns-1", service: "kube-dns", ns: "kube-system", endpoints: ["{addresses: [10.244.0.2]}"])
        let local: IPAddress = .v4(IPv4Address(10, 244, 0, 2))
        let fronted = try Self.index(yaml, local: [local])
        #expect(fronted.nameServers.count == 1 && fronted.nameServers[0].service >= 0)
        #expect(fronted.nameServerAddresses == [.v4(IPv4Address(10, 96, 0, 10))])
        let other = try Self.index(yaml, local: [.v4(IPv4Address(10, 244, 0, 9))])
        #expect(other.nameServers.count == 1 && other.nameServers[0].service == -1)
        #expect(other.nameServerAddresses == [.v4(IPv4Address(10, 244, 0, 9))])
    }

    @Test("autopath: a known pod's search path with pods verified; nil for unknown addresses, finished pods, or other modes")
    func searchPath() throws {
        let yaml = """
            apiVersion: v1
            kind: Pod
            metadata: {name: a, namespace: prod}
            status: {phase: Running, podIP: 10.244.0.1}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: b, namespace: prod}
            status: {phase: Succeeded, podIP: 10.244.0.2}
            """
        let snapshot = Self.snapshot([("t.yaml", yaml)])
        let verified = try KubernetesHarness(snapshot: snapshot, options: "pods verified")
        #expect(verified.plugin.searchPath(forClient: .v4(IPv4Address(10, 244, 0, 1)))?.map(\.description)
                == ["prod.svc.cluster.local.", "svc.cluster.local.", "cluster.local."])
        #expect(verified.plugin.searchPath(forClient: .v4(IPv4Address(10, 244, 0, 2))) == nil)
        #expect(verified.plugin.searchPath(forClient: .v4(IPv4Address(10, 244, 0, 3))) == nil)
        let insecure = try KubernetesHarness(snapshot: snapshot, options: "pods insecure")
        #expect(insecure.plugin.searchPath(forClient: .v4(IPv4Address(10, 244, 0, 1))) == nil)
    }

    @Test("SRV weight: CoreDNS's floor(100 / (100 n) × 100), at least 1")
    func weights() {
        #expect([1, 2, 3, 4, 5, 6, 7, 100, 101, 1000].map { KubernetesAnswer.srvWeight(candidates: $0) }
                == [100, 50, 33, 25, 20, 16, 14, 1, 1, 1])
    }

    @Test("the in-process chain answers from the index (the path the scale measurement drives)")
    func inProcess() throws {
        let yaml = Self.service("web", ip: "10.96.0.1")
        let harness = try KubernetesHarness(snapshot: Self.snapshot([("t.yaml", yaml)]))
        let reply = try harness.query("web.prod.svc.cluster.local.", .a)
        #expect(reply.answers.map(\.rdata) == [.a(IPv4Address(10, 96, 0, 1))])
        #expect(try harness.query("nope.prod.svc.cluster.local.", .a).rcode == .nameError)
        #expect(try harness.query("1.0.96.10.in-addr.arpa.", .ptr).answers.first?.rdata
                == .ptr(try DomainName("web.prod.svc.cluster.local.")))
    }

    @Test("names the API server admits that start with a digit: Service (RelaxedServiceNameValidation), namespace, hostname and subdomain answer")
    func digitFirstNames() throws {
        let yaml = "apiVersion: v1\nkind: Namespace\nmetadata: {name: 9ns}\n---\n"
            + Self.service("1kubernetes", ns: "9ns", ip: "10.96.0.7")
            + Self.service("2sub", ns: "9ns", ip: "None")
            + Self.slice("2sub-1", service: "2sub", ns: "9ns", endpoints: ["{addresses: [10.244.3.3], hostname: 3host}"])
        let harness = try KubernetesHarness(snapshot: Self.snapshot([("t.yaml", yaml)]))
        #expect(try harness.query("1kubernetes.9ns.svc.cluster.local.", .a).answers.map(\.rdata) == [.a(IPv4Address(10, 96, 0, 7))])
        #expect(try harness.query("3host.2sub.9ns.svc.cluster.local.", .a).answers.map(\.rdata) == [.a(IPv4Address(10, 244, 3, 3))])
        #expect(try harness.query("7.0.96.10.in-addr.arpa.", .ptr).answers.first?.rdata
                == .ptr(try DomainName("1kubernetes.9ns.svc.cluster.local.")))
        // Still refused: what the API server refuses (a trailing '-', uppercase).
        let refused = Self.snapshot([("t.yaml", Self.service("web-", ip: "10.96.0.8") + Self.service("Web", ip: "10.96.0.9"))])
        #expect(refused.errors.count == 2)
    }

    @Test("NS: a headless service fronting this server is named per endpoint (CoreDNS nsAddrs), glue in additional, ns.dns answers the same addresses")
    func headlessNameServers() throws {
        let yaml = Self.service("kube-dns", ns: "kube-system", ip: "None")
            + Self.slice("kube-dns-1", service: "kube-dns", ns: "kube-system", endpoints: ["{addresses: [10.244.0.2]}", "{addresses: [10.244.0.3]}"])
        let harness = try KubernetesHarness(snapshot: Self.snapshot([("t.yaml", yaml)]), localAddresses: [.v4(IPv4Address(10, 244, 0, 2))])
        let reply = try harness.query("Cluster.Local.", .ns)
        #expect(reply.answers.map(\.description).sorted() == [
            "Cluster.Local.\t5\tIN\tNS\t10-244-0-2.kube-dns.kube-system.svc.Cluster.Local.",
            "Cluster.Local.\t5\tIN\tNS\t10-244-0-3.kube-dns.kube-system.svc.Cluster.Local.",
        ], "\(reply)")
        #expect(reply.additionals.filter { $0.type == .a }.map(\.description).sorted() == [
            "10-244-0-2.kube-dns.kube-system.svc.Cluster.Local.\t5\tIN\tA\t10.244.0.2",
            "10-244-0-3.kube-dns.kube-system.svc.Cluster.Local.\t5\tIN\tA\t10.244.0.3",
        ], "\(reply)")
        #expect(try harness.query("ns.dns.cluster.local.", .a).answers.map(\.rdata).sorted { "\($0)" < "\($1)" }
                == [.a(IPv4Address(10, 244, 0, 2)), .a(IPv4Address(10, 244, 0, 3))])
        // Not fronting this server: the fallback name with the server's own address.
        let other = try KubernetesHarness(snapshot: Self.snapshot([("t.yaml", yaml)]), localAddresses: [.v4(IPv4Address(10, 244, 9, 9))])
        #expect(try other.query("cluster.local.", .ns).answers.map(\.description) == ["cluster.local.\t5\tIN\tNS\tns.dns.cluster.local."])
    }
}
