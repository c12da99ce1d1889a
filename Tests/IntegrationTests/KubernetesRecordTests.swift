import DNSWire
import Foundation
import Testing

/// Every record kind of the Kubernetes DNS specification and CoreDNS's `kubernetes` plugin
/// (reference §2.3–2.5), asked of a real `clusterdns serve` over the test cluster in
/// Tests/Fixtures/kubernetes, row by row.
@Suite(.serialized) struct KubernetesRecordTests {
    static func server(_ options: String = "pods insecure", files: [String] = KubernetesFixtures.cluster) throws -> ServerProcess {
        try ServerProcess(corefile: KubernetesFixtures.corefile(options), files: try KubernetesFixtures.files(files))
    }

    @Test("ClusterIP services: A/AAAA from clusterIPs by family, NodePort and LoadBalancer alike, 0 endpoints still answered")
    func clusterIP() throws {
        let server = try Self.server()
        server.client.check([
            Row(svc("svc1"), .a, .noError, ["\(svc("svc1")) 5 IN A 10.0.0.1"]),
            Row(svc("svc1"), .aaaa),
            Row(svc("svcempty"), .a, .noError, ["\(svc("svcempty")) 5 IN A 10.0.0.2"]),
            Row(svc("svc6"), .aaaa, .noError, ["\(svc("svc6")) 5 IN AAAA 1234:abcd::1"]),
            Row(svc("svc6"), .a),
            Row(svc("svc-dual-stack"), .a, .noError, ["\(svc("svc-dual-stack")) 5 IN A 10.0.0.3"]),
            Row(svc("svc-dual-stack"), .aaaa, .noError, ["\(svc("svc-dual-stack")) 5 IN AAAA 10::3"]),
            Row(svc("nodeport"), .a, .noError, ["\(svc("nodeport")) 5 IN A 10.0.0.4"]),
            Row(svc("loadbalancer"), .a, .noError, ["\(svc("loadbalancer")) 5 IN A 10.0.0.5"]),
            Row(svc("svc-noports"), .a, .noError, ["\(svc("svc-noports")) 5 IN A 10.0.0.6"]),
            Row("other-svc.other.svc.cluster.local.", .a, .noError, ["other-svc.other.svc.cluster.local. 5 IN A 10.1.0.1"]),
            // An existing name asked for another type is NODATA.
            Row(svc("svc1"), .txt), Row(svc("svc1"), .mx), Row(svc("svc1"), .cname), Row(svc("svc1"), .ns),
            Row(svc("svc1"), .hinfo), Row(svc("svc1"), .https), Row(svc("svc1"), .soa),
            // Missing service, namespace: NXDOMAIN for every type but SOA.
            Row(svc("svc0"), .a, .nameError), Row(svc("svc0"), .aaaa, .nameError), Row(svc("svc0"), .txt, .nameError),
            Row(svc("svc0"), .hinfo, .nameError), Row(svc("svc0"), .ns, .nameError), Row(svc("svc0"), .srv, .nameError),
            Row(svc("svc0"), .soa),
            Row("svc1.nonexistent.svc.cluster.local.", .a, .nameError),
        ])
    }

    @Test("SRV: priority 0, weight floor(100/n) as CoreDNS, named and unnamed ports, case-insensitive port and protocol")
    func srv() throws {
        let server = try Self.server()
        let a1 = "\(svc("svc1")) 5 IN A 10.0.0.1"
        server.client.check([
            Row(svc("svc1"), .srv, .noError, ["\(svc("svc1")) 5 IN SRV 0 100 80 \(svc("svc1"))"], additional: [a1]),
            Row("_http._tcp." + svc("svc1"), .srv, .noError, ["_http._tcp.\(svc("svc1")) 5 IN SRV 0 100 80 \(svc("svc1"))"], additional: [a1]),
            Row("_HTTP._Tcp." + svc("svc1"), .srv, .noError, ["_HTTP._Tcp.\(svc("svc1")) 5 IN SRV 0 100 80 \(svc("svc1"))"], additional: [a1]),
            // CoreDNS strips one leading underscore when there is one; none is fine too.
            Row("http.tcp." + svc("svc1"), .srv, .noError, ["http.tcp.\(svc("svc1")) 5 IN SRV 0 100 80 \(svc("svc1"))"], additional: [a1]),
            Row("_http._udp." + svc("svc1"), .srv, .nameError),
            Row("_https._tcp." + svc("svc1"), .srv, .nameError),
            Row("_http._tcp." + svc("svc0"), .srv, .nameError),
            // The port name also answers A (CoreDNS), and NODATA for other types.
            Row("_http._tcp." + svc("svc1"), .a, .noError, ["_http._tcp.\(svc("svc1")) 5 IN A 10.0.0.1"]),
            Row("_http._tcp." + svc("svc1"), .txt),
            Row(svc("svcempty"), .srv, .noError, ["\(svc("svcempty")) 5 IN SRV 0 100 80 \(svc("svcempty"))"],
                additional: ["\(svc("svcempty")) 5 IN A 10.0.0.2"]),
            Row(svc("svc6"), .srv, .noError, ["\(svc("svc6")) 5 IN SRV 0 100 80 \(svc("svc6"))"],
                additional: ["\(svc("svc6")) 5 IN AAAA 1234:abcd::1"]),
            Row("_http._tcp." + svc("svc6"), .srv, .noError, ["_http._tcp.\(svc("svc6")) 5 IN SRV 0 100 80 \(svc("svc6"))"],
                additional: ["\(svc("svc6")) 5 IN AAAA 1234:abcd::1"]),
            // Dual stack: two candidates, one record, weight 50.
            Row(svc("svc-dual-stack"), .srv, .noError, ["\(svc("svc-dual-stack")) 5 IN SRV 0 50 80 \(svc("svc-dual-stack"))"],
                additional: ["\(svc("svc-dual-stack")) 5 IN A 10.0.0.3", "\(svc("svc-dual-stack")) 5 IN AAAA 10::3"]),
            Row(svc("svc-noports"), .srv),
            Row(svc("svc-unnamed"), .srv, .noError, ["\(svc("svc-unnamed")) 5 IN SRV 0 100 8080 \(svc("svc-unnamed"))"],
                additional: ["\(svc("svc-unnamed")) 5 IN A 10.0.0.8"]),
            Row("_http._tcp." + svc("svc-unnamed"), .srv, .nameError),
            // kube-dns's shape: 3 candidates (weight 33), 53/UDP and 53/TCP give one record.
            Row(svc("multiport"), .srv, .noError, [
                "\(svc("multiport")) 5 IN SRV 0 33 53 \(svc("multiport"))",
                "\(svc("multiport")) 5 IN SRV 0 33 9153 \(svc("multiport"))",
            ], additional: ["\(svc("multiport")) 5 IN A 10.0.0.7"]),
            Row("_dns._udp." + svc("multiport"), .srv, .noError, ["_dns._udp.\(svc("multiport")) 5 IN SRV 0 100 53 \(svc("multiport"))"],
                additional: ["\(svc("multiport")) 5 IN A 10.0.0.7"]),
            Row("_dns._tcp." + svc("multiport"), .srv, .nameError),
            Row("_dns-tcp._TCP." + svc("multiport"), .srv, .noError, ["_dns-tcp._TCP.\(svc("multiport")) 5 IN SRV 0 100 53 \(svc("multiport"))"],
                additional: ["\(svc("multiport")) 5 IN A 10.0.0.7"]),
            // `_` alone is an empty port name, which CoreDNS treats as "any port".
            Row("_._tcp." + svc("multiport"), .srv, .noError, [
                "_._tcp.\(svc("multiport")) 5 IN SRV 0 50 53 \(svc("multiport"))",
                "_._tcp.\(svc("multiport")) 5 IN SRV 0 50 9153 \(svc("multiport"))",
            ], additional: ["\(svc("multiport")) 5 IN A 10.0.0.7"]),
            Row(svc("nodeport"), .srv, .noError, ["\(svc("nodeport")) 5 IN SRV 0 100 80 \(svc("nodeport"))"],
                additional: ["\(svc("nodeport")) 5 IN A 10.0.0.4"]),
            Row("_https._tcp." + svc("loadbalancer"), .srv, .noError,
                ["_https._tcp.\(svc("loadbalancer")) 5 IN SRV 0 100 443 \(svc("loadbalancer"))"],
                additional: ["\(svc("loadbalancer")) 5 IN A 10.0.0.5"]),
        ])
    }

    @Test("a Service whose name starts with a digit answers (RelaxedServiceNameValidation; Kubernetes' DNS e2e test)")
    func digitFirstService() throws {
        var files = try KubernetesFixtures.files()
        files["cluster/digit.yaml"] = """
            apiVersion: v1
            kind: Service
            metadata: {name: 1kubernetes, namespace: testns}
            spec:
              clusterIP: 10.0.0.99
              ports: [{name: https, port: 443}]
            """
        let server = try ServerProcess(corefile: KubernetesFixtures.corefile("pods insecure"), files: files)
        let name = svc("1kubernetes")
        server.client.check([
            Row(name, .a, .noError, ["\(name) 5 IN A 10.0.0.99"]),
            Row("_https._tcp." + name, .srv, .noError, ["_https._tcp.\(name) 5 IN SRV 0 100 443 \(name)"], additional: ["\(name) 5 IN A 10.0.0.99"]),
            Row("99.0.0.10.in-addr.arpa.", .ptr, .noError, ["99.0.0.10.in-addr.arpa. 5 IN PTR \(name)"]),
        ])
        #expect(!server.log.contains("1kubernetes: metadata.name"), "\(server.log)")
    }

    @Test("SRV targets and their additional records: the registry's lowercase names, only the zone in the question's case (CoreDNS)")
    func srvTargetCase() throws {
        let server = try Self.server()
        let asked = "SVC1.TestNS.svc.Cluster.Local."
        let target = "svc1.testns.svc.Cluster.Local."
        let headless = "HDLS1.TESTNS.svc.Cluster.LOCAL."
        let headlessTarget = "hdls1.testns.svc.Cluster.LOCAL."
        server.client.check([
            Row(asked, .srv, .noError, ["\(asked) 5 IN SRV 0 100 80 \(target)"], additional: ["\(target) 5 IN A 10.0.0.1"]),
            Row("_HTTP._TCP." + asked, .srv, .noError, ["_HTTP._TCP.\(asked) 5 IN SRV 0 100 80 \(target)"],
                additional: ["\(target) 5 IN A 10.0.0.1"]),
            Row("Dup-Name." + headless, .srv, .noError, ["Dup-Name.\(headless) 5 IN SRV 0 50 80 dup-name.\(headlessTarget)"],
                additional: ["dup-name.\(headlessTarget) 5 IN A 172.0.0.4", "dup-name.\(headlessTarget) 5 IN A 172.0.0.5"]),
        ])
        // Exact case: the presentation comparison above keeps case, and so does this one.
        let reply = try server.client.query(headless, .srv)
        let targets = reply.answers.compactMap { record -> String? in
            if case .srv(_, _, _, let t) = record.rdata { return t.description } else { return nil }
        }
        #expect(!targets.isEmpty && targets.allSatisfy { $0.hasSuffix(".hdls1.testns.svc.Cluster.LOCAL.") }, "\(reply)")
    }

    @Test("headless services: ready endpoints only, readiness rules, NXDOMAIN without ready endpoints, SRV per endpoint")
    func headless() throws {
        let server = try Self.server()
        let h = svc("hdls1")
        let hdlsAdditional = [
            "172-0-0-2.\(h) 5 IN A 172.0.0.2", "172-0-0-3.\(h) 5 IN A 172.0.0.3",
            "dup-name.\(h) 5 IN A 172.0.0.4", "dup-name.\(h) 5 IN A 172.0.0.5",
            "5678-abcd--1.\(h) 5 IN AAAA 5678:abcd::1", "5678-abcd--2.\(h) 5 IN AAAA 5678:abcd::2",
        ]
        func hdlsSRV(_ owner: String) -> [String] {
            ["172-0-0-2", "172-0-0-3", "dup-name", "5678-abcd--1", "5678-abcd--2"].map { "\(owner) 5 IN SRV 0 16 80 \($0).\(h)" }
        }
        server.client.check([
            Row(h, .a, .noError, ["172.0.0.2", "172.0.0.3", "172.0.0.4", "172.0.0.5"].map { "\(h) 5 IN A \($0)" }),
            Row(h, .aaaa, .noError, ["\(h) 5 IN AAAA 5678:abcd::1", "\(h) 5 IN AAAA 5678:abcd::2"]),
            Row(h, .srv, .noError, hdlsSRV(h), additional: hdlsAdditional),
            Row("_http._tcp." + h, .srv, .noError, hdlsSRV("_http._tcp." + h), additional: hdlsAdditional),
            Row("_http._tcp." + h, .aaaa, .noError, ["_http._tcp.\(h) 5 IN AAAA 5678:abcd::1", "_http._tcp.\(h) 5 IN AAAA 5678:abcd::2"]),
            Row("_grpc._tcp." + h, .srv, .nameError),
            Row(h, .txt),
            Row(h, .cname),
            // Endpoint names: dashed IPv4, hostnames shared by two addresses, dashed IPv6.
            Row("172-0-0-2." + h, .a, .noError, ["172-0-0-2.\(h) 5 IN A 172.0.0.2"]),
            Row("172-0-0-2." + h, .aaaa),
            Row("172-0-0-6." + h, .a, .nameError),
            Row("dup-name." + h, .a, .noError, ["dup-name.\(h) 5 IN A 172.0.0.4", "dup-name.\(h) 5 IN A 172.0.0.5"]),
            Row("dup-name." + h, .aaaa),
            Row("dup-name." + h, .srv, .noError, ["dup-name.\(h) 5 IN SRV 0 50 80 dup-name.\(h)"],
                additional: ["dup-name.\(h) 5 IN A 172.0.0.4", "dup-name.\(h) 5 IN A 172.0.0.5"]),
            Row("5678-abcd--1." + h, .aaaa, .noError, ["5678-abcd--1.\(h) 5 IN AAAA 5678:abcd::1"]),
            Row("5678-abcd--1." + h, .a),
            Row("bogusendpoint." + h, .a, .nameError),
            Row("bogusendpoint." + svc("svc0"), .a, .nameError),
            // A slice without ports: addresses yes, SRV no.
            Row(svc("hdlsprtls"), .a, .noError, ["\(svc("hdlsprtls")) 5 IN A 172.0.0.20"]),
            Row("172-0-0-20." + svc("hdlsprtls"), .a, .noError, ["172-0-0-20.\(svc("hdlsprtls")) 5 IN A 172.0.0.20"]),
            Row(svc("hdlsprtls"), .srv),
            // No ready endpoint: the name does not exist, whatever is asked.
            Row(svc("hdls-notready"), .a, .nameError), Row(svc("hdls-notready"), .aaaa, .nameError),
            Row(svc("hdls-notready"), .srv, .nameError), Row(svc("hdls-notready"), .txt, .nameError),
            Row("_http._tcp." + svc("hdls-notready"), .srv, .nameError),
            Row("starting-0." + svc("hdls-notready"), .a, .nameError),
            // publishNotReadyAddresses and the tolerate-unready annotation serve not-ready ones;
            // no `ready` condition at all counts as ready.
            Row(svc("hdls-pnra"), .a, .noError, ["\(svc("hdls-pnra")) 5 IN A 172.0.1.1"]),
            Row(svc("hdls-tolerate"), .a, .noError, ["\(svc("hdls-tolerate")) 5 IN A 172.0.1.2"]),
            Row(svc("hdls-absent"), .a, .noError, ["\(svc("hdls-absent")) 5 IN A 172.0.1.3"]),
            // IPv6 endpoint names: `:` → `-`, a trailing `-` gets a `0`.
            Row(svc("hdls-v6"), .aaaa, .noError, ["\(svc("hdls-v6")) 5 IN AAAA 2001:db8::", "\(svc("hdls-v6")) 5 IN AAAA 2001:db8::1"]),
            Row(svc("hdls-v6"), .a),
            Row("2001-db8--0." + svc("hdls-v6"), .aaaa, .noError, ["2001-db8--0.\(svc("hdls-v6")) 5 IN AAAA 2001:db8::"]),
            Row("2001-db8--1." + svc("hdls-v6"), .aaaa, .noError, ["2001-db8--1.\(svc("hdls-v6")) 5 IN AAAA 2001:db8::1"]),
            Row(svc("hdls-v6"), .srv, .noError, [
                "\(svc("hdls-v6")) 5 IN SRV 0 50 9000 2001-db8--0.\(svc("hdls-v6"))",
                "\(svc("hdls-v6")) 5 IN SRV 0 50 9000 2001-db8--1.\(svc("hdls-v6"))",
            ], additional: ["2001-db8--0.\(svc("hdls-v6")) 5 IN AAAA 2001:db8::", "2001-db8--1.\(svc("hdls-v6")) 5 IN AAAA 2001:db8::1"]),
            // A pod with hostname + subdomain naming the service: named after its hostname.
            Row("my-host." + svc("subdomain-svc"), .a, .noError, ["my-host.\(svc("subdomain-svc")) 5 IN A 10.244.0.7"]),
            Row("10-244-0-7." + svc("subdomain-svc"), .a, .nameError),
        ])
    }

    @Test("endpoint names exist for ClusterIP services too: hostnames and dashed IPs, ready only")
    func clusterIPEndpoints() throws {
        let server = try Self.server()
        let s = svc("svc-hostnames")
        server.client.check([
            Row("web-0." + s, .a, .noError, ["web-0.\(s) 5 IN A 172.0.2.1"]),
            Row("web-0." + s, .srv, .noError, ["web-0.\(s) 5 IN SRV 0 100 8080 web-0.\(s)"], additional: ["web-0.\(s) 5 IN A 172.0.2.1"]),
            Row("web-1." + s, .a, .nameError),
            Row("172-0-0-1." + svc("svc1"), .a, .noError, ["172-0-0-1.\(svc("svc1")) 5 IN A 172.0.0.1"]),
            // Pod names only with endpoint_pod_names.
            Row("svc1-pod-a." + svc("svc1"), .a, .nameError),
            Row("172-0-0-9." + svc("svc1"), .a, .nameError),
        ])
    }

    @Test("ExternalName: CNAME for CNAME questions, no SRV, subdomains and ports NXDOMAIN, an IP target has no record")
    func externalNameWithoutChase() throws {
        let server = try Self.server()
        let e = svc("external")
        server.client.check([
            Row(e, .cname, .noError, ["\(e) 5 IN CNAME web.other.svc.interwebs.test."]),
            Row(e, .srv),
            Row(e, .mx),
            Row("_http._tcp." + e, .srv, .nameError),
            Row("endpoint." + e, .cname, .nameError),
            Row("endpoint." + e, .a, .nameError),
            Row("subdomain.subdomain." + e, .cname, .nameError),
            Row(svc("external-ip"), .a, .nameError),
            Row(svc("external-ip"), .cname, .nameError),
        ])
    }

    @Test("names that are not objects: namespaces, svc/pod levels, apex types, too long, wildcards, AXFR")
    func structure() throws {
        let server = try Self.server()
        server.client.check([
            Row("testns.svc.cluster.local.", .a), Row("testns.svc.cluster.local.", .ns),
            Row("nonexistent.svc.cluster.local.", .a, .nameError),
            Row("svc.cluster.local.", .a), Row("svc.cluster.local.", .ns),
            Row("pod.cluster.local.", .a),
            Row("testns.pod.cluster.local.", .a),
            Row("nonexistent.pod.cluster.local.", .a, .nameError),
            Row("foo.cluster.local.", .a, .nameError), Row("foo.cluster.local.", .ns, .nameError),
            Row("foo.svc.cluster.local.", .ns, .nameError),
            Row("dns.cluster.local.", .a, .nameError),
            Row("cluster.local.", .a), Row("cluster.local.", .aaaa), Row("cluster.local.", .srv), Row("cluster.local.", .txt),
            Row("cluster.local.", .mx),
            // SOA below the apex: NODATA whether the name exists or not (CoreDNS).
            Row("foo.cluster.local.", .soa), Row(svc("svc1"), .soa), Row("a.b.c.d.e.f.cluster.local.", .soa),
            // Too long: three or more labels before the service.
            Row("a.b.c." + svc("svc1"), .a, .nameError),
            Row("a.b.c.d." + svc("svc1"), .a, .nameError),
            Row("x.y.10-244-0-1.testns.pod.cluster.local.", .a, .nameError),
            // No wildcards (CoreDNS removed them: an information leak).
            Row("*." + "testns.svc.cluster.local.", .a, .nameError),
            Row("any.testns.svc.cluster.local.", .a, .nameError),
            Row("*.*.svc.cluster.local.", .a, .nameError),
            Row("*." + svc("hdls1"), .a, .nameError),
            Row("_*._tcp." + svc("svc1"), .srv, .nameError),
            // dns-version: TXT "1.1.0" with TTL 28800; the name exists for other types.
            Row("dns-version.cluster.local.", .txt, .noError, ["dns-version.cluster.local. 28800 IN TXT \"1.1.0\""]),
            Row("dns-version.cluster.local.", .a),
        ])
        // The SOA itself.
        let soa = try server.client.query("cluster.local.", .soa)
        #expect(soa.rcode == .noError && soa.header.authoritative)
        #expect(soa.answers.count == 1)
        let serial = ZoneSOA(zone: "cluster.local.").check(soa.answers.first, "cluster.local SOA")
        // The serial is the registry's: the Unix time of the last DNS-relevant change, here the load.
        #expect(serial.map { Double($0) <= Date().timeIntervalSince1970 + 1 && Double($0) > Date().timeIntervalSince1970 - 600 } == true)
        let nodata = try server.client.query(svc("svc1"), .aaaa)
        #expect(nodata.authorities.first.flatMap { if case .soa(let s) = $0.rdata { s.serial } else { nil } } == serial,
                "negative answers carry the same SOA serial")
        // Zone transfers are refused (TCP and UDP).
        for type in [RecordType.axfr, .ixfr] {
            let tcp = try server.client.queryTCP("cluster.local.", type)
            #expect(tcp.rcode == .refused && tcp.answers.isEmpty, "\(type) over TCP")
            let udp = try server.client.query("cluster.local.", type)
            #expect(udp.rcode == .refused, "\(type) over UDP")
        }
    }

    @Test("PTR: cluster IPs (v4 and v6 nibbles) name their service, ready endpoint IPs their endpoint, once per service")
    func ptr() throws {
        let server = try Self.server()
        let h = svc("hdls1")
        server.client.check([
            Row("1.0.0.10.in-addr.arpa.", .ptr, .noError, ["1.0.0.10.in-addr.arpa. 5 IN PTR \(svc("svc1"))"]),
            Row("3.0.0.10.in-addr.arpa.", .ptr, .noError, ["3.0.0.10.in-addr.arpa. 5 IN PTR \(svc("svc-dual-stack"))"]),
            Row(Self.nibbles("0010:0000:0000:0000:0000:0000:0000:0003"), .ptr, .noError,
                ["\(Self.nibbles("0010:0000:0000:0000:0000:0000:0000:0003")) 5 IN PTR \(svc("svc-dual-stack"))"]),
            Row(Self.nibbles("1234:abcd:0000:0000:0000:0000:0000:0001"), .ptr, .noError,
                ["\(Self.nibbles("1234:abcd:0000:0000:0000:0000:0000:0001")) 5 IN PTR \(svc("svc6"))"]),
            Row("2.0.0.172.in-addr.arpa.", .ptr, .noError, ["2.0.0.172.in-addr.arpa. 5 IN PTR 172-0-0-2.\(h)"]),
            Row("4.0.0.172.in-addr.arpa.", .ptr, .noError, ["4.0.0.172.in-addr.arpa. 5 IN PTR dup-name.\(h)"]),
            Row(Self.nibbles("5678:abcd:0000:0000:0000:0000:0000:0001"), .ptr, .noError,
                ["\(Self.nibbles("5678:abcd:0000:0000:0000:0000:0000:0001")) 5 IN PTR 5678-abcd--1.\(h)"]),
            // One pod behind two services: one PTR per service.
            Row("1.0.0.172.in-addr.arpa.", .ptr, .noError, [
                "1.0.0.172.in-addr.arpa. 5 IN PTR 172-0-0-1.\(svc("svc1"))",
                "1.0.0.172.in-addr.arpa. 5 IN PTR 172-0-0-1.\(svc("svc-shared"))",
            ]),
            Row("1.2.0.172.in-addr.arpa.", .ptr, .noError, ["1.2.0.172.in-addr.arpa. 5 IN PTR web-0.\(svc("svc-hostnames"))"]),
            Row("7.0.244.10.in-addr.arpa.", .ptr, .noError, ["7.0.244.10.in-addr.arpa. 5 IN PTR my-host.\(svc("subdomain-svc"))"]),
            Row("1.1.0.172.in-addr.arpa.", .ptr, .noError, ["1.1.0.172.in-addr.arpa. 5 IN PTR 172-0-1-1.\(svc("hdls-pnra"))"]),
            Row("1.0.2.10.in-addr.arpa.", .ptr, .noError, ["1.0.2.10.in-addr.arpa. 5 IN PTR secret.hidden.svc.cluster.local."]),
            // Existing reverse names, other types: NODATA.
            Row("1.0.0.10.in-addr.arpa.", .a, soaZone: "in-addr.arpa."),
            Row("1.0.0.10.in-addr.arpa.", .txt, soaZone: "in-addr.arpa."),
            // Not ready, unknown, partial, malformed: NXDOMAIN.
            Row("6.0.0.172.in-addr.arpa.", .ptr, .nameError, soaZone: "in-addr.arpa."),
            Row("1.3.0.172.in-addr.arpa.", .ptr, .nameError, soaZone: "in-addr.arpa."),
            Row("1.1.168.192.in-addr.arpa.", .ptr, .nameError, soaZone: "in-addr.arpa."),
            Row("0.0.10.in-addr.arpa.", .ptr, .nameError, soaZone: "in-addr.arpa."),
            Row("01.0.0.10.in-addr.arpa.", .ptr, .nameError, soaZone: "in-addr.arpa."),
            Row("1.1.0.0.10.in-addr.arpa.", .ptr, .nameError, soaZone: "in-addr.arpa."),
            Row("256.0.0.10.in-addr.arpa.", .ptr, .nameError, soaZone: "in-addr.arpa."),
            Row("3.0.0.0.ip6.arpa.", .ptr, .nameError, soaZone: "ip6.arpa."),
            // The reverse zones' apexes.
            Row("in-addr.arpa.", .a, soaZone: "in-addr.arpa."),
        ])
        let apex = try server.client.query("in-addr.arpa.", .soa)
        #expect(apex.rcode == .noError && apex.answers.count == 1)
        ZoneSOA(zone: "in-addr.arpa.").check(apex.answers.first, "in-addr.arpa SOA")
        let apex6 = try server.client.query("ip6.arpa.", .soa)
        ZoneSOA(zone: "ip6.arpa.").check(apex6.answers.first, "ip6.arpa SOA")
    }

    @Test("pods insecure: any IP-shaped label in an existing namespace, IPv6 dashed names, CoreDNS's label rule")
    func podsInsecure() throws {
        let server = try Self.server("pods insecure")
        let p = "testns.pod.cluster.local."
        server.client.check([
            Row("10-244-0-99." + p, .a, .noError, ["10-244-0-99.\(p) 5 IN A 10.244.0.99"]),
            Row("10-244-0-99." + p, .aaaa),
            Row("10-244-0-2." + p, .a, .noError, ["10-244-0-2.\(p) 5 IN A 10.244.0.2"]),
            Row("fd00--5." + p, .aaaa, .noError, ["fd00--5.\(p) 5 IN AAAA fd00::5"]),
            Row("fd00-0-0-0-0-0-0-5." + p, .aaaa, .noError, ["fd00-0-0-0-0-0-0-5.\(p) 5 IN AAAA fd00::5"]),
            Row("--1." + p, .aaaa, .noError, ["--1.\(p) 5 IN AAAA ::1"]),
            Row("fd00--5." + p, .a),
            Row("10-244-0-99.nonexistent.pod.cluster.local.", .a, .nameError),
            Row("not-an-ip." + p, .a, .nameError),
            Row("01-2-3-4." + p, .a, .nameError),
            Row("1-2-3-256." + p, .a, .nameError),
            Row("1-2-3." + p, .a, .nameError),
            Row("1-2-3-4-5." + p, .a, .nameError),
            Row("fd00---5." + p, .aaaa, .nameError),
            Row("fd00--5--6." + p, .aaaa, .nameError),
        ])
    }

    @Test("pods verified: only pods not Succeeded/Failed and not being deleted, in that namespace, any of their IPs")
    func podsVerified() throws {
        let server = try Self.server("pods verified")
        let p = "testns.pod.cluster.local."
        server.client.check([
            Row("10-244-0-1." + p, .a, .noError, ["10-244-0-1.\(p) 5 IN A 10.244.0.1"]),
            Row("10-244-0-4." + p, .a, .noError, ["10-244-0-4.\(p) 5 IN A 10.244.0.4"]),
            Row("10-244-0-5." + p, .a, .noError, ["10-244-0-5.\(p) 5 IN A 10.244.0.5"]),
            Row("fd00--5." + p, .aaaa, .noError, ["fd00--5.\(p) 5 IN AAAA fd00::5"]),
            Row("10-244-0-2." + p, .a, .nameError),
            Row("10-244-0-3." + p, .a, .nameError),
            Row("10-244-0-6." + p, .a, .nameError),
            Row("10-244-0-99." + p, .a, .nameError),
            Row("10-244-9-1." + p, .a, .nameError),
            Row("10-244-9-1.other.pod.cluster.local.", .a, .noError, ["10-244-9-1.other.pod.cluster.local. 5 IN A 10.244.9.1"]),
            Row("testns.pod.cluster.local.", .a),
        ])
    }

    @Test("pods disabled (the default): every pod name, and the namespace under pod, is NXDOMAIN")
    func podsDisabled() throws {
        let server = try Self.server("")
        server.client.check([
            Row("10-244-0-1.testns.pod.cluster.local.", .a, .nameError),
            Row("testns.pod.cluster.local.", .a, .nameError),
            Row("pod.cluster.local.", .a),
        ])
    }

    /// `x.x.x…ip6.arpa.` for a fully written IPv6 address.
    static func nibbles(_ full: String) -> String {
        full.filter { $0 != ":" }.reversed().map { "\($0)." }.joined() + "ip6.arpa."
    }
}
