import DNSWire
import Testing
@testable import Simulator

/// The name grammar of CoreDNS's kubernetes plugin (parse.go), and "did you mean" suggestions.
@Suite struct ClusterNameTests {
    static let zone: DomainName = "cluster.local."

    static let cases: [(String, ClusterName)] = [
        ("cluster.local.", .apex),
        ("svc.cluster.local.", .typeLevel("svc")),
        ("pod.cluster.local.", .typeLevel("pod")),
        ("dns-version.cluster.local.", .dnsVersion),
        ("ns.dns.cluster.local.", .nameServer),
        ("production.svc.cluster.local.", .namespace("production", podLevel: false)),
        ("production.pod.cluster.local.", .namespace("production", podLevel: true)),
        ("web.production.svc.cluster.local.", .service(service: "web", namespace: "production")),
        ("Web.Production.SVC.Cluster.Local.", .service(service: "web", namespace: "production")),
        ("web-0.web.production.svc.cluster.local.", .endpoint(endpoint: "web-0", service: "web", namespace: "production")),
        ("_http._tcp.web.production.svc.cluster.local.",
         .servicePort(port: "http", proto: "tcp", service: "web", namespace: "production", underscored: true)),
        ("http.tcp.web.production.svc.cluster.local.",
         .servicePort(port: "http", proto: "tcp", service: "web", namespace: "production", underscored: false)),
        ("a.b.c.web.production.svc.cluster.local.",
         .invalid("too many labels before the service name 'web': at most an endpoint or _port._proto")),
        ("web.production.cluster.local.",
         .invalid("the label before the zone must be 'svc' (services) or 'pod' (pods), not 'production'")),
        ("10-244-1-7.production.pod.cluster.local.",
         .pod(label: "10-244-1-7", address: IPAddress("10.244.1.7"), namespace: "production")),
        ("fd00--1.production.pod.cluster.local.", .pod(label: "fd00--1", address: IPAddress("fd00::1"), namespace: "production")),
        ("web.production.pod.cluster.local.", .pod(label: "web", address: nil, namespace: "production")),
        ("x.10-244-1-7.production.pod.cluster.local.", .invalid("nothing exists below a pod name (10-244-1-7.production.pod)")),
        ("example.com.", .outsideZone),
        ("7.1.244.10.in-addr.arpa.", .reverse(.v4(IPv4Address(10, 244, 1, 7)))),
    ]

    @Test("each name is read as CoreDNS reads it", arguments: cases)
    func grammar(_ name: String, _ expected: ClusterName) throws {
        #expect(ClusterName.parse(try DomainName(name), zone: Self.zone) == expected)
    }

    @Test("the types worth asking follow the kind of name")
    func interestingTypes() {
        #expect(ClusterName.servicePort(port: "a", proto: "tcp", service: "s", namespace: "n", underscored: true).interestingTypes == [.srv])
        #expect(ClusterName.service(service: "s", namespace: "n").interestingTypes == [.a, .aaaa])
        #expect(ClusterName.dnsVersion.interestingTypes == [.txt])
    }

    @Test("edit distance counts insertions, deletions and substitutions")
    func distance() {
        #expect(NameSuggestions.distance("kitten", "sitting") == 3)
        #expect(NameSuggestions.distance("web", "web") == 0)
        #expect(NameSuggestions.distance("", "abc") == 3)
        #expect(NameSuggestions.distance("Prod", "prod") == 0)
    }

    @Test("suggestions: typos and prefixes, closest first, nothing unrelated")
    func suggestions() {
        let names = ["production", "staging", "kube-system", "default", "prod-eu"]
        #expect(NameSuggestions.closest(to: "prodution", among: names) == ["production"])
        #expect(NameSuggestions.closest(to: "prod", among: names).first == "prod-eu")
        #expect(NameSuggestions.closest(to: "web", among: ["web-app", "api", "db"]) == ["web-app"])
        #expect(NameSuggestions.closest(to: "zzzzzz", among: names).isEmpty)
    }
}
