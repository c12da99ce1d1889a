import DNSWire
import Foundation
import Testing

/// The `kubernetes` directive's options, ExternalName chasing through the chain, the apex NS,
/// 0x20 case, TCP and truncation, against a real `clusterdns serve`.
@Suite(.serialized) struct KubernetesDirectiveTests {
    static func server(_ options: String, zones: String = "cluster.local in-addr.arpa ip6.arpa", extra: String = "",
                       files: [String] = KubernetesFixtures.cluster) throws -> ServerProcess {
        try ServerProcess(corefile: KubernetesFixtures.corefile(zones: zones, options, extra: extra),
                          files: try KubernetesFixtures.files(files))
    }

    @Test("ExternalName: the CNAME first, then the target chased through the chain (in zone, another block, chains, TXT)")
    func externalNameChase() throws {
        let corefile = KubernetesFixtures.corefile() + """

            interwebs.test:{PORT} {
                kubernetes interwebs.test {
                    manifests {DIR}/interwebs
                }
            }
            """
        var files = try KubernetesFixtures.files()
        files.merge(try KubernetesFixtures.files(["interwebs.yaml"], under: "interwebs")) { a, _ in a }
        let server = try ServerProcess(corefile: corefile, files: files)
        let web = "web.other.svc.interwebs.test."
        let rows = [
            Row(svc("external"), .a, .noError, ["\(svc("external")) 5 IN CNAME \(web)", "\(web) 5 IN A 10.3.0.1"]),
            Row(svc("external"), .aaaa, .noError, ["\(svc("external")) 5 IN CNAME \(web)", "\(web) 5 IN AAAA fd00:3::1"]),
            // The target exists without TXT: the CNAME alone.
            Row(svc("external"), .txt, .noError, ["\(svc("external")) 5 IN CNAME \(web)"]),
            Row(svc("external-to-service"), .a, .noError,
                ["\(svc("external-to-service")) 5 IN CNAME \(svc("svc1"))", "\(svc("svc1")) 5 IN A 10.0.0.1"]),
            Row(svc("external-to-headless"), .a, .noError,
                ["\(svc("external-to-headless")) 5 IN CNAME \(svc("hdls1"))"]
                    + ["172.0.0.2", "172.0.0.3", "172.0.0.4", "172.0.0.5"].map { "\(svc("hdls1")) 5 IN A \($0)" }),
            Row(svc("external-chain"), .a, .noError, [
                "\(svc("external-chain")) 5 IN CNAME \(svc("external-to-service"))",
                "\(svc("external-to-service")) 5 IN CNAME \(svc("svc1"))",
                "\(svc("svc1")) 5 IN A 10.0.0.1",
            ]),
            Row(svc("external-version"), .txt, .noError, [
                "\(svc("external-version")) 5 IN CNAME dns-version.cluster.local.",
                "dns-version.cluster.local. 28800 IN TXT \"1.1.0\"",
            ]),
            // A loop ends with the CNAME that closes it; a missing target leaves the CNAME alone.
            Row(svc("loop-a"), .a, .noError, [
                "\(svc("loop-a")) 5 IN CNAME \(svc("loop-b"))", "\(svc("loop-b")) 5 IN CNAME \(svc("loop-a"))",
            ]),
            Row(svc("external-missing"), .a, .noError, ["\(svc("external-missing")) 5 IN CNAME nothere.testns.svc.cluster.local."]),
        ]
        server.client.check(rows)
        server.client.check(rows, tcp: true)
        // The CNAME comes first, its target's records after it.
        for row in rows {
            let reply = try server.client.query(row.name, row.type)
            #expect(reply.answers.first?.type == .cname, "\(row): CNAME first\n\(reply)")
            #expect(reply.answers.first?.name.description == row.name, "\(row): CNAME owner")
        }
        let chain = try server.client.query(svc("external-chain"), .a)
        #expect(chain.answers.map(\.type) == [.cname, .cname, .a])
    }

    @Test("ExternalName to a name outside the cluster: chased through forward to an upstream (another clusterdns on loopback)")
    func externalNameThroughForward() throws {
        let upstream = try ServerProcess(corefile: ".:{PORT} {\n    hosts {DIR}/db.hosts\n}\n",
                                         files: ["db.hosts": "192.0.2.10 db.example.com\n2001:db8::10 db.example.com\n"])
        var files = try KubernetesFixtures.files(["namespaces.yaml"])
        files["cluster/db.yaml"] = """
            apiVersion: v1
            kind: Service
            metadata: {name: db, namespace: testns}
            spec: {type: ExternalName, externalName: db.example.com}
            """
        let server = try ServerProcess(corefile: """
            .:{PORT} {
                kubernetes cluster.local {
                    manifests {DIR}/cluster
                }
                forward . 127.0.0.1:\(upstream.port)
            }
            """, files: files)
        let db = svc("db")
        let rows = [
            Row(db, .a, .noError, ["\(db) 5 IN CNAME db.example.com.", "db.example.com. 3600 IN A 192.0.2.10"]),
            Row(db, .aaaa, .noError, ["\(db) 5 IN CNAME db.example.com.", "db.example.com. 3600 IN AAAA 2001:db8::10"]),
            Row(db, .txt, .noError, ["\(db) 5 IN CNAME db.example.com."]),
        ]
        server.client.check(rows)
        server.client.check(rows, tcp: true)
        let reply = try server.client.query(db, .a)
        #expect(reply.answers.map(\.type) == [.cname, .a], "CNAME first")
    }

    @Test("namespaces: only the listed namespaces exist; their services, pods and PTRs; others NXDOMAIN")
    func namespaces() throws {
        let server = try Self.server("namespaces testns\npods insecure")
        server.client.check([
            Row(svc("svc1"), .a, .noError, ["\(svc("svc1")) 5 IN A 10.0.0.1"]),
            Row("testns.svc.cluster.local.", .a),
            Row("other-svc.other.svc.cluster.local.", .a, .nameError),
            Row("other.svc.cluster.local.", .a, .nameError),
            Row("secret.hidden.svc.cluster.local.", .a, .nameError),
            Row("10-244-9-1.other.pod.cluster.local.", .a, .nameError),
            Row("10-244-0-1.testns.pod.cluster.local.", .a, .noError, ["10-244-0-1.testns.pod.cluster.local. 5 IN A 10.244.0.1"]),
            Row("1.0.1.10.in-addr.arpa.", .ptr, .nameError, soaZone: "in-addr.arpa."),
            Row("1.0.0.10.in-addr.arpa.", .ptr, .noError, ["1.0.0.10.in-addr.arpa. 5 IN PTR \(svc("svc1"))"]),
        ])
    }

    @Test("namespace_labels: namespaces selected by their labels (equality and set forms)")
    func namespaceLabels() throws {
        let equality = try Self.server("namespace_labels team=a")
        equality.client.check([
            Row(svc("svc1"), .a, .noError, ["\(svc("svc1")) 5 IN A 10.0.0.1"]),
            Row("other-svc.other.svc.cluster.local.", .a, .nameError),
            Row("other.svc.cluster.local.", .a, .nameError),
        ])
        let set = try Self.server("namespace_labels team in (a,b)")
        set.client.check([
            Row("other-svc.other.svc.cluster.local.", .a, .noError, ["other-svc.other.svc.cluster.local. 5 IN A 10.1.0.1"]),
            Row("secret.hidden.svc.cluster.local.", .a, .nameError),
            Row("2.0.0.172.in-addr.arpa.", .ptr, .noError, ["2.0.0.172.in-addr.arpa. 5 IN PTR 172-0-0-2.\(svc("hdls1"))"]),
            Row("1.0.2.10.in-addr.arpa.", .ptr, .nameError, soaZone: "in-addr.arpa."),
        ])
    }

    @Test("labels: only services matching the selector exist (their PTRs too)")
    func labels() throws {
        let server = try Self.server("labels tier=frontend")
        server.client.check([
            Row(svc("svc1"), .a, .noError, ["\(svc("svc1")) 5 IN A 10.0.0.1"]),
            Row("other-svc.other.svc.cluster.local.", .a, .noError, ["other-svc.other.svc.cluster.local. 5 IN A 10.1.0.1"]),
            Row(svc("svcempty"), .a, .nameError),
            Row(svc("hdls1"), .a, .nameError),
            Row("testns.svc.cluster.local.", .a),
            Row("2.0.0.10.in-addr.arpa.", .ptr, .nameError, soaZone: "in-addr.arpa."),
            Row("1.0.0.10.in-addr.arpa.", .ptr, .noError, ["1.0.0.10.in-addr.arpa. 5 IN PTR \(svc("svc1"))"]),
        ])
    }

    @Test("noendpoints: cluster IPs and service ports only; headless, endpoint names and endpoint PTRs are gone")
    func noEndpoints() throws {
        let server = try Self.server("noendpoints")
        server.client.check([
            Row(svc("svc1"), .a, .noError, ["\(svc("svc1")) 5 IN A 10.0.0.1"]),
            Row(svc("svc1"), .srv, .noError, ["\(svc("svc1")) 5 IN SRV 0 100 80 \(svc("svc1"))"],
                additional: ["\(svc("svc1")) 5 IN A 10.0.0.1"]),
            Row(svc("hdls1"), .a, .nameError),
            Row("172-0-0-1." + svc("svc1"), .a, .nameError),
            Row("2.0.0.172.in-addr.arpa.", .ptr, .nameError, soaZone: "in-addr.arpa."),
            Row("1.0.0.10.in-addr.arpa.", .ptr, .noError, ["1.0.0.10.in-addr.arpa. 5 IN PTR \(svc("svc1"))"]),
        ])
    }

    @Test("ignore empty_service: a ClusterIP service without ready endpoints is NXDOMAIN; headless and ExternalName unchanged")
    func ignoreEmptyService() throws {
        let server = try Self.server("ignore empty_service")
        server.client.check([
            Row(svc("svcempty"), .a, .nameError),
            Row(svc("svcempty"), .srv, .nameError),
            Row("_http._tcp." + svc("svcempty"), .srv, .nameError),
            Row(svc("svc-noports"), .a, .nameError),
            Row(svc("svc1"), .a, .noError, ["\(svc("svc1")) 5 IN A 10.0.0.1"]),
            Row(svc("hdls1"), .aaaa, .noError, ["\(svc("hdls1")) 5 IN AAAA 5678:abcd::1", "\(svc("hdls1")) 5 IN AAAA 5678:abcd::2"]),
            Row(svc("external"), .cname, .noError, ["\(svc("external")) 5 IN CNAME web.other.svc.interwebs.test."]),
            Row("testns.svc.cluster.local.", .a),
        ])
    }

    @Test("endpoint_pod_names: endpoints without hostname are named after their pod (targetRef)")
    func endpointPodNames() throws {
        let server = try Self.server("endpoint_pod_names")
        server.client.check([
            Row("svc1-pod-a." + svc("svc1"), .a, .noError, ["svc1-pod-a.\(svc("svc1")) 5 IN A 172.0.0.1"]),
            Row("172-0-0-1." + svc("svc1"), .a, .nameError),
            Row("dup-name." + svc("hdls1"), .a, .noError, ["dup-name.\(svc("hdls1")) 5 IN A 172.0.0.4", "dup-name.\(svc("hdls1")) 5 IN A 172.0.0.5"]),
            Row("172-0-0-2." + svc("hdls1"), .a, .noError, ["172-0-0-2.\(svc("hdls1")) 5 IN A 172.0.0.2"]),
            Row("1.0.0.172.in-addr.arpa.", .ptr, .noError, [
                "1.0.0.172.in-addr.arpa. 5 IN PTR svc1-pod-a.\(svc("svc1"))",
                "1.0.0.172.in-addr.arpa. 5 IN PTR svc1-pod-a.\(svc("svc-shared"))",
            ]),
        ])
    }

    @Test("ttl 0 and 3600: every record but dns-version; SOA TTL min(ttl, 300), SOA minimum = ttl")
    func ttl() throws {
        let zero = try Self.server("ttl 0")
        zero.client.check([
            Row(svc("svc1"), .a, .noError, ["\(svc("svc1")) 0 IN A 10.0.0.1"]),
            Row(svc("svc0"), .a, .nameError),
            Row("dns-version.cluster.local.", .txt, .noError, ["dns-version.cluster.local. 28800 IN TXT \"1.1.0\""]),
        ], ttl: 0)
        let hour = try Self.server("ttl 3600")
        hour.client.check([
            Row(svc("svc1"), .a, .noError, ["\(svc("svc1")) 3600 IN A 10.0.0.1"]),
            Row(svc("hdls1"), .srv, .noError, ["172-0-0-2", "172-0-0-3", "dup-name", "5678-abcd--1", "5678-abcd--2"]
                .map { "\(svc("hdls1")) 3600 IN SRV 0 16 80 \($0).\(svc("hdls1"))" }),
            Row("1.0.0.10.in-addr.arpa.", .ptr, .noError, ["1.0.0.10.in-addr.arpa. 3600 IN PTR \(svc("svc1"))"]),
            Row(svc("svc1"), .aaaa),
        ], ttl: 3600)
        let soa = try hour.client.query("cluster.local.", .soa)
        ZoneSOA(zone: "cluster.local.", ttl: 3600).check(soa.answers.first, "SOA with ttl 3600")
    }

    @Test("fallthrough without zones: NXDOMAIN goes to the next plugin, NODATA and answers stay")
    func fallthroughAll() throws {
        let server = try Self.server("fallthrough")
        for (name, type) in [(svc("svc0"), RecordType.a), ("foo.cluster.local.", .a), ("1.1.168.192.in-addr.arpa.", .ptr)] {
            let reply = try server.client.query(name, type)
            #expect(KubernetesDirectiveTests.isWhoami(reply), "\(name): whoami answers\n\(reply)")
        }
        server.client.check([
            Row(svc("svc1"), .a, .noError, ["\(svc("svc1")) 5 IN A 10.0.0.1"]),
            Row(svc("svc1"), .aaaa),
            Row(svc("svc0"), .soa),
        ])
    }

    @Test("fallthrough in-addr.arpa ip6.arpa (kubeadm): unknown reverse names go on, forward NXDOMAIN stays")
    func fallthroughReverse() throws {
        let server = try Self.server("pods insecure\nfallthrough in-addr.arpa ip6.arpa\nttl 30")
        server.client.check([
            Row(svc("svc0"), .a, .nameError),
            Row("1.0.0.10.in-addr.arpa.", .ptr, .noError, ["1.0.0.10.in-addr.arpa. 30 IN PTR \(svc("svc1"))"]),
        ], ttl: 30)
        for name in ["1.1.168.192.in-addr.arpa.", KubernetesRecordTests.nibbles("2001:0db8:0000:0000:0000:0000:0000:00ff")] {
            let reply = try server.client.query(name, .ptr)
            #expect(KubernetesDirectiveTests.isWhoami(reply), "\(name) went on to whoami\n\(reply)")
        }
    }

    @Test("several zones: each answers in the question's zone; PTR targets use the first forward zone")
    func multipleZones() throws {
        let server = try Self.server("", zones: "cluster.local example.org in-addr.arpa")
        let ex = "svc1.testns.svc.example.org."
        server.client.check([
            Row(ex, .a, .noError, ["\(ex) 5 IN A 10.0.0.1"]),
            Row(ex, .srv, .noError, ["\(ex) 5 IN SRV 0 100 80 \(ex)"], additional: ["\(ex) 5 IN A 10.0.0.1"]),
            Row("dup-name.hdls1.testns.svc.example.org.", .a, .noError,
                ["dup-name.hdls1.testns.svc.example.org. 5 IN A 172.0.0.4", "dup-name.hdls1.testns.svc.example.org. 5 IN A 172.0.0.5"]),
            Row("svc0.testns.svc.example.org.", .a, .nameError, soaZone: "example.org."),
            Row("1.0.0.10.in-addr.arpa.", .ptr, .noError, ["1.0.0.10.in-addr.arpa. 5 IN PTR \(svc("svc1"))"]),
            Row("dns-version.example.org.", .txt, .noError, ["dns-version.example.org. 28800 IN TXT \"1.1.0\""]),
        ])
        let soa = try server.client.query("example.org.", .soa)
        ZoneSOA(zone: "example.org.").check(soa.answers.first, "example.org SOA")
        // A name in no plugin zone goes to whoami.
        let other = try server.client.query("www.example.com.", .a)
        #expect(KubernetesDirectiveTests.isWhoami(other))
        // The primary zone is the first forward zone, whatever the order.
        let swapped = try Self.server("", zones: "in-addr.arpa example.org cluster.local")
        swapped.client.check([
            Row("1.0.0.10.in-addr.arpa.", .ptr, .noError, ["1.0.0.10.in-addr.arpa. 5 IN PTR svc1.testns.svc.example.org."]),
        ])
    }

    @Test("apex NS: ns.dns.<zone> with this server's address as glue, or the service fronting this server")
    func nameServers() throws {
        let plain = try Self.server("", extra: "bind 127.0.0.1")
        plain.client.check([
            Row("cluster.local.", .ns, .noError, ["cluster.local. 5 IN NS ns.dns.cluster.local."],
                additional: ["ns.dns.cluster.local. 5 IN A 127.0.0.1"]),
            Row("ns.dns.cluster.local.", .a, .noError, ["ns.dns.cluster.local. 5 IN A 127.0.0.1"]),
            Row("ns.dns.cluster.local.", .aaaa),
            Row("ns.dns.cluster.local.", .txt),
            Row("in-addr.arpa.", .ns, .noError, ["in-addr.arpa. 5 IN NS ns.dns.in-addr.arpa."],
                additional: ["ns.dns.in-addr.arpa. 5 IN A 127.0.0.1"]),
        ])
        let fronted = try Self.server("", extra: "bind 127.0.0.1", files: KubernetesFixtures.cluster + ["kube-dns.yaml"])
        let kubeDNS = "kube-dns.kube-system.svc.cluster.local."
        fronted.client.check([
            Row("cluster.local.", .ns, .noError, ["cluster.local. 5 IN NS \(kubeDNS)"], additional: ["\(kubeDNS) 5 IN A 10.0.0.10"]),
            Row("ns.dns.cluster.local.", .a, .noError, ["ns.dns.cluster.local. 5 IN A 10.0.0.10"]),
            Row("in-addr.arpa.", .ns, .noError, ["in-addr.arpa. 5 IN NS \(kubeDNS)"], additional: ["\(kubeDNS) 5 IN A 10.0.0.10"]),
        ])
    }

    @Test("names are matched case-insensitively and the question's case is echoed (0x20) in answers and SOA; SRV targets keep the registry's case but the zone's")
    func caseEcho() throws {
        let server = try Self.server("pods insecure")
        let s1 = "SvC1.TestNS.SVC.Cluster.LOCAL."
        let h = "Hdls1.TESTNS.svc.cluster.local."
        server.client.check([
            Row(s1, .a, .noError, ["\(s1) 5 IN A 10.0.0.1"]),
            // SRV targets are the registry's names with only the zone in the question's case (CoreDNS).
            Row(s1, .srv, .noError, ["\(s1) 5 IN SRV 0 100 80 svc1.testns.svc.Cluster.LOCAL."],
                additional: ["svc1.testns.svc.Cluster.LOCAL. 5 IN A 10.0.0.1"]),
            Row("_HTTP._TCP." + h, .srv, .noError, ["172-0-0-2", "172-0-0-3", "dup-name", "5678-abcd--1", "5678-abcd--2"]
                .map { "_HTTP._TCP.\(h) 5 IN SRV 0 16 80 \($0).hdls1.testns.svc.cluster.local." }),
            Row("DUP-NAME." + h, .a, .noError, ["DUP-NAME.\(h) 5 IN A 172.0.0.4", "DUP-NAME.\(h) 5 IN A 172.0.0.5"]),
            Row("SVC0.testns.svc.CLUSTER.local.", .a, .nameError, soaZone: "CLUSTER.local."),
            Row("10-244-0-1.TESTNS.POD.cluster.local.", .a, .noError, ["10-244-0-1.TESTNS.POD.cluster.local. 5 IN A 10.244.0.1"]),
            Row("FD00--5.testns.pod.cluster.local.", .aaaa, .noError, ["FD00--5.testns.pod.cluster.local. 5 IN AAAA fd00::5"]),
            Row("DNS-VERSION.cluster.local.", .txt, .noError, ["DNS-VERSION.cluster.local. 28800 IN TXT \"1.1.0\""]),
            Row("1.0.0.10.IN-ADDR.ARPA.", .ptr, .noError, ["1.0.0.10.IN-ADDR.ARPA. 5 IN PTR \(svc("svc1"))"]),
            Row(KubernetesRecordTests.nibbles("1234:ABCD:0000:0000:0000:0000:0000:0001").replacingOccurrences(of: "ip6.arpa", with: "IP6.ARPA"),
                .ptr, .noError,
                ["\(KubernetesRecordTests.nibbles("1234:ABCD:0000:0000:0000:0000:0000:0001").replacingOccurrences(of: "ip6.arpa", with: "IP6.ARPA")) 5 IN PTR \(svc("svc6"))"]),
        ])
    }

    @Test("TCP answers the same as UDP")
    func tcp() throws {
        let server = try Self.server("pods insecure")
        server.client.check([
            Row(svc("svc1"), .a, .noError, ["\(svc("svc1")) 5 IN A 10.0.0.1"]),
            Row(svc("svc0"), .a, .nameError),
            Row(svc("svc1"), .aaaa),
            Row(svc("svc-dual-stack"), .srv, .noError, ["\(svc("svc-dual-stack")) 5 IN SRV 0 50 80 \(svc("svc-dual-stack"))"],
                additional: ["\(svc("svc-dual-stack")) 5 IN A 10.0.0.3", "\(svc("svc-dual-stack")) 5 IN AAAA 10::3"]),
            Row("1.0.0.10.in-addr.arpa.", .ptr, .noError, ["1.0.0.10.in-addr.arpa. 5 IN PTR \(svc("svc1"))"]),
        ], tcp: true)
    }

    @Test("a headless service with 100 endpoints: over UDP the answer is truncated whole (TC, no partial RRset); TCP has all")
    func truncation() throws {
        var files = try KubernetesFixtures.files()
        files["cluster/big.yaml"] = Self.bigHeadless(count: 100)
        let server = try ServerProcess(corefile: KubernetesFixtures.corefile(), files: files)
        let big = svc("big")
        for edns in [EDNS(), nil] {
            let udp = try server.client.query(big, .a, edns: edns)
            #expect(udp.header.truncated, "TC over UDP (EDNS: \(edns != nil))")
            #expect(udp.answers.isEmpty, "no partial RRset: \(udp.answers.count) answers")
            #expect(udp.rcode == .noError && udp.header.authoritative)
        }
        let tcp = try server.client.queryTCP(big, .a)
        #expect(!tcp.header.truncated)
        let expected: Set<RData> = Set((1...100).map { (i: Int) -> RData in .a(IPv4Address(10, 9, UInt8(i / 256), UInt8(i % 256))) })
        let got: Set<RData> = Set(tcp.answers.map(\.rdata))
        #expect(got == expected)
        let srv = try server.client.queryTCP(big, .srv)
        #expect(srv.answers.count == 100)
        #expect(srv.answers.allSatisfy { if case .srv(0, 1, 8080, _) = $0.rdata { true } else { false } }, "weight floor(100/100) = 1")
        #expect(srv.additionals.count == 100)
        let udpSRV = try server.client.query(big, .srv)
        #expect(udpSRV.header.truncated && udpSRV.answers.isEmpty)
    }

    /// True for `whoami`'s answer: NOERROR, nothing in answer or authority, the client's address
    /// in the additional section.
    static func isWhoami(_ reply: Message) -> Bool {
        reply.rcode == .noError && reply.answers.isEmpty && reply.authorities.isEmpty
            && reply.additionals.contains { $0.rdata == .a(IPv4Address(127, 0, 0, 1)) }
    }

    static func bigHeadless(count: Int) -> String {
        var text = """
            apiVersion: v1
            kind: Service
            metadata: {name: big, namespace: testns}
            spec:
              clusterIP: None
              ports: [{name: http, port: 8080, protocol: TCP}]
            ---
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata:
              name: big-1
              namespace: testns
              labels: {kubernetes.io/service-name: big}
            addressType: IPv4
            ports: [{name: http, port: 8080, protocol: TCP}]
            endpoints:

            """
        for i in 1...count { text += "- addresses: [10.9.\(i / 256).\(i % 256)]\n" }
        return text
    }
}
