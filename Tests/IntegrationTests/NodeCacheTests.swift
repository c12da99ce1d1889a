import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `clusterdns node-cache` as it runs on a node, in namespaces the test creates: a client
/// namespace (a pod), the test's own namespace (the node, running the node cache on its host
/// network) and a tier namespace running the cluster tier (`clusterdns serve`, the example cluster
/// from Zones/manifests) at 10.0.2.2 and a stand-in for the node's upstream resolver (a second
/// `clusterdns serve` with the example.test zone) at 10.0.2.3, joined by veth pairs:
///
///     client 10.0.1.2 ──veth── 10.0.1.1 node (nodelocaldns: 169.254.20.10) 10.0.2.1 ──veth── 10.0.2.2/.3 tier
///
/// The node's /etc/resolv.conf is bind-mounted to name 10.0.2.3, and the cluster tier is found as
/// in a pod, from KUBE_DNS_UPSTREAM_SERVICE_HOST. Everything runs inside `unshare` (network, mount
/// and PID namespaces): the machine's own network, rules and links are never touched.
@Suite(.serialized) struct NodeCacheTests {
    static var canIsolate: Bool {
        getuid() == 0
            && FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare")
            && FileManager.default.isExecutableFile(atPath: "/usr/bin/dig")
            && FileManager.default.isExecutableFile(atPath: "/usr/bin/curl")
            && FileManager.default.isExecutableFile(atPath: "/usr/sbin/iptables")
            && FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip")
    }

    static let tierCorefile = """
        .:53 {
            bind 10.0.2.2
            kubernetes cluster.local in-addr.arpa ip6.arpa {
                manifests {ROOT}/Zones/manifests
                pods insecure
                fallthrough in-addr.arpa ip6.arpa
                ttl 5
            }
            prometheus 10.0.2.2:9153
        }

        """

    static let upstreamCorefile = """
        .:53 {
            bind 10.0.2.3
            file {ROOT}/Zones/example.test.zone example.test
            prometheus 10.0.2.3:9153
        }

        """

    /// Shell functions and the topology; `$DIR` is the test's directory, `$BIN` the binary.
    static func prologue(dir: URL, nodeArguments: String) -> String {
        """
        set -u
        DIR=\(dir.path)
        BIN="\(ServerProcess.binary)"
        ip link set lo up
        # `ip netns` keeps its handles under /run/netns: a tmpfs private to this mount namespace.
        mkdir -p /run/netns && mount -t tmpfs tmpfs /run/netns
        ip netns add client
        ip netns add tier
        ip link add veth-c type veth peer name veth-cn
        ip link set veth-c netns client
        ip addr add 10.0.1.1/24 dev veth-cn && ip link set veth-cn up
        ip netns exec client ip link set lo up
        ip netns exec client ip addr add 10.0.1.2/24 dev veth-c
        ip netns exec client ip link set veth-c up
        ip netns exec client ip route add 169.254.20.10/32 via 10.0.1.1
        ip link add veth-t type veth peer name veth-tn
        ip link set veth-t netns tier
        ip addr add 10.0.2.1/24 dev veth-tn && ip link set veth-tn up
        ip netns exec tier ip link set lo up
        ip netns exec tier ip addr add 10.0.2.2/24 dev veth-t
        ip netns exec tier ip addr add 10.0.2.3/24 dev veth-t
        ip netns exec tier ip link set veth-t up
        ip netns exec tier ip route add default via 10.0.2.1
        echo "nameserver 10.0.2.3" > $DIR/resolv.conf
        mount --bind $DIR/resolv.conf /etc/resolv.conf
        waitlog() { for i in $(seq 300); do grep -q "ClusterDNS serving" "$1" && return 0; sleep 0.1; done; echo "timeout: $1"; return 1; }
        startTier() {
            ip netns exec tier "$BIN" serve --conf $DIR/tier.Corefile --workers 1 >> $DIR/tier.log 2>&1 &
            TIER=$!
        }
        startTier
        waitlog $DIR/tier.log
        ip netns exec tier "$BIN" serve --conf $DIR/upstream.Corefile --workers 1 > $DIR/upstream.log 2>&1 &
        waitlog $DIR/upstream.log
        KUBE_DNS_UPSTREAM_SERVICE_HOST=10.0.2.2 KUBE_DNS_UPSTREAM_SERVICE_PORT=53 "$BIN" node-cache \\
            -localip 169.254.20.10 -conf $DIR/node/Corefile -upstreamsvc kube-dns-upstream \\
            --workers 1 --metrics-listen-address 127.0.0.1:9353 -pidfile $DIR/node-cache.pid \(nodeArguments) > $DIR/node.log 2>&1 &
        NODE=$!
        waitlog $DIR/node.log
        # The rules follow the server's start (once the pidfile is written, as node-cache's do).
        for i in $(seq 100); do [ -s $DIR/node-cache.pid ] && [ "$(iptables -t raw -S | grep -c 'NodeLocal DNS Cache')" = 8 ] && break; sleep 0.1; done
        q() { ip netns exec client dig @169.254.20.10 +time=6 +tries=1 "$@"; }

        """
    }

    static func run(_ body: String, nodeArguments: String = "") throws -> (output: String, node: String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("node-cache-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let root = Transcript.root.path
        try tierCorefile.replacingOccurrences(of: "{ROOT}", with: root)
            .write(to: dir.appendingPathComponent("tier.Corefile"), atomically: true, encoding: .utf8)
        try upstreamCorefile.replacingOccurrences(of: "{ROOT}", with: root)
            .write(to: dir.appendingPathComponent("upstream.Corefile"), atomically: true, encoding: .utf8)
        let output = try IsolatedScript.run(prologue(dir: dir, nodeArguments: nodeArguments) + body, in: dir, timeout: .seconds(150))
        let node = (try? String(contentsOf: dir.appendingPathComponent("node.log"), encoding: .utf8)) ?? ""
        let tier = (try? String(contentsOf: dir.appendingPathComponent("tier.log"), encoding: .utf8)) ?? ""
        // NODE_CACHE_TEST_OUTPUT=1 prints what the scenario printed (for Docs/node-cache.md).
        if ProcessInfo.processInfo.environment["NODE_CACHE_TEST_OUTPUT"] != nil { print(output) }
        return (output, node + "\n--- tier:\n" + tier)
    }

    @Test("queries to 169.254.20.10 are answered: cluster names from the tier over TCP only, others from the node's resolver; rules and link come and go",
          .enabled(if: canIsolate))
    func serves() throws {
        let (output, log) = try Self.run("""
            echo "cluster: $(q web-app.production.svc.cluster.local +short)"
            echo "cluster-tcp: $(q web-app.production.svc.cluster.local +tcp +short)"
            echo "ptr: $(q -x 10.96.0.20 +short)"
            echo "external: $(q www.example.test +short | sort | head -1)"
            echo "nxdomain: $(q nope.production.svc.cluster.local | grep -o 'status: [A-Z]*')"
            echo "tier-udp: $(ip netns exec tier curl -s http://10.0.2.2:9153/metrics | grep '^coredns_dns_requests_total' | grep -c 'proto="udp"')"
            echo "tier-tcp: $(ip netns exec tier curl -s http://10.0.2.2:9153/metrics | grep '^coredns_dns_requests_total' | grep -c 'proto="tcp"')"
            echo "upstream-queries: $(ip netns exec tier curl -s http://10.0.2.3:9153/metrics | grep -c '^coredns_dns_requests_total')"
            echo "raw-rules: $(iptables -t raw -S | grep -c 'NodeLocal DNS Cache: skip conntrack')"
            echo "filter-rules: $(iptables -S | grep -c 'NodeLocal DNS Cache: allow DNS traffic')"
            iptables -t raw -S | grep 'NodeLocal' | head -2
            echo "link: $(ip -o link show nodelocaldns | grep -c nodelocaldns)"
            echo "address: $(ip -o addr show dev nodelocaldns | grep -o '169.254.20.10/32')"
            echo "health: $(curl -s http://169.254.20.10:8080/health)"
            echo "setup-metric: $(curl -s http://127.0.0.1:9253/metrics | grep -c '^coredns_nodecache_setup_errors_total')"
            echo "own-metrics: $(curl -s http://127.0.0.1:9353/metrics | grep -c '^coredns_nodecache_setup_errors_total')"
            kill -TERM $NODE
            wait $NODE
            echo "exit: $?"
            echo "raw-after: $(iptables -t raw -S | grep -c 'NodeLocal DNS Cache')"
            echo "filter-after: $(iptables -S | grep -c 'NodeLocal DNS Cache')"
            echo "link-after: $(ip -o link show nodelocaldns 2>/dev/null | grep -c nodelocaldns)"
            echo "pidfile-after: $(ls $DIR/node-cache.pid 2>/dev/null | wc -l)"

            """)
        #expect(output.contains("cluster: 10.96.0.20\n"), "\(output)\n\(log)")
        #expect(output.contains("cluster-tcp: 10.96.0.20\n"), "\(output)")
        #expect(output.contains("ptr: web-app.production.svc.cluster.local.\n"), "\(output)")
        #expect(output.contains("external: 192.0.2.80\n"), "\(output)")
        #expect(output.contains("nxdomain: status: NXDOMAIN\n"), "\(output)")
        #expect(output.contains("tier-udp: 0\n"), "\(output)")
        #expect(!output.contains("tier-tcp: 0\n") && output.contains("tier-tcp: "), "\(output)")
        #expect(!output.contains("upstream-queries: 0\n"), "\(output)")
        #expect(output.contains("raw-rules: 8\n"), "\(output)\n\(log)")
        #expect(output.contains("filter-rules: 4\n"), "\(output)")
        #expect(output.contains("--comment \"NodeLocal DNS Cache: skip conntrack\" -j NOTRACK"), "\(output)")
        #expect(output.contains("link: 1\n"), "\(output)")
        #expect(output.contains("address: 169.254.20.10/32\n"), "\(output)")
        #expect(output.contains("health: OK"), "\(output)")
        #expect(output.contains("setup-metric: 5\n"), "\(output)")
        #expect(output.contains("own-metrics: 5\n"), "\(output)")
        #expect(output.contains("exit: 0\n"), "\(output)\n\(log)")
        #expect(output.contains("raw-after: 0\n"), "\(output)")
        #expect(output.contains("filter-after: 0\n"), "\(output)")
        #expect(output.contains("link-after: 0\n"), "\(output)")
        #expect(output.contains("pidfile-after: 0\n"), "\(output)")
    }

    @Test("with the cluster tier gone, cached names keep answering (serve_stale) and health stays OK; answers resume when it returns",
          .enabled(if: canIsolate))
    func tierOutage() throws {
        let (output, log) = try Self.run("""
            echo "before: $(q web-app.production.svc.cluster.local +short)"
            kill -TERM $TIER
            wait $TIER
            # Past the entry's TTL (the tier's ttl 5): only serve_stale can answer now.
            sleep 6
            echo "stale: $(q web-app.production.svc.cluster.local +short)"
            echo "stale-again: $(q web-app.production.svc.cluster.local +short)"
            echo "health: $(curl -s -o /dev/null -w '%{http_code}' http://169.254.20.10:8080/health)"
            echo "uncached: $(q kubernetes.default.svc.cluster.local | grep -o 'status: [A-Z]*')"
            startTier
            waitlog $DIR/tier.log
            for i in $(seq 20); do
                answer=$(q web-app.staging.svc.cluster.local +short)
                [ -n "$answer" ] && break
                sleep 0.5
            done
            echo "recovered: $answer"
            echo "fresh: $(q kubernetes.default.svc.cluster.local +short)"
            kill -TERM $NODE
            wait $NODE
            echo "exit: $?"

            """)
        #expect(output.contains("before: 10.96.0.20\n"), "\(output)\n\(log)")
        #expect(output.contains("stale: 10.96.0.20\n"), "\(output)\n\(log)")
        #expect(output.contains("stale-again: 10.96.0.20\n"), "\(output)")
        #expect(output.contains("health: 200\n"), "\(output)")
        #expect(output.contains("uncached: status: SERVFAIL\n"), "\(output)")
        #expect(output.contains("fresh: 10.96.0.1\n"), "\(output)\n\(log)")
        #expect(!output.contains("recovered: \n"), "\(output)\n\(log)")
        #expect(output.contains("exit: 0\n"), "\(output)")
    }

    @Test("rules and link removed behind its back are back within a sync interval; --skip-teardown leaves them on exit",
          .enabled(if: canIsolate))
    func upkeepAndSkipTeardown() throws {
        let (output, log) = try Self.run("""
            iptables -t raw -F
            iptables -F
            ip link del nodelocaldns
            echo "flushed: $(iptables -t raw -S | grep -c 'NodeLocal DNS Cache')"
            sleep 3
            echo "raw-back: $(iptables -t raw -S | grep -c 'NodeLocal DNS Cache')"
            echo "filter-back: $(iptables -S | grep -c 'NodeLocal DNS Cache')"
            echo "link-back: $(ip -o addr show dev nodelocaldns | grep -o '169.254.20.10/32')"
            echo "answer: $(q web-app.production.svc.cluster.local +short)"
            kill -TERM $NODE
            wait $NODE
            echo "exit: $?"
            echo "raw-kept: $(iptables -t raw -S | grep -c 'NodeLocal DNS Cache')"
            echo "link-kept: $(ip -o link show nodelocaldns | grep -c nodelocaldns)"

            """, nodeArguments: "-syncinterval 1s -skipteardown")
        #expect(output.contains("flushed: 0\n"), "\(output)")
        #expect(output.contains("raw-back: 8\n"), "\(output)\n\(log)")
        #expect(output.contains("filter-back: 4\n"), "\(output)")
        #expect(output.contains("link-back: 169.254.20.10/32\n"), "\(output)\n\(log)")
        #expect(output.contains("answer: 10.96.0.20\n"), "\(output)\n\(log)")
        #expect(output.contains("exit: 0\n"), "\(output)")
        #expect(output.contains("raw-kept: 8\n"), "\(output)")
        #expect(output.contains("link-kept: 1\n"), "\(output)")
    }
}
