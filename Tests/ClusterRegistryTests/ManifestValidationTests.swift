import Testing
@testable import ClusterRegistry

@Suite("Manifest validation")
struct ManifestValidationTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let label: String
        let yaml: String
        let code: ManifestIssue.Code
        /// The exact text of the issue, line included.
        let expected: String
        var severity: ManifestIssue.Severity = .error
        var testDescription: String { label }
    }

    /// A second, valid document first, so every case also checks the document number.
    static let prefix = "apiVersion: v1\nkind: Namespace\nmetadata: {name: prod}\n---\n"

    static let cases: [Case] = [
        Case(label: "bad IP in clusterIPs", yaml: """
            apiVersion: v1
            kind: Service
            metadata: {name: web, namespace: prod}
            spec:
              clusterIPs: [10.96.0.300]
            """, code: .invalidAddress,
            expected: #"test.yaml#2 Service/prod/web: spec.clusterIPs[0]: "10.96.0.300" is not an IP address (line 9)"#),
        Case(label: "clusterIP and clusterIPs disagree", yaml: """
            apiVersion: v1
            kind: Service
            metadata: {name: web, namespace: prod}
            spec:
              clusterIP: 10.96.0.1
              clusterIPs: [10.96.0.2]
            """, code: .invalidAddress,
            expected: #"test.yaml#2 Service/prod/web: spec.clusterIPs[0]: "10.96.0.2" must equal spec.clusterIP "10.96.0.1" (line 10)"#),
        Case(label: "two IPv4 cluster IPs", yaml: """
            apiVersion: v1
            kind: Service
            metadata: {name: web, namespace: prod}
            spec:
              clusterIPs: [10.96.0.1, 10.96.0.2]
            """, code: .invalidAddress,
            expected: "test.yaml#2 Service/prod/web: spec.clusterIPs[0]: at most one IPv4 and one IPv6 cluster IP are allowed (line 9)"),
        Case(label: "None beside an address", yaml: """
            apiVersion: v1
            kind: Service
            metadata: {name: web, namespace: prod}
            spec:
              clusterIPs: [None, 10.96.0.2]
            """, code: .invalidAddress,
            expected: #"test.yaml#2 Service/prod/web: spec.clusterIPs[0]: "None" must be the only cluster IP (line 9)"#),
        Case(label: "port out of range", yaml: """
            apiVersion: v1
            kind: Service
            metadata: {name: web, namespace: prod}
            spec:
              clusterIP: 10.96.0.1
              ports:
              - name: http
                port: 70000
            """, code: .invalidPort,
            expected: "test.yaml#2 Service/prod/web: spec.ports[0].port: 70000 is out of range 1…65535 (line 12)"),
        Case(label: "target port out of range", yaml: """
            apiVersion: v1
            kind: Service
            metadata: {name: web, namespace: prod}
            spec:
              clusterIP: 10.96.0.1
              ports: [{name: http, port: 80, targetPort: 0}]
            """, code: .invalidPort,
            expected: "test.yaml#2 Service/prod/web: spec.ports[0].targetPort: 0 is out of range 1…65535 (line 10)"),
        Case(label: "missing name", yaml: """
            apiVersion: v1
            kind: Service
            metadata: {namespace: prod}
            spec: {clusterIP: 10.96.0.1}
            """, code: .missingField,
            expected: "test.yaml#2 Service/prod/?: metadata.name: required field is missing (line 7)"),
        Case(label: "service name that is not an RFC 1123 label", yaml: """
            apiVersion: v1
            kind: Service
            metadata: {name: web-, namespace: prod}
            spec: {clusterIP: 10.96.0.1}
            """, code: .invalidName,
            expected: #"test.yaml#2 Service/prod/web-: metadata.name: "web-" is not a valid name (a Service name must be an RFC 1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63) (line 7)"#),
        Case(label: "uppercase service name", yaml: """
            apiVersion: v1
            kind: Service
            metadata: {name: Web, namespace: prod}
            spec: {clusterIP: 10.96.0.1}
            """, code: .invalidName,
            expected: #"test.yaml#2 Service/prod/Web: metadata.name: "Web" is not a valid name (a Service name must be an RFC 1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63) (line 7)"#),
        Case(label: "invalid namespace", yaml: """
            apiVersion: v1
            kind: Service
            metadata: {name: web, namespace: Prod_1}
            spec: {clusterIP: 10.96.0.1}
            """, code: .invalidName,
            expected: #"test.yaml#2 Service/Prod_1/web: metadata.namespace: "Prod_1" is not a valid namespace name (RFC 1123 label: lowercase letters, digits and '-', at most 63) (line 7)"#),
        Case(label: "unknown service type", yaml: """
            apiVersion: v1
            kind: Service
            metadata: {name: web, namespace: prod}
            spec: {type: Internal, clusterIP: 10.96.0.1}
            """, code: .invalidValue,
            expected: #"test.yaml#2 Service/prod/web: spec.type: unknown service type "Internal" (expected ClusterIP, NodePort, LoadBalancer or ExternalName) (line 8)"#),
        Case(label: "unknown protocol", yaml: """
            apiVersion: v1
            kind: Service
            metadata: {name: web, namespace: prod}
            spec:
              clusterIP: 10.96.0.1
              ports: [{name: http, port: 80, protocol: HTTP}]
            """, code: .invalidValue,
            expected: #"test.yaml#2 Service/prod/web: spec.ports[0].protocol: unknown protocol "HTTP" (expected TCP, UDP or SCTP) (line 10)"#),
        Case(label: "several ports without names", yaml: """
            apiVersion: v1
            kind: Service
            metadata: {name: web, namespace: prod}
            spec:
              clusterIP: 10.96.0.1
              ports:
              - port: 80
              - port: 443
            """, code: .missingField,
            expected: "test.yaml#2 Service/prod/web: spec.ports[0]: name: required when a service has more than one port (line 11)"),
        Case(label: "duplicate port names", yaml: """
            apiVersion: v1
            kind: Service
            metadata: {name: web, namespace: prod}
            spec:
              clusterIP: 10.96.0.1
              ports:
              - {name: http, port: 80}
              - {name: http, port: 81}
            """, code: .invalidName,
            expected: #"test.yaml#2 Service/prod/web: spec.ports[1].name: duplicate port name "http" (line 12)"#),
        Case(label: "ExternalName without a target", yaml: """
            apiVersion: v1
            kind: Service
            metadata: {name: db, namespace: prod}
            spec: {type: ExternalName}
            """, code: .missingField,
            expected: "test.yaml#2 Service/prod/db: spec.externalName: required field is missing (line 8)"),
        Case(label: "ExternalName that is not a DNS name", yaml: """
            apiVersion: v1
            kind: Service
            metadata: {name: db, namespace: prod}
            spec: {type: ExternalName, externalName: "db example com"}
            """, code: .invalidName,
            expected: #"test.yaml#2 Service/prod/db: spec.externalName: "db example com" is not a valid DNS name (lowercase RFC 1123 subdomain) (line 8)"#),
        Case(label: "headless NodePort", yaml: """
            apiVersion: v1
            kind: Service
            metadata: {name: web, namespace: prod}
            spec: {type: NodePort, clusterIP: None}
            """, code: .invalidValue,
            expected: "test.yaml#2 Service/prod/web: spec.clusterIP: a NodePort service cannot be headless (clusterIP: None) (line 8)"),
        Case(label: "EndpointSlice without its service-name label", yaml: """
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata: {name: web-abc, namespace: prod}
            addressType: IPv4
            endpoints: []
            """, code: .missingServiceName,
            expected: "test.yaml#2 EndpointSlice/prod/web-abc: metadata.labels: no kubernetes.io/service-name label, so the slice belongs to no service; skipped (line 7)",
            severity: .warning),
        Case(label: "EndpointSlice address of the wrong family", yaml: """
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata: {name: web-abc, namespace: prod, labels: {kubernetes.io/service-name: web}}
            addressType: IPv4
            endpoints:
            - addresses: ["fd00::1"]
            """, code: .invalidAddress,
            expected: #"test.yaml#2 EndpointSlice/prod/web-abc: endpoints[0].addresses[0]: "fd00::1" is not an IPv4 address (the slice's addressType) (line 10)"#),
        Case(label: "EndpointSlice of an old API version", yaml: """
            apiVersion: discovery.k8s.io/v1beta1
            kind: EndpointSlice
            metadata: {name: web-abc, namespace: prod}
            addressType: IPv4
            """, code: .unsupportedAPIVersion,
            expected: #"test.yaml#2 EndpointSlice/prod/web-abc: apiVersion "discovery.k8s.io/v1beta1" is not served for EndpointSlice (expected discovery.k8s.io/v1) (line 5)"#),
        Case(label: "Endpoints with a bad IP", yaml: """
            apiVersion: v1
            kind: Endpoints
            metadata: {name: ext, namespace: prod}
            subsets:
            - addresses: [{ip: 192.168.10.256}]
            """, code: .invalidAddress,
            expected: #"test.yaml#2 Endpoints/prod/ext: subsets[0].addresses[0].ip: "192.168.10.256" is not an IP address (line 9)"#),
        Case(label: "Pod with a bad IP", yaml: """
            apiVersion: v1
            kind: Pod
            metadata: {name: p, namespace: prod}
            status: {podIP: "10.244.1"}
            """, code: .invalidAddress,
            expected: #"test.yaml#2 Pod/prod/p: status.podIP: "10.244.1" is not an IP address (line 8)"#),
        Case(label: "a field of the wrong type", yaml: """
            apiVersion: v1
            kind: Service
            metadata: {name: web, namespace: prod}
            spec:
              clusterIP: 10.96.0.1
              ports: "80"
            """, code: .wrongType,
            expected: "test.yaml#2 Service/prod/web: spec.ports: expected a list, found a scalar (line 10)"),
        Case(label: "a document without kind", yaml: """
            apiVersion: v1
            metadata: {name: web}
            """, code: .missingKind,
            expected: "test.yaml#2: kind: required field is missing (line 5)"),
        Case(label: "a document that is not a mapping", yaml: """
            - apiVersion: v1
              kind: Service
            """, code: .notAnObject,
            expected: "test.yaml#2: a manifest document must be a mapping with apiVersion and kind (line 5)"),
    ]

    @Test("every invalid object is reported with path#document, kind/namespace/name, field and line", arguments: cases)
    func reportsIssue(_ c: Case) throws {
        let decoded = try decode(Self.prefix + c.yaml).get()
        #expect(decoded.objects.count == 1, "the valid document is still taken")
        let issue = try #require(decoded.issues.first)
        #expect(decoded.issues.count == 1)
        #expect(issue.code == c.code)
        #expect(issue.severity == c.severity)
        #expect(issue.document == 2)
        #expect(issue.description == c.expected)
    }

    @Test("a file that is not YAML is reported with the line and column the parser gives")
    func syntaxError() throws {
        let snap = snapshot([("bad.yaml", "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n   namespace: x\n")])
        let issue = try #require(snap.issues.first)
        #expect(issue.code == .syntax)
        #expect(issue.line == 5)
        #expect(issue.column == 13)
        #expect(issue.description.hasPrefix("bad.yaml:5:13: YAML/JSON syntax error: mapping values are not allowed in this context"))
    }

    @Test("issues inside a List name the item index")
    func listItemIssue() throws {
        let yaml = """
            apiVersion: v1
            kind: List
            items:
            - {apiVersion: v1, kind: Namespace, metadata: {name: ok}}
            - {apiVersion: v1, kind: Namespace, metadata: {name: Not_OK}}
            """
        let decoded = try decode(yaml).get()
        let issue = try #require(decoded.issues.first)
        #expect(issue.item == 1)
        #expect(issue.description.hasPrefix("test.yaml#1 items[1] Namespace/Not_OK: "))
    }

    @Test("warnings for objects taken but not fully served: no cluster IP, IP as externalName, FQDN slices")
    func unservedWarnings() throws {
        let yaml = """
            apiVersion: v1
            kind: Service
            metadata: {name: pending, namespace: prod}
            spec: {ports: [{port: 80}]}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: byip, namespace: prod}
            spec: {type: ExternalName, externalName: 192.0.2.10}
            ---
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata: {name: f, namespace: prod, labels: {kubernetes.io/service-name: pending}}
            addressType: FQDN
            endpoints: [{addresses: [www.example.com]}]
            """
        let snap = snapshot(yaml)
        #expect(snap.counts.services == 2)
        #expect(snap.issues.map(\.code) == [.unserved, .unserved, .unserved])
        #expect(snap.issues.allSatisfy { $0.severity == .warning })
        #expect(snap.errors.isEmpty)
        let pending = try #require(snap.serviceID(namespace: "prod", name: "pending"))
        #expect(snap.endpoints(of: pending).count == 0)
    }
}
