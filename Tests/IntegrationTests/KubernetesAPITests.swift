import DNSWire
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The `kubernetes` plugin against a (fake) Kubernetes API server over HTTPS: the initial sync,
/// every change answered, and each fault of the API (410 after compaction, dropped and stalled
/// watches, outages, 429/503 with Retry-After, token rotation, a server without streaming
/// lists) survived with the last good state answering and nothing lost.
@Suite(.serialized, .enabled(if: FakeAPIServer.available)) struct KubernetesAPITests {
    static let seed = [
        FakeAPIServer.namespace("default"), FakeAPIServer.namespace("prod"),
        FakeAPIServer.service("web", "prod", clusterIP: "10.96.0.20"),
        FakeAPIServer.headless("db", "prod"),
        FakeAPIServer.slice("db-a", "prod", service: "db", addresses: ["10.244.1.5", "10.244.1.6"]),
    ]

    /// Short watches and quick retries, so faults play out in seconds.
    static let fastEnvironment = [
        "CLUSTERDNS_API_WATCH_TIMEOUT": "3-4", "CLUSTERDNS_API_STALL_GRACE": "1",
        "CLUSTERDNS_API_BACKOFF_MAX": "1", "CLUSTERDNS_API_WATCHLIST_DEADLINE": "2",
    ]

    static func corefile(_ body: String, ready: UInt16? = nil) -> String {
        """
        .:{PORT} {
            bind 127.0.0.1
            kubernetes cluster.local in-addr.arpa ip6.arpa {
        \(body.split(separator: "\n").map { "        " + $0 }.joined(separator: "\n"))
                ttl 30
            }
        \(ready.map { "    ready 127.0.0.1:\($0)" } ?? "")
        }

        """
    }

    static func start(_ fake: FakeAPIServer, tokenFromFile: Bool = false, ready: UInt16? = nil,
                      environment: [String: String] = fastEnvironment) throws -> ServerProcess {
        try ServerProcess(corefile: corefile("kubeconfig {DIR}/kubeconfig", ready: ready),
                          files: ["kubeconfig": fake.kubeconfig(tokenFromFile: tokenFromFile)], workers: 1,
                          environment: environment)
    }

    static func answers(_ server: ServerProcess, _ name: String, _ type: RecordType = .a) throws -> [String] {
        let reply = try server.client.query(name, type)
        if reply.rcode != .noError { return [reply.rcode.description] }
        return reply.answers.map(\.rdata.presentation).sorted()
    }

    static func resolves(_ server: ServerProcess, _ name: String, to expected: [String], timeout: Duration = .seconds(10)) throws -> Bool {
        try ServerProcess.eventually(timeout: timeout) { try answers(server, name) == expected }
    }

    @Test("kubeconfig over HTTPS with a bearer token: synced before serving, then creates, updates and deletes are answered")
    func syncAndChanges() throws {
        let fake = try FakeAPIServer(objects: Self.seed)
        let readyPort = ControlPorts.make(1)[0]
        let server = try Self.start(fake, ready: readyPort)
        #expect(try Self.answers(server, "web.prod.svc.cluster.local.") == ["10.96.0.20"])
        #expect(try Self.answers(server, "db.prod.svc.cluster.local.") == ["10.244.1.5", "10.244.1.6"])
        #expect(try Self.answers(server, "20.0.96.10.in-addr.arpa.", .ptr) == ["web.prod.svc.cluster.local."])
        #expect(try Self.answers(server, "nope.prod.svc.cluster.local.") == ["NXDOMAIN"])
        #expect(try Curl.get("http://127.0.0.1:\(readyPort)/ready").status == 200)

        try fake.apply(FakeAPIServer.service("api", "prod", clusterIP: "10.96.0.30"))
        #expect(try Self.resolves(server, "api.prod.svc.cluster.local.", to: ["10.96.0.30"]))
        try fake.apply(FakeAPIServer.service("api", "prod", clusterIP: "10.96.0.31"))
        #expect(try Self.resolves(server, "api.prod.svc.cluster.local.", to: ["10.96.0.31"]), "an update is answered")
        try fake.apply(FakeAPIServer.slice("db-a", "prod", service: "db", addresses: ["10.244.1.7"]))
        #expect(try Self.resolves(server, "db.prod.svc.cluster.local.", to: ["10.244.1.7"]), "a slice update is answered")
        try fake.delete("services", "prod", "web")
        #expect(try Self.resolves(server, "web.prod.svc.cluster.local.", to: ["NXDOMAIN"]), "a delete is answered")
        try fake.apply(FakeAPIServer.namespace("staging"))
        #expect(try ServerProcess.eventually { try server.client.query("x.staging.svc.cluster.local.", .a).rcode == .nameError })
        let stats = try fake.stats()
        let open = (stats["byClient"] as? [String: Any])?.values.compactMap { ($0 as? [String: Any])?["open"] as? Int }.reduce(0, +) ?? -1
        #expect(open <= 4, "long-running requests per replica: \(open)")
    }

    @Test("steady state: re-watches only, no LIST, while watches time out and bookmarks flow")
    func steadyStateLoad() throws {
        let fake = try FakeAPIServer(objects: Self.seed, arguments: ["--bookmark-interval", "1"])
        let server = try Self.start(fake)
        #expect(try Self.answers(server, "web.prod.svc.cluster.local.") == ["10.96.0.20"])
        let initial = try fake.stats()
        usleep(9_000_000)  // two to three watch timeouts of 3–4 s each
        let later = try fake.stats()
        func total(_ stats: [String: Any], _ key: String) -> Int {
            (stats[key] as? [String: Any])?.values.compactMap { $0 as? Int }.reduce(0, +) ?? 0
        }
        #expect(total(later, "lists") == total(initial, "lists"), "no LIST in a steady run")
        #expect(total(later, "watchlists") == total(initial, "watchlists"), "no streaming relist in a steady run")
        #expect(total(later, "watches") > total(initial, "watches"), "watches were renewed: \(later)")
        #expect(try Self.answers(server, "web.prod.svc.cluster.local.") == ["10.96.0.20"])
    }

    @Test("history compacted and watches dropped: exactly one relist per resource, the new state answered, deletions swept")
    func compactionRelist() throws {
        let fake = try FakeAPIServer(objects: Self.seed)
        let server = try Self.start(fake)
        #expect(try Self.answers(server, "web.prod.svc.cluster.local.") == ["10.96.0.20"])
        let before = try fake.stats()
        try fake.control("POST", "/fake/compact", #"{"dropWatches": true}"#)
        // Changes the watches never saw: an add and a delete, which only a relist can find.
        try fake.apply(FakeAPIServer.service("late", "prod", clusterIP: "10.96.0.40"))
        try fake.delete("services", "prod", "web")
        #expect(try Self.resolves(server, "late.prod.svc.cluster.local.", to: ["10.96.0.40"]))
        #expect(try Self.resolves(server, "web.prod.svc.cluster.local.", to: ["NXDOMAIN"]), "the relist swept the deleted service")
        let after = try fake.stats()
        for resource in ["services", "endpointslices", "namespaces"] {
            let lists = { (s: [String: Any]) in
                ((s["watchlists"] as? [String: Any])?[resource] as? Int ?? 0) + ((s["lists"] as? [String: Any])?[resource] as? Int ?? 0)
            }
            #expect(lists(after) - lists(before) == 1, "\(resource): one relist, \(before) → \(after)")
        }
    }

    @Test("the API goes away (refused, 503, 429 with Retry-After): the last state keeps answering and stays ready; new state within 5 s of its return")
    func outages() throws {
        let fake = try FakeAPIServer(objects: Self.seed)
        let readyPort = ControlPorts.make(1)[0]
        let server = try Self.start(fake, ready: readyPort)
        var created = 0
        for mode in ["refuse", "503", "429"] {
            try fake.control("POST", "/fake/down", #"{"seconds": 3, "mode": "\#(mode)", "retryAfter": 1, "dropWatches": true}"#)
            usleep(500_000)
            #expect(try Self.answers(server, "web.prod.svc.cluster.local.") == ["10.96.0.20"], "\(mode): last state answers")
            #expect(try Self.answers(server, "db.prod.svc.cluster.local.") == ["10.244.1.5", "10.244.1.6"])
            #expect(try Curl.get("http://127.0.0.1:\(readyPort)/ready").status == 200, "\(mode): still ready")
            usleep(2_600_000)  // the fake is back now
            created += 1
            let name = "after-\(mode)"
            try fake.apply(FakeAPIServer.service(name, "prod", clusterIP: "10.96.1.\(created)"))
            #expect(try Self.resolves(server, "\(name).prod.svc.cluster.local.", to: ["10.96.1.\(created)"], timeout: .seconds(5)),
                    "\(mode): answered within 5 s of the API's return\n\(server.log)")
        }
        let log = server.log
        let downs = log.components(separatedBy: "Kubernetes API unreachable").count - 1
        #expect(downs <= 3, "logged once per state change, not per retry: \(downs)")
    }

    @Test("stalled watches are detected and restarted; nothing is lost")
    func stalledWatches() throws {
        let fake = try FakeAPIServer(objects: Self.seed, arguments: ["--bookmark-interval", "0"])
        let server = try Self.start(fake)
        try fake.control("POST", "/fake/watches/stall")
        try fake.apply(FakeAPIServer.service("during-stall", "prod", clusterIP: "10.96.2.1"))
        // timeoutSeconds (3–4 s) + grace (1 s) without a byte: the watch is abandoned and renewed.
        #expect(try Self.resolves(server, "during-stall.prod.svc.cluster.local.", to: ["10.96.2.1"], timeout: .seconds(15)))
    }

    @Test("a bound token rotates: the 401 makes the client re-read the token file at once")
    func tokenRotation() throws {
        let fake = try FakeAPIServer(objects: Self.seed)
        let server = try Self.start(fake, tokenFromFile: true)
        #expect(try Self.answers(server, "web.prod.svc.cluster.local.") == ["10.96.0.20"])
        try "token-2".write(toFile: fake.tokenFile, atomically: true, encoding: .utf8)
        try fake.rotateToken("token-2")   // closes watches made with the old token
        try fake.apply(FakeAPIServer.service("rotated", "prod", clusterIP: "10.96.3.1"))
        #expect(try Self.resolves(server, "rotated.prod.svc.cluster.local.", to: ["10.96.3.1"], timeout: .seconds(10)), "\(server.log)")
    }

    @Test("a server that refuses streaming lists, or ignores them, is listed with LIST instead")
    func watchListFallback() throws {
        for mode in ["reject", "ignore"] {
            let fake = try FakeAPIServer(objects: Self.seed, arguments: ["--watchlist", mode])
            let server = try Self.start(fake)
            #expect(try Self.resolves(server, "web.prod.svc.cluster.local.", to: ["10.96.0.20"]), "\(mode)")
            #expect(try fake.count("lists", "services") >= 1, "\(mode): fell back to LIST")
            try fake.apply(FakeAPIServer.service("x", "prod", clusterIP: "10.96.4.1"))
            #expect(try Self.resolves(server, "x.prod.svc.cluster.local.", to: ["10.96.4.1"]), "\(mode): then watches")
        }
    }

    @Test("endpoint URL with tls CERT KEY CACERT: a client certificate instead of a token")
    func endpointWithClientCertificate() throws {
        let fake = try FakeAPIServer(objects: Self.seed)
        let server = try ServerProcess(
            corefile: Self.corefile("endpoint \(fake.url)\ntls \(fake.clientCertificate) \(fake.clientKey) \(fake.caFile)"),
            workers: 1, environment: Self.fastEnvironment)
        #expect(try Self.answers(server, "web.prod.svc.cluster.local.") == ["10.96.0.20"])
    }

    @Test("an API that never answers: serving starts after startup_timeout, cluster names SERVFAIL and /ready is 503 until the first sync")
    func startupTimeout() throws {
        let fake = try FakeAPIServer(objects: Self.seed)
        try fake.control("POST", "/fake/down", #"{"seconds": 4, "mode": "503"}"#)
        let readyPort = ControlPorts.make(1)[0]
        let started = ContinuousClock.now
        let server = try ServerProcess(
            corefile: Self.corefile("kubeconfig {DIR}/kubeconfig\nstartup_timeout 1s", ready: readyPort),
            files: ["kubeconfig": fake.kubeconfig()], workers: 1, environment: Self.fastEnvironment)
        #expect(ContinuousClock.now - started < .seconds(4), "serving began before the API came back")
        #expect(try Self.answers(server, "web.prod.svc.cluster.local.") == ["SERVFAIL"])
        #expect(try Curl.get("http://127.0.0.1:\(readyPort)/ready").status == 503)
        #expect(try Self.resolves(server, "web.prod.svc.cluster.local.", to: ["10.96.0.20"], timeout: .seconds(10)))
        #expect(try ServerProcess.eventually { try Curl.get("http://127.0.0.1:\(readyPort)/ready").status == 200 })
    }

    @Test("a headless service whose slice is replaced by a new one never answers NXDOMAIN in between")
    func sliceReplacement() throws {
        let fake = try FakeAPIServer(objects: Self.seed)
        let server = try Self.start(fake)
        var generation = 0
        var failures: [String] = []
        for round in 0..<10 {
            let old = generation == 0 ? "db-a" : "db-\(generation)"
            generation += 1
            // What the EndpointSlice controller does on a rollout: a new slice, then the old one goes.
            let replace = "{\"items\": [\(FakeAPIServer.slice("db-\(generation)", "prod", service: "db", addresses: ["10.244.9.\(round)"]))]}"
            try fake.control("POST", "/fake/objects", replace)
            try fake.delete("endpointslices", "prod", old)
            for _ in 0..<20 {
                let got = try Self.answers(server, "db.prod.svc.cluster.local.")
                if got == ["NXDOMAIN"] || got.isEmpty { failures.append("round \(round): \(got)") }
            }
        }
        #expect(failures.isEmpty, "\(failures)")
        #expect(try Self.resolves(server, "db.prod.svc.cluster.local.", to: ["10.244.9.9"]))
    }
}
