import ClusterRegistryTestSupport
import DNSWire
import Foundation
import Testing
@testable import ClusterRegistry

@Suite("Cluster snapshot")
struct ClusterSnapshotTests {
    @Test("a service's endpoints are merged across all its slices, in slice-name order")
    func mergesSlices() throws {
        let snap = snapshot([("x.yaml", [
            serviceYAML(name: "web"),
            sliceYAML(name: "web-b", service: "web", endpoints: [("10.244.1.3", "true")]),
            sliceYAML(name: "web-a", service: "web", endpoints: [("10.244.1.1", "true"), ("10.244.1.2", nil)]),
            sliceYAML(name: "web-v6", service: "web", addressType: "IPv6", endpoints: [("fd00::1", "true")]),
            sliceYAML(name: "other", service: "api", endpoints: [("10.244.9.9", "true")]),
        ].joined(separator: "\n---\n"))])
        #expect(snap.errors.isEmpty)
        let id = try #require(snap.serviceID(namespace: "prod", name: "web"))
        let endpoints = Array(snap.endpoints(of: id))
        #expect(endpoints.map(\.address) == [ip("10.244.1.1"), ip("10.244.1.2"), ip("10.244.1.3"), ip("fd00::1")])
        #expect(endpoints.map(\.origin) == [
            .endpointSlice(name: "web-a"), .endpointSlice(name: "web-a"), .endpointSlice(name: "web-b"), .endpointSlice(name: "web-v6"),
        ])
        #expect(endpoints.allSatisfy { $0.ports == [EndpointPort(name: "http", port: 8080)] })
        #expect(snap.counts.endpointAddresses == 4, "the orphan slice of a missing service is not attached")
    }

    @Test("legacy Endpoints are used only for a service that has no EndpointSlice")
    func legacyFallback() throws {
        let legacy = """
            apiVersion: v1
            kind: Endpoints
            metadata: {name: NAME, namespace: prod}
            subsets:
            - addresses: [{ip: 192.168.10.5}]
              notReadyAddresses: [{ip: 192.168.10.6}]
              ports: [{name: http, port: 5432}]
            """
        let snap = snapshot([("x.yaml", [
            serviceYAML(name: "ext", clusterIP: "10.96.0.30"),
            legacy.replacingOccurrences(of: "NAME", with: "ext"),
            serviceYAML(name: "web"),
            sliceYAML(name: "web-a", service: "web", endpoints: [("10.244.1.1", "true")]),
            legacy.replacingOccurrences(of: "NAME", with: "web"),
        ].joined(separator: "\n---\n"))])
        let ext = try #require(snap.serviceID(namespace: "prod", name: "ext"))
        let extEndpoints = Array(snap.endpoints(of: ext))
        #expect(extEndpoints.map(\.address) == [ip("192.168.10.5"), ip("192.168.10.6")])
        #expect(extEndpoints.map(\.isReady) == [true, false])
        #expect(extEndpoints.first?.origin == .endpoints(subset: 0))
        #expect(extEndpoints.first?.ports == [EndpointPort(name: "http", port: 5432)])
        let web = try #require(snap.serviceID(namespace: "prod", name: "web"))
        #expect(snap.endpoints(of: web).map(\.address) == [ip("10.244.1.1")], "slices win over Endpoints")
    }

    @Test("readiness: absent ready is ready, false is not, serving and terminating are ignored")
    func readiness() throws {
        let snap = snapshot([("x.yaml", serviceYAML(name: "web", clusterIP: "None") + "\n---\n" + """
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata: {name: web-a, namespace: prod, labels: {kubernetes.io/service-name: web}}
            addressType: IPv4
            endpoints:
            - addresses: [10.244.1.1]
            - addresses: [10.244.1.2]
              conditions: {ready: false, serving: true, terminating: true}
            - addresses: [10.244.1.3]
              conditions: {ready: true, serving: false, terminating: true}
            """)])
        let id = try #require(snap.serviceID(namespace: "prod", name: "web"))
        #expect(snap.endpoints(of: id).map(\.isReady) == [true, false, true])
        #expect(snap.endpoints(of: id).ready.map(\.address) == [ip("10.244.1.1"), ip("10.244.1.3")])
    }

    @Test("publishNotReadyAddresses and the tolerate-unready annotation make every address ready", arguments: [
        "spec:\n  publishNotReadyAddresses: true",
        "metadata:\n  annotations: {service.alpha.kubernetes.io/tolerate-unready-endpoints: \"true\"}",
    ])
    func publishNotReady(_ setting: String) throws {
        var service = """
            apiVersion: v1
            kind: Service
            metadata:
              name: web
              namespace: prod
            spec:
              clusterIP: None
            """
        if setting.hasPrefix("spec") {
            service += "\n  publishNotReadyAddresses: true"
        } else {
            service = service.replacingOccurrences(
                of: "  namespace: prod", with: "  namespace: prod\n  annotations: {service.alpha.kubernetes.io/tolerate-unready-endpoints: \"true\"}")
        }
        let snap = snapshot([("x.yaml", service + "\n---\n" + sliceYAML(name: "web-a", service: "web", endpoints: [("10.244.1.1", "false")]))])
        #expect(snap.errors.isEmpty)
        let id = try #require(snap.serviceID(namespace: "prod", name: "web"))
        #expect(snap.endpoints(of: id).map(\.isReady) == [true])
        #expect(snap.endpoints(withIP: ip("10.244.1.1")).map(\.isReady) == [true])
    }

    @Test("dual-stack: both cluster IPs index the service; endpoints of both families are found by IP")
    func dualStack() throws {
        let snap = snapshot([("x.yaml", [
            serviceYAML(name: "web", extraSpec: "clusterIPs: [10.96.0.20, \"fd00:10:96::20\"]"),
            sliceYAML(name: "web-v4", service: "web", endpoints: [("10.244.1.1", "true")]),
            sliceYAML(name: "web-v6", service: "web", addressType: "IPv6", endpoints: [("fd00:10:244::1", "true")]),
        ].joined(separator: "\n---\n"))])
        let id = try #require(snap.serviceID(namespace: "prod", name: "web"))
        #expect(snap.serviceID(clusterIP: ip("10.96.0.20")) == id)
        #expect(snap.serviceID(clusterIP: ip("fd00:10:96::20")) == id)
        #expect(snap.serviceID(clusterIP: ip("10.96.0.99")) == nil)
        #expect(snap.endpoints(withIP: ip("fd00:10:244::1")).map(\.service) == [id])
        #expect(snap.endpoints(withIP: ip("10.244.1.1")).map(\.service) == [id])
    }

    @Test("an IP backing several services has one hit per service (one PTR each)")
    func sharedEndpointIP() throws {
        let snap = snapshot([("x.yaml", [
            serviceYAML(name: "a", clusterIP: "10.96.0.1"), serviceYAML(name: "b", clusterIP: "10.96.0.2"),
            sliceYAML(name: "a-1", service: "a", endpoints: [("10.244.1.1", "true")]),
            sliceYAML(name: "b-1", service: "b", endpoints: [("10.244.1.1", "true")]),
        ].joined(separator: "\n---\n"))])
        let names = snap.endpoints(withIP: ip("10.244.1.1")).map { snap[$0.service].name }
        #expect(names == ["a", "b"])
    }

    @Test("lookups ignore case: Kubernetes names are lowercase, queries need not be")
    func caseInsensitive() throws {
        let snap = snapshot(serviceYAML(name: "web-app", namespace: "production"))
        #expect(snap.service(namespace: "Production", name: "WEB-App")?.name == "web-app")
        #expect(snap.namespaceExists("PRODUCTION"))
        #expect(snap.service(namespace: "production", name: "web") == nil)
        #expect(snap.service(namespace: "staging", name: "web-app") == nil)
    }

    @Test("endpoint names follow CoreDNS: hostname, else pod name with endpoint_pod_names, else the dashed IP")
    func endpointNames() throws {
        let address = EndpointAddress(address: ip("10.244.1.5"), targetRef: ObjectReference(kind: "Pod", namespace: "p", name: "web-6c9f-2xk"))
        let endpoint = ServiceEndpoint(service: ServiceID(rawValue: 0), endpoint: address, ports: [], isReady: true, origin: .endpoints(subset: 0))
        #expect(endpoint.name(usingPodNames: false) == "10-244-1-5")
        #expect(endpoint.name(usingPodNames: true) == "web-6c9f-2xk")
        var named = address
        named.hostname = "web-0"
        let hostnamed = ServiceEndpoint(service: ServiceID(rawValue: 0), endpoint: named, ports: [], isReady: true, origin: .endpoints(subset: 0))
        #expect(hostnamed.name(usingPodNames: true) == "web-0")
        #expect(ServiceEndpoint.dashedName(ip("2001:db8::")) == "2001-db8--0")
        #expect(ServiceEndpoint.dashedName(ip("5678:abcd::1")) == "5678-abcd--1")
        var longPod = address
        longPod.targetRef?.name = String(repeating: "a", count: 64)
        let long = ServiceEndpoint(service: ServiceID(rawValue: 0), endpoint: longPod, ports: [], isReady: true, origin: .endpoints(subset: 0))
        #expect(long.name(usingPodNames: true) == "10-244-1-5", "pod names of 64 characters or more are not used")
    }

    @Test("pods are found by IP (several for host-network pods), by namespace and by name; verified mode checks phase")
    func pods() throws {
        func pod(_ name: String, _ ns: String, _ ip: String, _ phase: String) -> String {
            "apiVersion: v1\nkind: Pod\nmetadata: {name: \(name), namespace: \(ns)}\nstatus: {phase: \(phase), podIPs: [{ip: \"\(ip)\"}]}\n"
        }
        let snap = snapshot([("x.yaml", [
            pod("a", "prod", "10.244.1.1", "Running"), pod("node-exporter", "monitoring", "192.168.0.10", "Running"),
            pod("kube-proxy", "kube-system", "192.168.0.10", "Running"), pod("done", "prod", "10.244.1.2", "Succeeded"),
        ].joined(separator: "---\n"))])
        #expect(Set(snap.pods(withIP: ip("192.168.0.10")).map(\.name)) == ["node-exporter", "kube-proxy"])
        #expect(snap.hasServablePod(withIP: ip("10.244.1.1"), inNamespace: "prod"))
        #expect(!snap.hasServablePod(withIP: ip("10.244.1.1"), inNamespace: "monitoring"))
        #expect(!snap.hasServablePod(withIP: ip("10.244.1.2"), inNamespace: "prod"), "a Succeeded pod is not served")
        #expect(snap.hasServablePod(withIP: ip("192.168.0.10"), inNamespace: "kube-system"))
        #expect(snap.pods(inNamespace: "prod").map(\.name) == ["a", "done"])
        #expect(snap.pod(namespace: "prod", name: "A")?.name == "a")
        #expect(snap.pods.count == 4)
    }

    @Test("namespaces: declared ones keep labels; objects imply the rest; ranges cover their services")
    func namespaces() throws {
        let snap = snapshot([("x.yaml", [
            "apiVersion: v1\nkind: Namespace\nmetadata: {name: empty, labels: {team: a}}",
            serviceYAML(name: "a", namespace: "prod", clusterIP: "10.96.0.1"),
            serviceYAML(name: "b", namespace: "prod", clusterIP: "10.96.0.2"),
            serviceYAML(name: "c", namespace: "staging", clusterIP: "10.96.0.3"),
        ].joined(separator: "\n---\n"))])
        #expect(snap.namespaces.map(\.name) == ["empty", "prod", "staging"])
        #expect(snap.namespace(named: "empty")?.isDeclared == true)
        #expect(snap.namespace(named: "empty")?.labels["team"] == "a")
        #expect(snap.namespace(named: "prod")?.isDeclared == false)
        #expect(snap.serviceIDs(inNamespace: "prod").map { snap[$0].name } == ["a", "b"])
        #expect(snap.serviceIDs(inNamespace: "empty").isEmpty)
        #expect(!snap.namespaceExists("nope"))
        #expect(snap.counts.impliedNamespaces == 2)
    }

    @Test("the serial moves only on DNS-relevant changes; the generation on every build")
    func serial() throws {
        let t0 = Date(timeIntervalSince1970: 1_700_000_000)
        let base = [serviceYAML(name: "web"), sliceYAML(name: "web-a", service: "web", endpoints: [("10.244.1.1", "true")])]
        let first = snapshot([("a.yaml", base.joined(separator: "\n---\n"))], now: t0)
        #expect(first.serial == 1_700_000_000)

        // Same content in another layout (other file, other order, extra unserved fields and kinds).
        let cosmetic = snapshot([
            ("b.yaml", base.reversed().joined(separator: "\n---\n").replacingOccurrences(
                of: "  name: web\n", with: "  name: web\n  resourceVersion: \"999\"\n")
                + "\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"),
        ], previous: first, now: t0.addingTimeInterval(60))
        #expect(cosmetic.serial == first.serial)
        #expect(cosmetic.generation == first.generation + 1)
        #expect(cosmetic.hasSameDNSContent(as: first))

        // A nodeName change is invisible to DNS too.
        let nodeMoved = snapshot([("a.yaml", base.joined(separator: "\n---\n").replacingOccurrences(
            of: "  targetRef:", with: "  nodeName: node-b\n  targetRef:"))], previous: cosmetic, now: t0.addingTimeInterval(120))
        #expect(nodeMoved.serial == first.serial)

        let edits: [(label: String, service: String, slice: String)] = [
            ("endpoint readiness", base[0], sliceYAML(name: "web-a", service: "web", endpoints: [("10.244.1.1", "false")])),
            ("endpoint IP", base[0], sliceYAML(name: "web-a", service: "web", endpoints: [("10.244.1.7", "true")])),
            ("endpoint port", base[0], sliceYAML(name: "web-a", service: "web", endpoints: [("10.244.1.1", "true")], port: 8081)),
            ("endpoint hostname", base[0], sliceYAML(name: "web-a", service: "web", endpoints: [("10.244.1.1", "true")], hostnames: ["web-0"])),
            ("cluster IP", serviceYAML(name: "web", clusterIP: "10.96.0.99"), base[1]),
        ]
        for edit in edits {
            let changed = snapshot([("a.yaml", edit.service + "\n---\n" + edit.slice)], previous: first, now: t0.addingTimeInterval(300))
            #expect(changed.errors.isEmpty)
            #expect(changed.serial == 1_700_000_300, "\(edit.label) is a DNS change")
        }
        let newService = snapshot([("a.yaml", (base + [serviceYAML(name: "api", clusterIP: "10.96.0.21")]).joined(separator: "\n---\n"))],
            previous: first, now: t0.addingTimeInterval(400))
        #expect(newService.serial == 1_700_000_400)
        // A second change within the same second still moves the serial.
        let sameSecond = snapshot([("a.yaml", (base + [serviceYAML(name: "api2", clusterIP: "10.96.0.22")]).joined(separator: "\n---\n"))],
            previous: newService, now: t0.addingTimeInterval(400.5))
        #expect(sameSecond.serial == 1_700_000_401)
    }

    @Test("a cluster IP claimed by two services is a warning and the first in order owns the PTR")
    func clusterIPConflict() throws {
        let snap = snapshot([("x.yaml", serviceYAML(name: "b") + "\n---\n" + serviceYAML(name: "a") + "\n")])
        #expect(snap.serviceID(clusterIP: ip("10.96.0.20")).map { snap[$0].name } == "a")
        #expect(snap.issues.map(\.code) == [.duplicateObject])
    }

    @Test("the empty snapshot has generation 0 and answers nothing")
    func empty() {
        let snap = ClusterSnapshot.empty()
        #expect(snap.generation == 0)
        #expect(snap.services.isEmpty)
        #expect(snap.service(namespace: "a", name: "b") == nil)
        #expect(snap.endpoints(withIP: ip("10.0.0.1")).isEmpty)
    }

    @Test("name lookups stay correct when many names are indexed (hash confirmation, overflow path)")
    func manyNames() throws {
        let objects = SyntheticCluster(services: 5_000, endpoints: 20_000).generate()
        let snap = ClusterSnapshot.build(sources: [ObjectSource(name: "synthetic", objects: objects)], previous: nil)
        #expect(snap.counts.services == 5_000)
        #expect(snap.counts.endpointAddresses == 20_000)
        for i in stride(from: 0, to: 5_000, by: 7) {
            let (ns, name) = SyntheticCluster(services: 5_000, endpoints: 20_000).name(ofService: i)
            let id = try #require(snap.serviceID(namespace: ns, name: name))
            #expect(snap[id].name == name)
            #expect(snap[id].namespace == ns)
        }
        #expect(snap.serviceID(namespace: "ns-1", name: "svc-2") == nil, "svc-2 lives in ns-2")
    }
}
