import DNSWire
import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The registry changes while the server is under load: every answer is the old state or the
/// new one — never a mixture, never a gap. A client keeps 64 queries in flight against the real
/// server over UDP for `CLUSTERDNS_LOAD_SECONDS` (60 by default) while the manifests change ten
/// times a second: services flip between two addresses, headless services get their
/// EndpointSlice replaced by a new one (the old deleted, a new one added, in one file write, as
/// the slice controller does on a rollout), and services are added and removed.
@Suite(.serialized) struct RegistryUnderLoadTests {
    static let files = 20
    static let servicesPerFile = 100
    static let flipping = 20
    static let headless = 20

    enum Expectation {
        case addresses(Set<Set<String>>)
        case nxdomain
    }

    /// The cluster: `files` files of stable services, one file per flipping service and per
    /// headless service (so each change rewrites one small file).
    static func stable(_ file: Int) -> String {
        (0..<servicesPerFile).map { k in
            let i = file * servicesPerFile + k
            return """
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: s\(i), namespace: load}
            spec: {clusterIP: 10.96.\(i / 250).\(i % 250 + 1), ports: [{port: 80}]}

            """
        }.joined()
    }

    static func flip(_ i: Int, state: Int) -> String {
        """
        apiVersion: v1
        kind: Service
        metadata: {name: flip\(i), namespace: load}
        spec: {clusterIP: 10.97.\(state).\(i + 1), ports: [{port: 80}]}

        """
    }

    static func headless(_ i: Int, generation: Int) -> String {
        let base = generation % 2
        return """
        apiVersion: v1
        kind: Service
        metadata: {name: hl\(i), namespace: load}
        spec: {clusterIP: None, ports: [{name: http, port: 80}]}
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata:
          name: hl\(i)-g\(generation)
          namespace: load
          labels: {kubernetes.io/service-name: hl\(i)}
        addressType: IPv4
        ports: [{name: http, port: 80}]
        endpoints:
        - addresses: [10.98.\(base).\(2 * i + 1)]
        - addresses: [10.98.\(base).\(2 * i + 2)]

        """
    }

    @Test("every answer under 10 changes a second is the old or the new state; none lost, no NXDOMAIN gap")
    func answersStayConsistent() throws {
        var files: [String: String] = ["cluster/namespaces.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: load}\n"]
        for f in 0..<Self.files { files["cluster/stable-\(f).yaml"] = Self.stable(f) }
        for i in 0..<Self.flipping { files["cluster/flip-\(i).yaml"] = Self.flip(i, state: 0) }
        for i in 0..<Self.headless { files["cluster/hl-\(i).yaml"] = Self.headless(i, generation: 0) }
        let server = try ServerProcess(corefile: KubernetesFixtures.corefile(), files: files)
        let directory = server.directory.appendingPathComponent("cluster")

        // What each name may answer: stable services one address; flipping services either of
        // their two; headless services either slice's pair; a name never created, NXDOMAIN.
        var names: [(String, Expectation)] = []
        for i in stride(from: 0, to: Self.files * Self.servicesPerFile, by: 37) {
            names.append(("s\(i).load.svc.cluster.local.", .addresses([["10.96.\(i / 250).\(i % 250 + 1)"]])))
        }
        for i in 0..<Self.flipping {
            names.append(("flip\(i).load.svc.cluster.local.", .addresses([["10.97.0.\(i + 1)"], ["10.97.1.\(i + 1)"]])))
        }
        for i in 0..<Self.headless {
            names.append(("hl\(i).load.svc.cluster.local.", .addresses([
                ["10.98.0.\(2 * i + 1)", "10.98.0.\(2 * i + 2)"], ["10.98.1.\(2 * i + 1)", "10.98.1.\(2 * i + 2)"],
            ])))
        }
        names.append(("missing.load.svc.cluster.local.", .nxdomain))
        let packets = try names.map { name, _ in try #require(Message.query(id: 0, name: try DomainName(name), type: .a).encoded()) }

        let seconds = ProcessInfo.processInfo.environment["CLUSTERDNS_LOAD_SECONDS"].flatMap(Double.init) ?? 60
        let stop = ContinuousClock.now.advanced(by: .milliseconds(Int(seconds * 1000)))

        // The changes, ten a second, on their own thread.
        let changes = ChangeCount()
        let changer = Thread {
            var n = 0
            let start = ContinuousClock.now
            while ContinuousClock.now < stop {
                let i = n / 2 % Self.flipping
                if n % 2 == 0 {
                    try? KubernetesWatcherTests.write(Self.flip(i, state: (n / 2 / Self.flipping + 1) % 2), to: "flip-\(i).yaml", in: directory)
                } else {
                    try? KubernetesWatcherTests.write(Self.headless(i % Self.headless, generation: n / 2 / Self.headless + 1),
                                                      to: "hl-\(i % Self.headless).yaml", in: directory)
                }
                n += 1
                changes.value = n
                // Ten a second: the next change 100 ms after the previous one was due.
                let due = start.advanced(by: .milliseconds(100 * n))
                let wait = ContinuousClock.now.duration(to: due)
                if wait > .zero { usleep(UInt32(wait.components.attoseconds / 1_000_000_000_000) + UInt32(wait.components.seconds) * 1_000_000) }
            }
            changes.done = true
        }
        changer.start()

        // The load: 64 queries in flight on one socket, IDs naming the question.
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        #expect(fd >= 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = server.port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        #expect(connected == 0)
        var inFlight: [UInt16: (name: Int, sent: ContinuousClock.Instant)] = [:]
        var nextID: UInt16 = 1
        var sent = 0, answered = 0, lost = 0
        var wrong: [String] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        var cursor = 0
        while ContinuousClock.now < stop || !inFlight.isEmpty {
            while inFlight.count < 64 && ContinuousClock.now < stop {
                while inFlight[nextID] != nil || nextID == 0 { nextID &+= 1 }
                var packet = packets[cursor % packets.count]
                packet[0] = UInt8(nextID >> 8)
                packet[1] = UInt8(nextID & 0xFF)
                guard send(fd, packet, packet.count, 0) == packet.count else { break }
                inFlight[nextID] = (cursor % packets.count, .now)
                sent += 1
                cursor += 1
                nextID &+= 1
            }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            _ = poll(&poller, 1, 20)
            while true {
                let n = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
                guard n > 0 else { break }
                let id = UInt16(buffer[0]) << 8 | UInt16(buffer[1])
                guard let query = inFlight.removeValue(forKey: id) else { continue }
                answered += 1
                let (name, expectation) = names[query.name]
                guard let reply = try? Message(parsing: Array(buffer[0..<n])) else {
                    wrong.append("\(name): unparsable reply")
                    continue
                }
                switch expectation {
                case .nxdomain:
                    if reply.rcode != .nameError { wrong.append("\(name): \(reply.rcode) instead of NXDOMAIN") }
                case .addresses(let allowed):
                    let got = Set(reply.answers.map(\.rdata.presentation))
                    if reply.rcode != .noError || !allowed.contains(got) {
                        wrong.append("\(name): \(reply.rcode) \(got.sorted()) is neither state")
                    }
                }
            }
            // A query unanswered for 2 s is lost (loopback does not drop; the server must not).
            let now = ContinuousClock.now
            for (id, query) in inFlight where query.sent.duration(to: now) > .seconds(2) {
                inFlight[id] = nil
                lost += 1
            }
        }
        changer.cancel()
        while !changes.done { usleep(10_000) }
        print("[load] \(sent) queries in \(seconds) s (\(Int(Double(sent) / seconds)) per second), \(answered) answered, \(lost) lost, \(wrong.count) wrong; \(changes.value) changes")
        #expect(wrong.isEmpty, "\(wrong.prefix(10))")
        #expect(lost == 0)
        #expect(answered == sent)
        #expect(changes.value >= Int(seconds * 5), "the changes kept coming")
        // And the last state is served.
        #expect(try ServerProcess.eventually {
            let reply = try server.client.query("flip0.load.svc.cluster.local.", .a)
            return reply.rcode == .noError
        })
    }
}

/// The change thread's progress.
private final class ChangeCount: Sendable {
    let count = Atomic<Int>(0)
    let finished = Atomic<Bool>(false)

    var value: Int {
        get { count.load(ordering: .relaxed) }
        set { count.store(newValue, ordering: .relaxed) }
    }

    var done: Bool {
        get { finished.load(ordering: .acquiring) }
        set { finished.store(newValue, ordering: .releasing) }
    }
}
