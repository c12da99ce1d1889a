import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The stock kubeadm Corefile (ARCHITECTURE.md, both `cache` forms), byte for byte, served by the
/// real binary with `--manifests`: cluster names from the registry, other names through
/// `forward . /etc/resolv.conf` (with `loop` probing at start), and the health, ready and metrics
/// endpoints on their kubeadm ports.
///
/// The Corefile's upstream is whatever /etc/resolv.conf names, and tests may only talk to
/// loopback. So the test runs in its own network and mount namespaces (`unshare`): a private
/// loopback, an NSD on 127.0.0.2:53 as the upstream, and a bind-mounted resolv.conf naming it.
/// Nothing leaves the namespace.
@Suite(.serialized) struct KubeadmCorefileTests {
    static let kubeadm = """
        .:53 {
            errors
            health {
               lameduck 5s
            }
            ready
            kubernetes cluster.local in-addr.arpa ip6.arpa {
               pods insecure
               fallthrough in-addr.arpa ip6.arpa
               ttl 30
            }
            prometheus :9153
            forward . /etc/resolv.conf {
               max_concurrent 1000
            }
            cache 30 {
               disable success cluster.local
               disable denial cluster.local
            }
            loop
            reload
            loadbalance
        }

        """

    static var canIsolate: Bool {
        getuid() == 0
            && FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare")
            && FileManager.default.isExecutableFile(atPath: "/usr/sbin/nsd")
            && FileManager.default.isExecutableFile(atPath: "/usr/bin/dig")
            && FileManager.default.isExecutableFile(atPath: "/usr/bin/curl")
    }

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The cluster the fake API serves for the in-cluster run (the example cluster's web-app).
    static let apiObjects = [
        FakeAPIServer.namespace("default"), FakeAPIServer.namespace("production"),
        FakeAPIServer.service("web-app", "production", clusterIP: "10.96.0.20"),
        FakeAPIServer.headless("postgres-headless", "production"),
        FakeAPIServer.slice("postgres-headless-a", "production", service: "postgres-headless", addresses: ["10.244.2.10", "10.244.2.11"]),
    ]

    /// Runs the scenario in fresh namespaces and returns what the script printed.
    /// - Parameter inCluster: serve from a fake API server the way a pod does (the kubelet's
    ///   service environment and a service-account directory mounted at its real path), instead
    ///   of `--manifests`.
    static func run(corefile: String, inCluster: Bool = false) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kubeadm-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try corefile.write(to: dir.appendingPathComponent("Corefile"), atomically: true, encoding: .utf8)
        try """
            $ORIGIN example.test.
            $TTL 300
            @   IN SOA ns.example.test. hostmaster.example.test. 1 3600 600 86400 60
                IN NS  ns.example.test.
            ns  IN A   127.0.0.2
            www IN A   192.0.2.80

            """.write(to: dir.appendingPathComponent("example.test.zone"), atomically: true, encoding: .utf8)
        try NSDProcess.isolatedConfig(zones: dir.path, state: dir.path)
            .write(to: dir.appendingPathComponent("nsd.conf"), atomically: true, encoding: .utf8)
        var apiSetup = ""
        // Sockets sharing a port through SO_REUSEPORT must belong to one uid: when the server runs
        // as 65534, so does the upstream NSD (on 127.0.0.2:53) beside it.
        var nsdPrefix = ""
        var serveCommand = "\"\(ServerProcess.binary)\" serve --conf \(dir.path)/Corefile --manifests \(root.path)/Zones/manifests"
        if inCluster {
            try FakeAPIServer.makeCertificates(in: dir)
            try "{\"items\":[\(apiObjects.joined(separator: ","))]}".write(to: dir.appendingPathComponent("seed.json"), atomically: true, encoding: .utf8)
            let sa = "/var/run/secrets/kubernetes.io/serviceaccount"
            apiSetup = """
                python3 \(FakeAPIServer.script) --port 6443 --port-file \(dir.path)/api.port --tls-cert \(dir.path)/server.crt \\
                    --tls-key \(dir.path)/server.key --token sa-token --seed \(dir.path)/seed.json > \(dir.path)/api.log 2>&1 &
                for i in $(seq 100); do [ -s \(dir.path)/api.port ] && break; sleep 0.1; done
                mount -t tmpfs tmpfs /run
                mkdir -p \(sa)
                echo -n sa-token > \(sa)/token
                cp \(dir.path)/ca.crt \(sa)/ca.crt
                echo -n kube-system > \(sa)/namespace
                chmod 0644 \(sa)/token \(sa)/ca.crt
                chmod 0777 \(dir.path)
                export KUBERNETES_SERVICE_HOST=127.0.0.1 KUBERNETES_SERVICE_PORT=6443
                """
            // The Deployment's container (deploy/kubernetes/03-deployment.yaml): its arguments, as
            // uid/gid 65534 with no capability but NET_BIND_SERVICE.
            nsdPrefix = "setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all,+net_bind_service "
                + "--ambient-caps=-all,+net_bind_service "
            serveCommand = "setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all,+net_bind_service "
                + "--ambient-caps=-all,+net_bind_service --bounding-set=-all,+net_bind_service "
                + "\"\(ServerProcess.binary)\" serve --conf \(dir.path)/Corefile"
        }
        let script = """
            set -u
            ip link set lo up
            \(apiSetup)
            echo "nameserver 127.0.0.2" > \(dir.path)/resolv.conf
            mount --bind \(dir.path)/resolv.conf /etc/resolv.conf
            \(nsdPrefix)nsd -d -c \(dir.path)/nsd.conf > \(dir.path)/nsd.out 2>&1 &
            NSD=$!
            for i in $(seq 100); do dig @127.0.0.2 www.example.test +short +time=1 +tries=1 | grep -q . && break; sleep 0.1; done
            \(serveCommand) > \(dir.path)/server.log 2>&1 &
            SERVER=$!
            for i in $(seq 200); do curl -sf http://127.0.0.1:8181/ready > /dev/null && break; sleep 0.1; done
            echo "ready: $(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:8181/ready)"
            echo "health: $(curl -s http://127.0.0.1:8080/health)"
            echo "cluster: $(dig @127.0.0.1 web-app.production.svc.cluster.local +short | tr '\\n' ' ')"
            echo "srv: $(dig @127.0.0.1 _http._tcp.web-app.production.svc.cluster.local SRV +short | tr '\\n' ' ')"
            echo "ptr: $(dig @127.0.0.1 -x 10.96.0.20 +short)"
            echo "external: $(dig @127.0.0.1 www.example.test +short)"
            echo "external-tcp: $(dig @127.0.0.1 www.example.test +tcp +short)"
            echo "nxdomain: $(dig @127.0.0.1 nope.production.svc.cluster.local | grep -o 'status: [A-Z]*')"
            echo "metrics: $(curl -s http://127.0.0.1:9153/metrics | grep -c '^coredns_dns_requests_total')"
            kill -TERM $SERVER
            wait $SERVER
            echo "exit: $?"
            kill $NSD 2>/dev/null
            echo "--- nsd"; cat \(dir.path)/nsd.out \(dir.path)/nsd.log 2>/dev/null
            echo "--- log"
            cat \(dir.path)/server.log
            """
        return try IsolatedScript.run(script, in: dir, timeout: .seconds(120))
    }

    @Test("the stock kubeadm Corefile runs unchanged with --manifests", .enabled(if: canIsolate))
    func kubeadmCorefile() throws {
        let output = try Self.run(corefile: Self.kubeadm)
        #expect(output.contains("ready: 200"), "\(output)")
        #expect(output.contains("health: OK"), "\(output)")
        #expect(output.contains("cluster: 10.96.0.20"), "\(output)")
        #expect(output.contains("srv: 0 50 80 web-app.production.svc.cluster.local."), "\(output)")
        #expect(output.contains("ptr: web-app.production.svc.cluster.local."), "\(output)")
        #expect(output.contains("external: 192.0.2.80"), "\(output)")
        #expect(output.contains("external-tcp: 192.0.2.80"), "\(output)")
        #expect(output.contains("nxdomain: status: NXDOMAIN"), "\(output)")
        #expect(!output.contains("metrics: 0"), "\(output)")
        #expect(output.contains("exit: 0"), "\(output)")
    }

    @Test("the Deployment's container serves the stock kubeadm Corefile from in-cluster config: HTTPS, service-account token, uid 65534",
          .enabled(if: canIsolate && FakeAPIServer.available))
    func kubeadmInCluster() throws {
        // deploy/Corefile is what the ConfigMap mounts; DeployManifestTests holds it to kubeadm's.
        let corefile = try String(contentsOf: Self.root.appendingPathComponent("deploy/Corefile"), encoding: .utf8)
        let output = try Self.run(corefile: corefile, inCluster: true)
        #expect(output.contains("ready: 200"), "\(output)")
        #expect(output.contains("cluster: 10.96.0.20"), "\(output)")
        #expect(output.contains("ptr: web-app.production.svc.cluster.local."), "\(output)")
        #expect(output.contains("external: 192.0.2.80"), "\(output)")
        #expect(output.contains("nxdomain: status: NXDOMAIN"), "\(output)")
        #expect(output.contains("config=in-cluster"), "\(output)")
        #expect(output.contains("exit: 0"), "\(output)")
    }

    @Test("older kubeadm's bare `cache 30` runs too", .enabled(if: canIsolate))
    func bareCache() throws {
        let corefile = Self.kubeadm.replacingOccurrences(of: """
            cache 30 {
               disable success cluster.local
               disable denial cluster.local
            }
        """, with: "    cache 30")
        #expect(corefile.contains("    cache 30\n"))
        let output = try Self.run(corefile: corefile)
        #expect(output.contains("cluster: 10.96.0.20"), "\(output)")
        #expect(output.contains("external: 192.0.2.80"), "\(output)")
        #expect(output.contains("exit: 0"), "\(output)")
    }
}
