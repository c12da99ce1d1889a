import NodeCache
import Testing

@Suite struct NodeCacheArgumentsTests {
    @Test("the stock DaemonSet's node-cache flags become this command's options")
    func stockDaemonSet() throws {
        let stock = ["-localip", "169.254.20.10,10.96.0.10", "-conf", "/etc/Corefile", "-upstreamsvc", "kube-dns-upstream",
                     "-pidfile", "/tmp/node-cache.pid"]
        #expect(try NodeCacheArguments.translate(stock) == [
            "--local-ip", "169.254.20.10,10.96.0.10", "--corefile", "/etc/Corefile", "--upstream-svc", "kube-dns-upstream",
            "--pidfile", "/tmp/node-cache.pid",
        ])
    }

    @Test("Go's forms: -name=value, --name, booleans as -name and -name=BOOL; unknown and own options pass through",
          arguments: [
              (["-localip=169.254.20.10"], ["--local-ip=169.254.20.10"]),
              (["--upstreamsvc", "kube-dns"], ["--upstream-svc", "kube-dns"]),
              (["-skipteardown"], ["--skip-teardown"]),
              (["-skipteardown=false"], []),
              (["-setupiptables=false", "-setupinterface=0"], ["--no-setup-iptables", "--no-setup-interface"]),
              (["-setupiptables=T"], ["--setup-iptables"]),
              (["-dns.port", "5353", "-health-port=9090"], ["--dns-port", "5353", "--health-port=9090"]),
              (["--local-ip", "10.0.0.1", "--workers", "2"], ["--local-ip", "10.0.0.1", "--workers", "2"]),
              (["-x"], ["-x"]),
              (["--", "-localip"], ["--", "-localip"]),
          ])
    func forms(_ input: [String], _ expected: [String]) throws {
        #expect(try NodeCacheArguments.translate(input) == expected)
    }

    @Test("a boolean flag with a value Go refuses is an error naming it")
    func badBool() {
        #expect(throws: NodeCacheArguments.BadBool(flag: "skipteardown", value: "yes")) {
            try NodeCacheArguments.translate(["-skipteardown=yes"])
        }
    }

    @Test("durations: bare seconds and Go's units", arguments: [
        ("60", Duration.seconds(60)), ("60s", .seconds(60)), ("1m30s", .seconds(90)), ("500ms", .milliseconds(500)),
        ("1h", .seconds(3600)),
    ])
    func durations(_ text: String, _ expected: Duration) {
        #expect(NodeCacheArguments.parseDuration(text) == expected)
    }

    @Test("not durations", arguments: ["", "s", "10x", "-5", "1.2.3s", "m5"])
    func notDurations(_ text: String) {
        #expect(NodeCacheArguments.parseDuration(text) == nil)
    }
}
