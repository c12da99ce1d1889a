import DNSWire
import Foundation
import Testing
@testable import Simulator

/// The in-process resolver: a Corefile configured and run through the real QueryEngine, no
/// sockets. Uses `whoami`, which answers every name in its zone with NOERROR and no answer
/// record (NODATA to a stub resolver).
@Suite struct InProcessResolverTests {
    static func whoami(zone: String = "cluster.local") throws -> InProcessResolver {
        try InProcessResolver(corefile: "\(zone) {\n    whoami\n}\n", fileName: "Corefile", baseDirectory: "/tmp",
                              manifestsDirectory: nil)
    }

    @Test("queries go through the plugin chain: whoami's reply comes back parsed, authoritative, timed")
    func answersThroughEngine() throws {
        let resolver = try Self.whoami()
        let results = resolver.exchange([ResolverQuery(name: "web.production.svc.cluster.local.", type: .a)], server: 0,
                                        transport: .udp, timeout: .seconds(1))
        guard case .reply(let reply, let elapsed) = results.first else {
            Issue.record("no reply: \(results)")
            return
        }
        #expect(reply.rcode == .noError)
        #expect(reply.authoritative)
        #expect(reply.answers.isEmpty)
        #expect(reply.additionalCount >= 1)
        #expect(reply.guess == nil)
        #expect(elapsed > .zero)
        #expect(resolver.label == "in-process (Corefile)")
    }

    @Test("names outside every zone are not sent: the name as written is assumed to resolve, expansions NXDOMAIN")
    func outsideZone() throws {
        let resolver = try Self.whoami()
        #expect(resolver.serves("a.cluster.local."))
        #expect(!resolver.serves("example.com."))
        let results = resolver.exchange([ResolverQuery(name: "example.com.", type: .a),
                                         ResolverQuery(name: "example.com.ec2.internal.", type: .a, isSearchExpansion: true)],
                                        server: 0, transport: .udp, timeout: .seconds(1))
        let guesses: [UpstreamGuess?] = results.map { result in
            if case .reply(let reply, _) = result { return reply.guess }
            return nil
        }
        #expect(guesses == [.resolves, .nxdomain])
    }

    @Test("a full glibc simulation in-process: NODATA everywhere in the zone, the name as written assumed upstream")
    func glibcSimulation() throws {
        let report = Simulation.run(SimulationRequest(name: "api.example.com", conf: .testPod(), namespace: "production"),
                                    resolver: try Self.whoami())
        #expect(report.queryCount == 8)
        #expect(report.trace.attempts.prefix(6).allSatisfy { $0.reply?.isNoData == true })
        #expect(report.resolvedName?.description == "api.example.com.")
        #expect(report.usedGuesses)
        #expect(report.text().contains("(upstream answer)"))
        #expect(report.json().serialized().contains("\"assumed_upstream\": true"))
        // A dotless name asked as written has no top-level domain: assumed NXDOMAIN upstream.
        let dotless = Simulation.run(SimulationRequest(name: "db", conf: .testPod(), namespace: "production"),
                                     resolver: try Self.whoami())
        #expect(dotless.trace.outcome == .failed(.eaiNoData))
    }

    @Test("the upstream guess: expansions and names without a real-looking TLD are NXDOMAIN")
    func upstreamGuess() {
        #expect(InProcessResolver.upstreamGuess(for: "api.example.com.", isSearchExpansion: false) == .resolves)
        #expect(InProcessResolver.upstreamGuess(for: "api.example.com.ec2.internal.", isSearchExpansion: true) == .nxdomain)
        #expect(InProcessResolver.upstreamGuess(for: "db.", isSearchExpansion: false) == .nxdomain)
        #expect(InProcessResolver.upstreamGuess(for: "postgres-2.postgres-headless.", isSearchExpansion: false) == .nxdomain)
        #expect(InProcessResolver.upstreamGuess(for: "x.xn--p1ai.", isSearchExpansion: false) == .resolves)
    }

    @Test("musl stops at the first NODATA in-process too")
    func muslSimulation() throws {
        let report = Simulation.run(SimulationRequest(name: "db", resolverKind: .musl, conf: .testPod(), namespace: "production"),
                                    resolver: try Self.whoami())
        #expect(report.queryCount == 2)
        #expect(report.trace.outcome == .failed(.eaiNoName))
    }

    @Test("in-process, forward is a stand-in: its names become upstream guesses; loop, log, health, prometheus are inert")
    func standIns() throws {
        let corefile = """
            cluster.local {
                whoami
            }
            . {
                errors
                log
                health {
                    lameduck 5s
                }
                ready
                prometheus :9153
                forward . 192.0.2.1 {
                    max_concurrent 1000
                }
                loop
            }

            """
        let resolver = try InProcessResolver(corefile: corefile, fileName: "Corefile", baseDirectory: "/tmp", manifestsDirectory: nil)
        #expect(resolver.serves("example.com."))
        let results = resolver.exchange([ResolverQuery(name: "api.example.com.", type: .a),
                                         ResolverQuery(name: "web.production.svc.cluster.local.", type: .a)],
                                        server: 0, transport: .udp, timeout: .seconds(1))
        guard case .reply(let upstream, _) = results[0], case .reply(let local, _) = results[1] else {
            Issue.record("no replies: \(results)")
            return
        }
        #expect(upstream.guess == .resolves)
        #expect(resolver.upstream.count == 1)
        #expect(local.guess == nil)
        #expect(local.authoritative)
    }

    @Test("the cluster zone is the kubernetes directive's, not its block's (kubeadm's `.:53`)")
    func clusterZoneFromDirective() throws {
        let manifests = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Zones/manifests").path
        let corefile = ".:53 {\n    kubernetes example.internal in-addr.arpa ip6.arpa {\n        manifests \(manifests)\n    }\n}\n"
        let resolver = try InProcessResolver(corefile: corefile, fileName: "Corefile", baseDirectory: "/tmp", manifestsDirectory: nil)
        #expect(resolver.clusterZone == "example.internal.")
    }

    @Test("a Corefile the server rejects is an error naming file and line")
    func badCorefile() {
        #expect(throws: SimulatorError.self) {
            _ = try InProcessResolver(corefile: "cluster.local {\n    nosuchplugin\n}\n", fileName: "Corefile",
                                      baseDirectory: "/tmp", manifestsDirectory: nil)
        }
        do {
            _ = try InProcessResolver(corefile: "cluster.local {\n    nosuchplugin\n}\n", fileName: "Corefile",
                                      baseDirectory: "/tmp", manifestsDirectory: nil)
        } catch {
            #expect(error.message.contains("Corefile:2"))
        }
    }

    @Test("zones and the cluster zone: none without a kubernetes block")
    func zones() throws {
        let resolver = try Self.whoami(zone: "example.internal")
        #expect(resolver.zones == ["example.internal."])
        #expect(resolver.clusterZone == nil)
    }

    @Test("the default Corefile is the kubeadm cluster block for the zone")
    func defaultCorefile() {
        let text = InProcessResolver.defaultCorefile(zone: "cluster.local.")
        #expect(text.hasPrefix("cluster.local in-addr.arpa ip6.arpa {\n    kubernetes cluster.local in-addr.arpa ip6.arpa {"))
        #expect(text.contains("pods insecure"))
    }

    @Test("the example cluster is looked for next to the binary, then in the working directory, then installed copies")
    func exampleClusterCandidates() {
        let candidates = ExampleCluster.candidates(executable: "/src/clusterdns/.build/debug/clusterdns",
                                                   currentDirectory: "/work", environment: ["CLUSTERDNS_EXAMPLES": "/x"])
        #expect(candidates.first == "/x")
        #expect(candidates.contains("/src/clusterdns/Zones/manifests"))
        #expect(candidates.contains("/work/Zones/manifests"))
        #expect(candidates.last == "/usr/share/clusterdns/manifests")
    }

    @Test("server addresses: IPv4, IPv4:port, [IPv6]:port; host names refused")
    func serverAddresses() {
        #expect(ServerAddress(parsing: "10.96.0.10") == ServerAddress(address: .v4(IPv4Address(10, 96, 0, 10)), port: 53))
        #expect(ServerAddress(parsing: "127.0.0.1:1053")?.port == 1053)
        #expect(ServerAddress(parsing: "[::1]:5353")?.description == "[::1]:5353")
        #expect(ServerAddress(parsing: "::1")?.port == 53)
        #expect(ServerAddress(parsing: "kube-dns:53") == nil)
        #expect(ServerAddress(parsing: "127.0.0.1:0") == nil)
    }
}
