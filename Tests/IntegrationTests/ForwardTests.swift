import DNSWire
import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `forward` against real processes on loopback: NSD as a well-behaved upstream, and scripted
/// upstreams that drop, delay, truncate, lie about IDs, answer from elsewhere or fail.
@Suite(.serialized) struct ForwardTests {
    static let markerA = IPv4Address(10, 0, 0, 1)
    static let markerB = IPv4Address(10, 0, 0, 2)

    static func address(of reply: Message) -> IPv4Address? {
        for record in reply.answers { if case .a(let address) = record.rdata { return address } }
        return nil
    }

    static func client(_ server: ServerProcess, timeout: Duration = .seconds(8)) -> DNSTestClient {
        var client = server.client
        client.timeout = timeout
        return client
    }

    // MARK: A real upstream

    @Test("answers come from NSD over UDP and TCP, with the client's ID and question case restored")
    func forwardsToNSD() throws {
        let nsd = try NSDProcess(zones: ["example.test": NSDProcess.exampleZone])
        let server = try ServerProcess(corefile: ".:{PORT} {\n    forward . \(nsd.address)\n}\n")
        let client = Self.client(server)
        let reply = try client.query("WwW.ExAmPlE.tEsT.", .a, id: 4242)
        #expect(reply.header.id == 4242)
        #expect(reply.rcode == .noError)
        #expect(reply.question?.name.exactlyEquals(try DomainName("WwW.ExAmPlE.tEsT.")) == true)
        #expect(Self.address(of: reply) == IPv4Address(192, 0, 2, 1))
        #expect(reply.header.authoritative)   // NSD's AA bit is relayed as is
        #expect(try client.query("nope.example.test.", .a).rcode == .nameError)
        let tcp = try client.queryTCP("alias.example.test.", .a)
        #expect(tcp.answers.count == 2)
        #expect(tcp.rcode == .noError)
    }

    @Test("a large NSD answer reaches a 512-octet client truncated at an RRset boundary with TC, and whole over TCP")
    func largeAnswerFromNSD() throws {
        let nsd = try NSDProcess(zones: ["example.test": NSDProcess.exampleZone])
        let server = try ServerProcess(corefile: ".:{PORT} {\n    forward . \(nsd.address)\n}\n")
        let client = Self.client(server)
        let small = try client.query("big.example.test.", .txt, edns: nil)
        #expect(small.header.truncated)
        let full = try client.queryTCP("big.example.test.", .txt, edns: nil)
        #expect(!full.header.truncated)
        #expect(full.answers.count == 20)
    }

    @Test("an oversized UDP answer from a misbehaving upstream is cut to the client's 512 octets with TC")
    func oversizeAnswerTruncated() throws {
        let upstream = try ScriptedUpstream(marker: Self.markerA, mode: .oversizeUDP)
        upstream.bigRecordCount = 8   // about 900 octets: above 512, below the server's 1232
        let server = try ServerProcess(corefile: ".:{PORT} {\n    forward . \(upstream.address)\n}\n")
        let client = Self.client(server)
        let query = Message.query(id: 77, name: DomainName("big.example."), type: .txt, edns: nil)
        let wire = try #require(query.encoded())
        let raw = try #require(try client.exchangeRawUDP(wire))
        #expect(raw.count <= 512)
        let reply = try Message(parsing: raw)
        #expect(reply.header.truncated)
        #expect(reply.header.id == 77)
        // A client that takes 4096 octets gets all of it.
        let large = try client.query("big.example.", .txt, edns: EDNS(udpPayloadSize: 4096))
        #expect(!large.header.truncated)
        #expect(large.answers.count == 8)
    }

    // MARK: Policies

    @Test("policy sequential sends every query to the first healthy upstream")
    func sequentialPolicy() throws {
        let a = try ScriptedUpstream(marker: Self.markerA)
        let b = try ScriptedUpstream(marker: Self.markerB)
        let server = try ServerProcess(corefile: ".:{PORT} {\n    forward . \(a.address) \(b.address) {\n        policy sequential\n    }\n}\n")
        let client = Self.client(server)
        for i in 0..<10 {
            #expect(Self.address(of: try client.query("q\(i).seq.example.", .a)) == Self.markerA)
        }
        #expect(a.received.count == 10)
        #expect(b.received.isEmpty)
    }

    @Test("policy round_robin alternates between upstreams")
    func roundRobinPolicy() throws {
        let a = try ScriptedUpstream(marker: Self.markerA)
        let b = try ScriptedUpstream(marker: Self.markerB)
        let server = try ServerProcess(corefile: ".:{PORT} {\n    forward . \(a.address) \(b.address) {\n        policy round_robin\n    }\n}\n",
                                       workers: 1)
        let client = Self.client(server)
        var answers: [IPv4Address?] = []
        for i in 0..<10 { answers.append(Self.address(of: try client.query("q\(i).rr.example.", .a))) }
        #expect(a.received.count == 5)
        #expect(b.received.count == 5)
        for i in 1..<answers.count { #expect(answers[i] != answers[i - 1]) }
    }

    @Test("policy random (the default) spreads queries over both upstreams")
    func randomPolicy() throws {
        let a = try ScriptedUpstream(marker: Self.markerA)
        let b = try ScriptedUpstream(marker: Self.markerB)
        let server = try ServerProcess(corefile: ".:{PORT} {\n    forward . \(a.address) \(b.address)\n}\n")
        let client = Self.client(server)
        for i in 0..<40 { _ = try client.query("q\(i).random.example.", .a) }
        #expect(a.received.count + b.received.count == 40)
        #expect(a.received.count > 0)
        #expect(b.received.count > 0)
    }

    // MARK: Failover and health

    @Test("when the first upstream drops queries, the second one answers after the read timeout")
    func failoverOnDrop() throws {
        let a = try ScriptedUpstream(marker: Self.markerA, mode: .drop)
        let b = try ScriptedUpstream(marker: Self.markerB)
        let server = try ServerProcess(corefile: ".:{PORT} {\n    forward . \(a.address) \(b.address) {\n        policy sequential\n    }\n}\n")
        let reply = try Self.client(server).query("failover.example.", .a)
        #expect(Self.address(of: reply) == Self.markerB)
        #expect(a.received(named: "failover.example.").count == 1)
        #expect(b.received(named: "failover.example.").count == 1)
    }

    @Test("a TCP upstream that closes mid-answer fails over to the next upstream")
    func failoverOnTCPCloseMidFrame() throws {
        let a = try ScriptedUpstream(marker: Self.markerA, mode: .closeTCPMidFrame)
        let b = try ScriptedUpstream(marker: Self.markerB)
        let server = try ServerProcess(corefile: ".:{PORT} {\n    forward . \(a.address) \(b.address) {\n        policy sequential\n        force_tcp\n    }\n}\n")
        let reply = try Self.client(server).query("midframe.example.", .a)
        #expect(Self.address(of: reply) == Self.markerB)
        #expect(a.received(named: "midframe.example.").first?.transport == "tcp")
    }

    @Test("a down upstream is skipped after failed health checks and used again once they succeed")
    func healthCheckRecovery() throws {
        let a = try ScriptedUpstream(marker: Self.markerA, mode: .drop)
        let b = try ScriptedUpstream(marker: Self.markerB)
        let server = try ServerProcess(corefile: """
            .:{PORT} {
                forward . \(a.address) \(b.address) {
                    policy sequential
                    max_fails 2
                    health_check 100ms
                }
            }

            """)
        let client = Self.client(server)
        #expect(Self.address(of: try client.query("first.example.", .a)) == Self.markerB)
        // The failed attempt started health checks; two failures mark A down (a third check
        // starts only after the second one timed out).
        #expect(ServerProcess.eventually { a.healthChecks.count >= 3 })
        // Now A is skipped: the answer comes from B at once, and A never sees the query.
        let before = a.received(named: "skipped.example.").count
        #expect(Self.address(of: try client.query("skipped.example.", .a)) == Self.markerB)
        #expect(a.received(named: "skipped.example.").count == before)
        #expect(a.healthChecks.allSatisfy { $0.recursionDesired && $0.transport == "udp" })
        // A comes back: the next health check succeeds and A gets queries again.
        a.mode = .answer
        #expect(try ServerProcess.eventually(timeout: .seconds(10)) {
            Self.address(of: try client.query("back.example.", .a)) == Self.markerA
        })
    }

    @Test("max_fails 0 turns health checks off: every query tries the first upstream again")
    func maxFailsZero() throws {
        let a = try ScriptedUpstream(marker: Self.markerA, mode: .rcode(.serverFailure))
        a.mode = .drop
        let b = try ScriptedUpstream(marker: Self.markerB)
        let server = try ServerProcess(corefile: """
            .:{PORT} {
                forward . \(a.address) \(b.address) {
                    policy sequential
                    max_fails 0
                    read_timeout 300ms
                }
            }

            """)
        let client = Self.client(server)
        for i in 0..<4 {
            #expect(Self.address(of: try client.query("mf\(i).example.", .a)) == Self.markerB)
        }
        #expect(a.received.filter { $0.name.hasPrefix("mf") }.count == 4)
        #expect(a.healthChecks.isEmpty)
    }

    @Test("with every upstream down the client gets SERVFAIL within the query deadline")
    func allDownServfail() throws {
        let a = try ScriptedUpstream(marker: Self.markerA, mode: .drop)
        let b = try ScriptedUpstream(marker: Self.markerB, mode: .drop)
        let server = try ServerProcess(corefile: ".:{PORT} {\n    forward . \(a.address) \(b.address)\n}\n")
        let client = Self.client(server, timeout: .seconds(12))
        let start = ContinuousClock.now
        let reply = try client.query("down.example.", .a)
        let took = ContinuousClock.now - start
        print("all upstreams dropping: SERVFAIL after \(took)")
        #expect(reply.rcode == .serverFailure)
        // Four attempts of read_timeout (2 s) would take 8 s: the 5 s query deadline cuts the
        // last one short (Docs/plugins/forward.md). 1.5 s of slack for a loaded machine.
        #expect(took < .milliseconds(6_500), "SERVFAIL after \(took), the deadline is 5 s")
        #expect(a.received(named: "down.example.").count + b.received(named: "down.example.").count >= 2)
    }

    @Test("an upstream slower than read_timeout: SERVFAIL after max_connect_attempts attempts, its late answers never reach the client")
    func slowUpstreamServfail() throws {
        let slow = try ScriptedUpstream(marker: Self.markerA, mode: .delay(milliseconds: 2_000))
        let server = try ServerProcess(corefile: ".:{PORT} {\n    forward . \(slow.address) {\n        read_timeout 300ms\n    }\n}\n")
        // One socket for the query and whatever follows it, so a late answer relayed would be seen.
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        try #require(fd >= 0)
        defer { close(fd) }
        var tv = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var peer = sockaddr_in()
        peer.sin_family = sa_family_t(AF_INET)
        peer.sin_port = server.port.bigEndian
        peer.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let connected = withUnsafePointer(to: &peer) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(connected == 0)
        let query = try #require(Message.query(id: 0x2B2B, name: try DomainName("slow.example."), type: .a, edns: EDNS()).encoded())
        let start = ContinuousClock.now
        try #require(send(fd, query, query.count, 0) == query.count)
        var buffer = [UInt8](repeating: 0, count: 4096)
        func receive(until end: ContinuousClock.Instant) -> [UInt8]? {
            while ContinuousClock.now < end {
                let n = recv(fd, &buffer, buffer.count, 0)
                if n > 0 { return Array(buffer[0..<n]) }
            }
            return nil
        }
        let first = try #require(receive(until: start + .seconds(5)), "no answer within the 5 s deadline")
        let took = ContinuousClock.now - start
        let reply = try Message(parsing: first)
        #expect(reply.header.id == 0x2B2B)
        #expect(reply.rcode == .serverFailure)
        // Two attempts (max_connect_attempts defaults to 2 per upstream) of 300 ms each: the bound
        // is 0.6 s; waiting for the slow answer would take 2 s. 1.2 s of slack for a loaded machine.
        #expect(took >= .milliseconds(550) && took < .milliseconds(1_800), "SERVFAIL after \(took), expected about 0.6 s")
        #expect(slow.received(named: "slow.example.").count == 2)
        // The upstream answers both attempts at about 2.0 and 2.3 s; nothing more reaches the client.
        #expect(receive(until: start + .milliseconds(2_700)) == nil, "a late upstream answer was relayed")
        #expect(server.process.isRunning)
    }

    @Test("failfast_all_unhealthy_upstreams answers SERVFAIL without asking anyone once all are down")
    func failfast() throws {
        let a = try ScriptedUpstream(marker: Self.markerA, mode: .drop)
        let b = try ScriptedUpstream(marker: Self.markerB, mode: .drop)
        let corefile = { (failfast: Bool) in """
            .:{PORT} {
                forward . \(a.address) \(b.address) {
                    max_fails 1
                    health_check 100ms
                    read_timeout 200ms
                    \(failfast ? "failfast_all_unhealthy_upstreams" : "")
                }
            }

            """ }
        for failfast in [true, false] {
            let (checksA, checksB) = (a.healthChecks.count, b.healthChecks.count)
            let server = try ServerProcess(corefile: corefile(failfast))
            let client = Self.client(server)
            // Both fail, health checks start and fail: both are down.
            #expect(try client.query("mark-\(failfast).example.", .a).rcode == .serverFailure)
            // One failed check marks each down; a second check starts only after the first failed.
            #expect(ServerProcess.eventually { a.healthChecks.count >= checksA + 2 && b.healthChecks.count >= checksB + 2 })
            let name = "probe-\(failfast).example."
            #expect(try client.query(name, .a).rcode == .serverFailure)
            let asked = a.received(named: name).count + b.received(named: name).count
            // failfast asks nobody; without it one random upstream is tried anyway (CoreDNS).
            #expect(asked == (failfast ? 0 : 1))
            server.signal(SIGTERM)
            _ = server.waitForExit()
        }
    }

    // MARK: Transports

    @Test("a truncated UDP answer reaches the client with TC; its TCP retry goes upstream over TCP on a reused connection")
    func truncationAndTCPRetry() throws {
        let upstream = try ScriptedUpstream(marker: Self.markerA, mode: .truncateUDP)
        let server = try ServerProcess(corefile: ".:{PORT} {\n    forward . \(upstream.address)\n}\n", workers: 1)
        let client = Self.client(server)
        let udp = try client.query("tc.example.", .a)
        #expect(udp.header.truncated)
        #expect(udp.answers.isEmpty)
        let tcp = try client.queryTCP("tc.example.", .a)
        #expect(!tcp.header.truncated)
        #expect(Self.address(of: tcp) == Self.markerA)
        let again = try client.queryTCP("tc2.example.", .a)
        #expect(Self.address(of: again) == Self.markerA)
        let received = upstream.received
        #expect(received.map(\.transport) == ["udp", "tcp", "tcp"])
        #expect(received[1].connection == received[2].connection)
        #expect(upstream.connectionCount == 1)
    }

    @Test("force_tcp sends a UDP client's query upstream over TCP")
    func forceTCP() throws {
        let upstream = try ScriptedUpstream(marker: Self.markerA)
        let server = try ServerProcess(corefile: ".:{PORT} {\n    forward . \(upstream.address) {\n        force_tcp\n    }\n}\n")
        #expect(Self.address(of: try Self.client(server).query("ftcp.example.", .a)) == Self.markerA)
        #expect(upstream.received.map(\.transport) == ["tcp"])
    }

    @Test("prefer_udp sends a TCP client's query over UDP and retries a truncated answer over TCP")
    func preferUDP() throws {
        let upstream = try ScriptedUpstream(marker: Self.markerA)
        let server = try ServerProcess(corefile: ".:{PORT} {\n    forward . \(upstream.address) {\n        prefer_udp\n    }\n}\n")
        let client = Self.client(server)
        #expect(Self.address(of: try client.queryTCP("pudp.example.", .a)) == Self.markerA)
        #expect(upstream.received(named: "pudp.example.").map(\.transport) == ["udp"])
        upstream.mode = .truncateUDP
        let reply = try client.queryTCP("pudp2.example.", .a)
        #expect(Self.address(of: reply) == Self.markerA)
        #expect(!reply.header.truncated)
        #expect(upstream.received(named: "pudp2.example.").map(\.transport) == ["udp", "tcp"])
    }

    @Test("parallel TCP queries are pipelined on a few pooled connections")
    func tcpPipelining() throws {
        let upstream = try ScriptedUpstream(marker: Self.markerA, mode: .delay(milliseconds: 200))
        let server = try ServerProcess(corefile: ".:{PORT} {\n    forward . \(upstream.address) {\n        force_tcp\n    }\n}\n", workers: 1)
        let client = Self.client(server)
        let results = Mutex<[IPv4Address?]>([])
        inParallel(24) { i in
            let answer = (try? client.query("pipe\(i).example.", .a)).flatMap(Self.address(of:))
            results.withLock { $0.append(answer) }
        }
        #expect(results.withLock { $0 }.allSatisfy { $0 == Self.markerA })
        #expect(upstream.received.count == 24)
        // At most 4 connections per upstream per worker; the rest waited on them, pipelined.
        #expect(upstream.connectionCount <= 4)
    }

    @Test("an idle upstream TCP connection is closed after expire and a new one is opened")
    func tcpExpire() throws {
        let upstream = try ScriptedUpstream(marker: Self.markerA)
        let server = try ServerProcess(corefile: ".:{PORT} {\n    forward . \(upstream.address) {\n        force_tcp\n        expire 500ms\n    }\n}\n",
                                       workers: 1)
        let client = Self.client(server)
        _ = try client.query("e1.example.", .a)
        _ = try client.query("e2.example.", .a)
        #expect(upstream.connectionCount == 1)
        usleep(1_500_000)
        _ = try client.query("e3.example.", .a)
        #expect(upstream.connectionCount == 2)
    }

    @Test("after a reload the new upstreams serve, and the replaced forward closes its connections")
    func reloadClosesOldConnections() throws {
        let a = try ScriptedUpstream(marker: Self.markerA)
        let b = try ScriptedUpstream(marker: Self.markerB)
        let corefile = { (upstream: ScriptedUpstream) in
            ".:{PORT} {\n    forward . \(upstream.address) {\n        force_tcp\n        expire 1m\n    }\n}\n"
        }
        let server = try ServerProcess(corefile: corefile(a), workers: 1)
        let client = Self.client(server)
        #expect(Self.address(of: try client.query("r1.example.", .a)) == Self.markerA)
        #expect(a.connectionCount == 1)
        try corefile(b).replacingOccurrences(of: "{PORT}", with: String(server.port))
            .write(to: server.corefile, atomically: true, encoding: .utf8)
        server.signal(SIGHUP)
        #expect(try ServerProcess.eventually { Self.address(of: try client.query("r2.example.", .a)) == Self.markerB })
        // The old forward is stopped 10 s after the reload; its idle connection (expire 1m) closes then.
        #expect(ServerProcess.eventually(timeout: .seconds(20)) { a.connectionsClosedByPeer == 1 })
        #expect(server.process.isRunning)
    }

    // MARK: Forged and stray answers

    @Test("an answer with the wrong ID is ignored and the real one accepted")
    func wrongIDIgnored() throws {
        let upstream = try ScriptedUpstream(marker: Self.markerA, mode: .wrongIDFirst)
        let server = try ServerProcess(corefile: ".:{PORT} {\n    forward . \(upstream.address)\n}\n")
        #expect(Self.address(of: try Self.client(server).query("wid.example.", .a)) == Self.markerA)
    }

    @Test("an answer from another source port is ignored and the real one accepted")
    func spoofedPortIgnored() throws {
        let upstream = try ScriptedUpstream(marker: Self.markerA, mode: .spoofFromOtherPort)
        let server = try ServerProcess(corefile: ".:{PORT} {\n    forward . \(upstream.address)\n}\n")
        #expect(Self.address(of: try Self.client(server).query("spoof.example.", .a)) == Self.markerA)
    }

    @Test("an answer from another address on the upstream's port is ignored and the real one accepted")
    func spoofedAddressIgnored() throws {
        let upstream = try ScriptedUpstream(marker: Self.markerA, mode: .spoofFromOtherAddress)
        let server = try ServerProcess(corefile: ".:{PORT} {\n    forward . \(upstream.address)\n}\n")
        #expect(Self.address(of: try Self.client(server).query("spoofaddr.example.", .a)) == Self.markerA)
    }

    @Test("an answer to another question is ignored and the real one accepted")
    func wrongQuestionIgnored() throws {
        let upstream = try ScriptedUpstream(marker: Self.markerA, mode: .wrongQuestionFirst)
        let server = try ServerProcess(corefile: ".:{PORT} {\n    forward . \(upstream.address)\n}\n")
        #expect(Self.address(of: try Self.client(server).query("wq.example.", .a)) == Self.markerA)
    }

    @Test("upstream queries carry fresh random IDs, source ports that turn over, and the client's question case")
    func idAndPortRandomness() throws {
        let upstream = try ScriptedUpstream(marker: Self.markerA)
        let server = try ServerProcess(corefile: ".:{PORT} {\n    forward . \(upstream.address)\n}\n")
        let client = Self.client(server)
        for i in 0..<32 { _ = try client.query("Rand\(i).ExAmple.", .a, id: 1) }
        let received = upstream.received
        #expect(received.count == 32)
        #expect(Set(received.map(\.id)).count >= 30)
        // A UDP socket (one source port) carries at most 16 exchanges before a new one replaces it.
        let perPort = Dictionary(grouping: received, by: \.sourcePort)
        #expect(perPort.count >= 2)
        #expect(perPort.values.allSatisfy { $0.count <= 16 })
        #expect(received.allSatisfy { $0.name.hasPrefix("Rand") && $0.name.hasSuffix(".ExAmple.") })
    }

    // MARK: randomize_case (0x20)

    static let randomizeCaseCorefile = ".:{PORT} {\n    forward . ADDRESS {\n        randomize_case\n    }\n}\n"

    @Test("randomize_case: UDP queries go upstream in random letter case and the client gets its own case back; TCP keeps the client's case")
    func randomizedCase() throws {
        let upstream = try ScriptedUpstream(marker: Self.markerA)
        let server = try ServerProcess(corefile: Self.randomizeCaseCorefile.replacingOccurrences(of: "ADDRESS", with: upstream.address))
        let client = Self.client(server)
        for i in 0..<16 {
            let name = "Case\(i).ExAmple."
            let reply = try client.query(name, .a)
            #expect(Self.address(of: reply) == Self.markerA)
            #expect(reply.question?.name.exactlyEquals(try DomainName(name)) == true)
            // The upstream's owner name points at its question, which the client's name replaced.
            #expect(reply.answers.first?.name.exactlyEquals(try DomainName(name)) == true)
        }
        for _ in 0..<8 { _ = try client.query("same.example.", .a) }
        let received = upstream.received
        #expect(received.count == 24)
        // 11 letters each: a name sent in the client's own case is a 1-in-2048 draw.
        let clientCase = received.prefix(16).enumerated().filter { $0.element.name == "Case\($0.offset).ExAmple." }
        #expect(clientCase.count <= 1)
        #expect(received.prefix(16).enumerated().allSatisfy { $0.element.name.lowercased() == "case\($0.offset).example." })
        #expect(Set(received.suffix(8).map(\.name)).count >= 5)
        let tcp = try client.queryTCP("Tcp.ExAmple.", .a)
        #expect(Self.address(of: tcp) == Self.markerA)
        #expect(upstream.received.last?.name == "Tcp.ExAmple.")
        #expect(upstream.received.last?.transport == "tcp")
    }

    @Test("randomize_case: an answer that differs from the question sent only in letter case is dropped and the real one accepted; without it, that forgery is taken")
    func wrongCaseIgnored() throws {
        let upstream = try ScriptedUpstream(marker: Self.markerA, mode: .wrongCaseFirst)
        let plain = try ServerProcess(corefile: ".:{PORT} {\n    forward . \(upstream.address)\n}\n")
        #expect(Self.address(of: try Self.client(plain).query("forged.example.", .a)) == IPv4Address(6, 6, 6, 6))
        let metricsPort = ControlPorts.make(1)[0]
        let server = try ServerProcess(corefile: """
            .:{PORT} {
                forward . \(upstream.address) {
                    randomize_case
                }
                prometheus 127.0.0.1:\(metricsPort)
            }

            """)
        for i in 0..<4 {
            #expect(Self.address(of: try Self.client(server).query("forged\(i).example.", .a)) == Self.markerA)
        }
        let (_, metrics) = try runTool("/usr/bin/curl", ["-s", "http://127.0.0.1:\(metricsPort)/metrics"])
        #expect(metrics.contains("clusterdns_forward_dropped_responses_total{to=\"\(upstream.address)\",reason=\"case\"} 4"))
    }

    @Test("randomize_case: an upstream that folds case is asked again in the client's case after read_timeout; after three such fallbacks, only in the client's case")
    func caseFoldingUpstreamFallsBack() throws {
        let upstream = try ScriptedUpstream(marker: Self.markerA, mode: .foldCase)
        // One worker: what the handler learns of an upstream is per worker.
        let server = try ServerProcess(corefile: """
            .:{PORT} {
                forward . \(upstream.address) {
                    randomize_case
                    read_timeout 300ms
                }
            }

            """, workers: 1)
        let client = Self.client(server)
        // 26 letters: the random case is all lower (and matches the folded answer) once in 2^26.
        func name(_ i: Int) -> String { "MiXeDcAsEfAlLbAcK\(i).ExAmPlE.TeSt." }
        for i in 0..<4 {
            let reply = try client.query(name(i), .a)
            #expect(Self.address(of: reply) == Self.markerA)
            #expect(reply.question?.name.exactlyEquals(try DomainName(name(i))) == true)
        }
        for i in 0..<3 {
            let sent = upstream.received(named: name(i))
            #expect(sent.count == 2, "query \(i): \(sent.map(\.name))")
            #expect(sent.first?.name != name(i))
            #expect(sent.last?.name == name(i))
        }
        let fourth = upstream.received(named: name(3))
        #expect(fourth.map(\.name) == [name(3)])
    }

    // MARK: Rcodes, next, except, max_concurrent

    @Test("an upstream's SERVFAIL and REFUSED reach the client; failover SERVFAIL tries the next upstream")
    func rcodesAndFailover() throws {
        let a = try ScriptedUpstream(marker: Self.markerA, mode: .rcode(.serverFailure))
        let b = try ScriptedUpstream(marker: Self.markerB)
        let plain = try ServerProcess(corefile: ".:{PORT} {\n    forward . \(a.address)\n}\n")
        #expect(try Self.client(plain).query("sf.example.", .a).rcode == .serverFailure)
        a.mode = .rcode(.refused)
        #expect(try Self.client(plain).query("rf.example.", .a).rcode == .refused)
        a.mode = .rcode(.serverFailure)
        let failover = try ServerProcess(corefile: ".:{PORT} {\n    forward . \(a.address) \(b.address) {\n        policy sequential\n        failover SERVFAIL\n    }\n}\n")
        #expect(Self.address(of: try Self.client(failover).query("fo.example.", .a)) == Self.markerB)
    }

    @Test("next NXDOMAIN hands the query to the next forward of the block")
    func nextRcode() throws {
        let a = try ScriptedUpstream(marker: Self.markerA, mode: .rcode(.nameError))
        let b = try ScriptedUpstream(marker: Self.markerB)
        let server = try ServerProcess(corefile: """
            .:{PORT} {
                forward . \(a.address) {
                    next NXDOMAIN
                }
                forward . \(b.address)
            }

            """)
        let reply = try Self.client(server).query("next.example.", .a)
        #expect(Self.address(of: reply) == Self.markerB)
        #expect(a.received(named: "next.example.").count == 1)
        // Without a following forward, the NXDOMAIN is the answer (CoreDNS).
        let alone = try ServerProcess(corefile: ".:{PORT} {\n    forward . \(a.address) {\n        next NXDOMAIN\n    }\n    whoami\n}\n")
        #expect(try Self.client(alone).query("next2.example.", .a).rcode == .nameError)
    }

    @Test("except names are not forwarded but passed to the next plugin")
    func exceptNames() throws {
        let a = try ScriptedUpstream(marker: Self.markerA)
        let server = try ServerProcess(corefile: ".:{PORT} {\n    forward . \(a.address) {\n        except skip.example\n    }\n    whoami\n}\n")
        let client = Self.client(server)
        let skipped = try client.query("host.skip.example.", .a)
        #expect(skipped.header.authoritative)          // whoami's answer
        #expect(skipped.additionals.contains { $0.type == .srv })
        #expect(Self.address(of: try client.query("host.other.example.", .a)) == Self.markerA)
        #expect(a.received(named: "host.skip.example.").isEmpty)
    }

    @Test("above max_concurrent outstanding queries the client gets REFUSED")
    func maxConcurrent() throws {
        let upstream = try ScriptedUpstream(marker: Self.markerA, mode: .delay(milliseconds: 800))
        let server = try ServerProcess(corefile: ".:{PORT} {\n    forward . \(upstream.address) {\n        max_concurrent 2\n    }\n}\n", workers: 1)
        let client = Self.client(server)
        let rcodes = Mutex<[ResponseCode]>([])
        inParallel(12) { i in
            if let reply = try? client.query("mc\(i).example.", .a) { rcodes.withLock { $0.append(reply.rcode) } }
        }
        let all = rcodes.withLock { $0 }
        #expect(all.count == 12)
        #expect(all.filter { $0 == .refused }.count >= 1)
        #expect(all.filter { $0 == .noError }.count >= 2)
        #expect(upstream.received.count == all.filter { $0 == .noError }.count)
    }

    // MARK: Configuration

    @Test("tls:// upstreams and unknown properties are refused with the Corefile line")
    func configErrors() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fw-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let corefile = dir.appendingPathComponent("Corefile")
        try ".:1053 {\n    forward . tls://1.1.1.1\n}\n".write(to: corefile, atomically: true, encoding: .utf8)
        let (tlsStatus, tlsOutput) = try runClusterDNS(["check", "--conf", corefile.path])
        #expect(tlsStatus != 0)
        #expect(tlsOutput.contains("Corefile:2: plugin/forward:"))
        #expect(tlsOutput.contains("not supported yet"))
        try ".:1053 {\n    forward . 127.0.0.1 {\n        bogus\n    }\n}\n".write(to: corefile, atomically: true, encoding: .utf8)
        let (bogusStatus, bogusOutput) = try runClusterDNS(["check", "--conf", corefile.path])
        #expect(bogusStatus != 0)
        #expect(bogusOutput.contains("Corefile:3: plugin/forward: unknown property 'bogus'"))
    }
}

/// Runs `body` on `count` threads at once (DispatchQueue.concurrentPerform would use one thread
/// per core, too few to have many queries outstanding together) and waits for all of them.
func inParallel(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let group = DispatchGroup()
    for i in 0..<count {
        group.enter()
        Thread.detachNewThread {
            body(i)
            group.leave()
        }
    }
    group.wait()
}
