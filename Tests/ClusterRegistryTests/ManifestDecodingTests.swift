import DNSWire
import Foundation
import Testing
@testable import ClusterRegistry

@Suite("Manifest decoding")
struct ManifestDecodingTests {
    /// What `kubectl get service -o yaml` prints, fields the registry ignores included.
    static let fullService = """
        apiVersion: v1
        kind: Service
        metadata:
          annotations:
            kubectl.kubernetes.io/last-applied-configuration: |
              {"apiVersion":"v1","kind":"Service"}
            service.alpha.kubernetes.io/tolerate-unready-endpoints: "true"
          creationTimestamp: "2024-05-01T10:00:00Z"
          labels:
            app: web
            tier: frontend
          name: web
          namespace: prod
          resourceVersion: "123456"
          uid: 3f6c1e1a-1111-2222-3333-444455556666
        spec:
          clusterIP: 10.96.0.20
          clusterIPs:
          - 10.96.0.20
          - fd00:10:96::20
          internalTrafficPolicy: Cluster
          ipFamilies: [IPv4, IPv6]
          ipFamilyPolicy: RequireDualStack
          ports:
          - name: http
            port: 80
            protocol: TCP
            targetPort: http-web
          - name: dns
            port: 53
            protocol: UDP
            targetPort: 5353
          publishNotReadyAddresses: true
          selector:
            app: web
          sessionAffinity: None
          type: LoadBalancer
        status:
          loadBalancer:
            ingress:
            - ip: 203.0.113.7
        """

    @Test("a full kubectl Service decodes to the stripped model, dual-stack and annotation included")
    func decodesService() throws {
        let decoded = try decode(Self.fullService).get()
        #expect(decoded.issues.isEmpty)
        let service = try #require(ClusterObjects(decoded.objects).services.first)
        #expect(service.namespace == "prod")
        #expect(service.name == "web")
        #expect(service.type == .loadBalancer)
        #expect(!service.isHeadless)
        #expect(Array(service.clusterIPs) == [ip("10.96.0.20"), ip("fd00:10:96::20")])
        #expect(service.ports == [
            ServicePort(name: "http", protocol: .tcp, port: 80, targetPort: .name("http-web")),
            ServicePort(name: "dns", protocol: .udp, port: 53, targetPort: .number(5353)),
        ])
        #expect(service.publishNotReadyAddresses)
        #expect(service.toleratesUnreadyEndpoints)
        #expect(service.selector == Labels(["app": "web"]))
        #expect(service.labels["tier"] == "frontend")
        #expect(service.externalName == nil)
    }

    @Test("clusterIP alone is used when clusterIPs is absent; IPv6-first order is kept")
    func clusterIPFallback() throws {
        let v4 = try #require(snapshot(serviceYAML()).service(namespace: "prod", name: "web"))
        #expect(Array(v4.clusterIPs) == [ip("10.96.0.20")])
        let v6first = try #require(snapshot(serviceYAML(clusterIP: "fd00::20", extraSpec: "clusterIPs: [\"fd00::20\", \"10.96.0.20\"]"))
            .service(namespace: "prod", name: "web"))
        #expect(Array(v6first.clusterIPs) == [ip("fd00::20"), ip("10.96.0.20")])
        #expect(v6first.clusterIPs.primary == ip("fd00::20"))
    }

    @Test("clusterIP None makes a headless service with no addresses")
    func headless() throws {
        let s = try #require(snapshot(serviceYAML(clusterIP: "None")).service(namespace: "prod", name: "web"))
        #expect(s.isHeadless)
        #expect(s.clusterIPs.isEmpty)
    }

    @Test("an ExternalName service keeps its target as a domain name, trailing dot or not")
    func externalName() throws {
        for target in ["db.example.com", "db.example.com."] {
            let yaml = """
                apiVersion: v1
                kind: Service
                metadata: {name: database, namespace: prod}
                spec: {type: ExternalName, externalName: "\(target)"}
                """
            let s = try #require(snapshot(yaml).service(namespace: "prod", name: "database"))
            #expect(s.type == .externalName)
            #expect(s.externalName == (try DomainName("db.example.com.")))
            #expect(s.clusterIPs.isEmpty)
        }
    }

    @Test("a missing namespace defaults to default, as kubectl does")
    func defaultNamespace() throws {
        let yaml = "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {clusterIP: 10.96.0.1}\n"
        let snap = snapshot(yaml)
        #expect(snap.service(namespace: "default", name: "web") != nil)
        #expect(snap.namespaceExists("default"))
    }

    @Test("an EndpointSlice flattens multi-address endpoints and keeps conditions, hostname, node, zone and targetRef")
    func decodesEndpointSlice() throws {
        let yaml = """
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata:
              name: web-abc12
              namespace: prod
              labels: {kubernetes.io/service-name: web}
            addressType: IPv4
            endpoints:
            - addresses: [10.244.1.5, 10.244.1.6]
              conditions: {ready: false, serving: true, terminating: true}
              hostname: web-0
              nodeName: node-a
              zone: zone-1
              targetRef: {kind: Pod, name: web-0, namespace: prod}
            - addresses: [10.244.1.7]
            ports:
            - {name: http, port: 8080, protocol: TCP}
            - {name: all}
            """
        let decoded = try decode(yaml).get()
        #expect(decoded.issues.isEmpty)
        let slice = try #require(ClusterObjects(decoded.objects).endpointSlices.first)
        #expect(slice.serviceName == "web")
        #expect(slice.addressType == .ipv4)
        #expect(slice.endpoints.map(\.address) == [ip("10.244.1.5"), ip("10.244.1.6"), ip("10.244.1.7")])
        let first = slice.endpoints[0]
        #expect(first.conditions.ready == false)
        #expect(first.conditions.serving == true)
        #expect(first.conditions.terminating == true)
        #expect(!first.conditions.isReady)
        #expect(first.hostname == "web-0")
        #expect(first.nodeName == "node-a")
        #expect(first.zone == "zone-1")
        #expect(first.targetRef == ObjectReference(kind: "Pod", namespace: "prod", name: "web-0"))
        #expect(slice.endpoints[1].hostname == "web-0")
        let last = slice.endpoints[2]
        #expect(last.conditions.ready == nil)
        #expect(last.conditions.isReady, "an absent ready condition counts as ready")
        #expect(slice.ports == [EndpointPort(name: "http", protocol: .tcp, port: 8080), EndpointPort(name: "all", port: nil)])
    }

    @Test("legacy Endpoints: addresses are ready, notReadyAddresses are not, per subset")
    func decodesEndpoints() throws {
        let yaml = """
            apiVersion: v1
            kind: Endpoints
            metadata: {name: ext, namespace: prod}
            subsets:
            - addresses:
              - ip: 192.168.10.5
                hostname: db-a
                nodeName: node-a
              notReadyAddresses:
              - ip: 192.168.10.6
              ports:
              - {name: postgres, port: 5432}
            - addresses: [{ip: "2001:db8::5"}]
              ports: [{name: postgres, port: 5433}]
            """
        let decoded = try decode(yaml).get()
        #expect(decoded.issues.isEmpty)
        let endpoints = try #require(ClusterObjects(decoded.objects).endpoints.first)
        #expect(endpoints.subsets.count == 2)
        #expect(endpoints.subsets[0].addresses.map(\.address) == [ip("192.168.10.5"), ip("192.168.10.6")])
        #expect(endpoints.subsets[0].addresses.map(\.conditions.isReady) == [true, false])
        #expect(endpoints.subsets[0].addresses[0].hostname == "db-a")
        #expect(endpoints.subsets[1].ports == [EndpointPort(name: "postgres", port: 5433)])
    }

    @Test("a Pod keeps podIPs (falling back to podIP), phase, deletion, readiness, hostname and subdomain")
    func decodesPod() throws {
        let yaml = """
            apiVersion: v1
            kind: Pod
            metadata:
              name: postgres-0
              namespace: prod
              deletionTimestamp: "2024-05-01T10:00:00Z"
              labels: {app: postgres}
            spec:
              hostname: postgres-0
              subdomain: postgres-headless
              nodeName: node-a
              containers: [{name: pg, image: postgres}]
            status:
              phase: Running
              podIP: 10.244.2.10
              podIPs: [{ip: 10.244.2.10}, {ip: "fd00::a"}]
              conditions:
              - {type: PodScheduled, status: "True"}
              - {type: Ready, status: "False"}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: single, namespace: prod}
            status: {phase: Succeeded, podIP: 10.244.2.11}
            """
        let decoded = try decode(yaml).get()
        #expect(decoded.issues.isEmpty)
        let pods = ClusterObjects(decoded.objects).pods
        #expect(pods.count == 2)
        let pg = pods[0]
        #expect(Array(pg.ips) == [ip("10.244.2.10"), ip("fd00::a")])
        #expect(pg.phase == .running)
        #expect(pg.isTerminating)
        #expect(pg.isReady == false)
        #expect(pg.hostname == "postgres-0")
        #expect(pg.subdomain == "postgres-headless")
        #expect(pg.nodeName == "node-a")
        #expect(pg.labels["app"] == "postgres")
        let single = pods[1]
        #expect(Array(single.ips) == [ip("10.244.2.11")])
        #expect(single.phase == .succeeded)
        #expect(!single.isServable)
        #expect(single.isReady == nil)
    }

    @Test("a Namespace decodes with its labels")
    func decodesNamespace() throws {
        let decoded = try decode("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: prod\n  labels: {team: a}\n").get()
        let ns = try #require(ClusterObjects(decoded.objects).namespaces.first)
        #expect(ns == Namespace(name: "prod", labels: Labels(["team": "a"])))
    }

    @Test("kubectl get -o json output (a List) decodes like its YAML")
    func decodesJSONList() throws {
        let json = """
            {
                "apiVersion": "v1",
                "items": [
                    {
                        "apiVersion": "v1",
                        "kind": "Service",
                        "metadata": {"name": "web", "namespace": "prod"},
                        "spec": {"clusterIP": "10.96.0.20", "clusterIPs": ["10.96.0.20"],
                                 "ports": [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": 8080}]}
                    },
                    {
                        "apiVersion": "v1",
                        "kind": "Namespace",
                        "metadata": {"name": "prod"}
                    }
                ],
                "kind": "List",
                "metadata": {"resourceVersion": ""}
            }
            """
        let snap = snapshot([("cluster.json", json)])
        #expect(snap.issues.isEmpty)
        let web = try #require(snap.service(namespace: "prod", name: "web"))
        #expect(web.ports == [ServicePort(name: "http", port: 80, targetPort: .number(8080))])
        #expect(snap.namespace(named: "prod")?.isDeclared == true)
    }

    @Test("an API-style ServiceList supplies the kind its items omit")
    func typedList() throws {
        let yaml = """
            apiVersion: v1
            kind: ServiceList
            items:
            - metadata: {name: a, namespace: prod}
              spec: {clusterIP: 10.96.0.1}
            - metadata: {name: b, namespace: prod}
              spec: {clusterIP: 10.96.0.2}
            """
        let snap = snapshot(yaml)
        #expect(snap.services.map(\.name) == ["a", "b"])
    }

    @Test("multi-document YAML: every document is read and empty ones are skipped")
    func multiDocument() throws {
        let yaml = "---\n" + serviceYAML(name: "a") + "\n---\n---\n" + serviceYAML(name: "b", clusterIP: "10.96.0.21") + "\n---\n"
        let decoded = try decode(yaml).get()
        #expect(decoded.objects.count == 2)
        #expect(decoded.documentCount >= 3)
        #expect(decoded.issues.isEmpty)
    }

    @Test("unknown kinds are counted by kind and skipped")
    func unknownKinds() throws {
        let yaml = """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web}
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: c1}
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: c2}
            ---
            apiVersion: v1
            kind: List
            items:
            - {apiVersion: apps/v1, kind: StatefulSet, metadata: {name: pg}}
            """
        let snap = snapshot(yaml)
        #expect(snap.unknownKinds == ["Deployment": 1, "ConfigMap": 2, "StatefulSet": 1])
        #expect(snap.issues.isEmpty)
        #expect(snap.counts.services == 0)
    }

    @Test("YAML 1.1 booleans and quoted numbers are read as Kubernetes' decoder reads them")
    func scalarForms() throws {
        let yaml = serviceYAML(extraSpec: "publishNotReadyAddresses: yes") + "\n"
        #expect(snapshot(yaml).service(namespace: "prod", name: "web")?.publishNotReadyAddresses == true)
        let quoted = serviceYAML().replacingOccurrences(of: "port: 80", with: "port: \"80\"")
        #expect(snapshot(quoted).service(namespace: "prod", name: "web")?.ports.first?.port == 80)
    }

    @Test("repeated strings decode to shared storage (interning)")
    func interning() throws {
        let interner = StringInterner()
        let long = "gke-production-pool-1-abcdef-node"
        let a = interner.intern(String(long))
        let b = interner.intern(String(long))
        // Same buffer: the UTF-8 base addresses are equal.
        let pa = a.utf8.withContiguousStorageIfAvailable { $0.baseAddress }
        let pb = b.utf8.withContiguousStorageIfAvailable { $0.baseAddress }
        #expect(pa != nil && pa == pb)
    }
}
