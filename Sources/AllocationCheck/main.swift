// clusterdns-alloc-check: counts heap allocations per query on every path that answers from
// memory, and exits 1 if any path allocates. Run by `make test` through
// Tests/IntegrationTests/AllocationTests.swift (Docs/performance.md, "Allocations per query").
//
// It must be a release build (`swift build -c release --product clusterdns-alloc-check`): a debug
// build allocates on every query (unspecialized generics, boxed values), which says nothing about
// the server that runs.
//
// Why an executable and not a test: the counter is ordo-one/malloc-interposer, a dynamic library
// that replaces malloc for the whole process that links it. Linked into a test target, it would
// sit under every test of the package (one test process on Linux); here it sits under this
// process only. Counts are deterministic, so the check is a count, never a time.
//
// Two parts:
// 1. The query engine in this thread, configured from a Corefile exactly as `serve` configures a
//    worker (ServerConfiguration.zoneTables): kubernetes over generated manifests (ClusterIP A,
//    headless A, SRV, PTR, NXDOMAIN, NODATA), autopath @kubernetes for a pod, a cache hit. Each
//    path is asked once to check the answer, warmed up, then asked `iterations` times between
//    hook() and unhook(): the count must be 0.
// 2. The same engine behind a real worker (EventLoop's epoll loop, recvmmsg/sendmmsg, TCP
//    connections and framing) on loopback; this thread is the client, over one UDP socket and one
//    pipelined TCP connection. The worker's periodic work (idle sweeps, timers) runs on its own
//    clock, so the smallest count of three measured rounds is taken: an allocation per query shows
//    in every round, a timer's allocation in one at most.
import ClusterDNSCSystem
import Corefile
import DNSWire
import EventLoop
import Foundation
import Logging
import MallocInterposerSwift
import Plugins

#if canImport(Glibc)
import Glibc
#endif

let iterations = 2_000

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("clusterdns-alloc-check: \(message)\n".utf8))
    exit(2)
}

// MARK: - The cluster and the configuration

/// Writes the manifests, zone file and Corefile into a fresh directory; returns its path.
func writeFixture() -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("alloc-check-\(getpid())").path
    let manifests = """
        apiVersion: v1
        kind: List
        items:
        - {apiVersion: v1, kind: Namespace, metadata: {name: default}}
        - {apiVersion: v1, kind: Namespace, metadata: {name: other}}
        - apiVersion: v1
          kind: Service
          metadata: {name: web, namespace: other}
          spec:
            clusterIP: 10.96.1.20
            clusterIPs: [10.96.1.20]
            ports: [{name: http, port: 80, protocol: TCP}]
        - apiVersion: v1
          kind: Service
          metadata: {name: db, namespace: other}
          spec:
            clusterIP: None
            ports: [{name: postgres, port: 5432, protocol: TCP}]
        - apiVersion: discovery.k8s.io/v1
          kind: EndpointSlice
          metadata:
            name: db-x
            namespace: other
            labels: {kubernetes.io/service-name: db}
          addressType: IPv4
          ports: [{name: postgres, port: 5432, protocol: TCP}]
          endpoints:
          - {addresses: [10.244.1.1], hostname: db-0, conditions: {ready: true}}
          - {addresses: [10.244.1.2], hostname: db-1, conditions: {ready: true}}
          - {addresses: [10.244.1.3], hostname: db-2, conditions: {ready: true}}
        - apiVersion: v1
          kind: Pod
          metadata: {name: client, namespace: default}
          spec:
            containers: [{name: c, image: busybox}]
          status:
            phase: Running
            podIP: 10.244.0.5
            podIPs: [{ip: 10.244.0.5}]

        """
    let zone = """
        $ORIGIN example.test.
        $TTL 300
        @ IN SOA ns.example.test. hostmaster.example.test. 1 7200 1800 86400 300
        @ IN NS ns.example.test.
        ns IN A 192.0.2.53
        www IN A 192.0.2.80

        """
    // The kubeadm Corefile's cache: cluster.local answers are not cached, so the registry paths
    // below run the kubernetes plugin on every query; example.test answers are.
    let corefile = """
        .:53 {
            autopath @kubernetes
            cache 30 {
                disable success cluster.local
                disable denial cluster.local
            }
            kubernetes cluster.local in-addr.arpa ip6.arpa {
                manifests \(dir)/manifests
                pods verified
                fallthrough in-addr.arpa ip6.arpa
            }
            file \(dir)/example.test.zone example.test
        }

        """
    do {
        try FileManager.default.createDirectory(atPath: dir + "/manifests", withIntermediateDirectories: true)
        try manifests.write(toFile: dir + "/manifests/cluster.yaml", atomically: true, encoding: .utf8)
        try zone.write(toFile: dir + "/example.test.zone", atomically: true, encoding: .utf8)
        try corefile.write(toFile: dir + "/Corefile", atomically: true, encoding: .utf8)
    } catch {
        fail("cannot write the fixture in \(dir): \(error)")
    }
    return dir
}

let directory = writeFixture()
defer { try? FileManager.default.removeItem(atPath: directory) }

let configuration: ServerConfiguration
do {
    let corefile = try Corefile.parse(file: directory + "/Corefile")
    configuration = try ServerConfiguration.build(corefile, manifestsDirectory: nil, baseDirectory: directory)
} catch {
    fail("the Corefile: \(error)")
}
var logger = Logger(label: "clusterdns.alloc-check")
logger.logLevel = .warning
let context = ServerContext(logger: logger, listeners: [], manifestsDirectory: nil) { message in
    fail("a plugin failed: \(message)")
}
for block in configuration.blocks {
    for factory in block.factories {
        do { try factory.start(context) } catch { fail("plugin/\(factory.name) could not start: \(error)") }
    }
}

/// An engine as one worker of `workers` runs it.
func makeEngine(index: Int = 0, workers: Int = 1) -> QueryEngine {
    let worker = WorkerContext(index: index, workerCount: workers)
    return QueryEngine(worker: worker, ports: configuration.zoneTables(worker: worker).tables)
}

// MARK: - Part 1: the engine

struct Path {
    let label: String
    let name: String
    let type: RecordType
    let rcode: ResponseCode
    /// The answer section's types, in order.
    let answers: [RecordType]
    var client = IPv4Address(10, 244, 0, 9)
}

let paths: [Path] = [
    Path(label: "registry ClusterIP A", name: "web.other.svc.cluster.local.", type: .a, rcode: .noError, answers: [.a]),
    Path(label: "registry headless A", name: "db.other.svc.cluster.local.", type: .a, rcode: .noError, answers: [.a, .a, .a]),
    Path(label: "registry SRV", name: "_http._tcp.web.other.svc.cluster.local.", type: .srv, rcode: .noError, answers: [.srv]),
    Path(label: "registry headless SRV", name: "_postgres._tcp.db.other.svc.cluster.local.", type: .srv, rcode: .noError,
         answers: [.srv, .srv, .srv]),
    Path(label: "registry PTR", name: "20.1.96.10.in-addr.arpa.", type: .ptr, rcode: .noError, answers: [.ptr]),
    Path(label: "registry NXDOMAIN", name: "missing.other.svc.cluster.local.", type: .a, rcode: .nameError, answers: []),
    Path(label: "registry NODATA", name: "web.other.svc.cluster.local.", type: .aaaa, rcode: .noError, answers: []),
    Path(label: "autopath (pod's first search step)", name: "web.other.default.svc.cluster.local.", type: .a,
         rcode: .noError, answers: [.cname, .a], client: IPv4Address(10, 244, 0, 5)),
    // Every candidate fails (NXDOMAIN in cluster.local, SERVFAIL for the bare name, which no
    // plugin of this Corefile answers): the reply to the name asked is returned.
    Path(label: "autopath (every step fails)", name: "missing.default.svc.cluster.local.", type: .a,
         rcode: .nameError, answers: [], client: IPv4Address(10, 244, 0, 5)),
    Path(label: "cache hit", name: "www.example.test.", type: .a, rcode: .noError, answers: [.a]),
]

let output = UnsafeMutableRawBufferPointer.allocate(byteCount: 65_535, alignment: 16)

/// A query's wire bytes in memory that stays put (an array captured by a closure could be copied).
func stableQuery(_ name: String, _ type: RecordType, id: UInt16) -> UnsafeRawBufferPointer {
    guard let domain = try? DomainName(name), let bytes = Message.query(id: id, name: domain, type: type, edns: EDNS()).encoded() else {
        fail("cannot encode \(name)")
    }
    let memory = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 16)
    memory.copyBytes(from: bytes)
    return UnsafeRawBufferPointer(memory)
}

func mallocs(_ body: () -> Void) -> Int {
    MallocInterposerSwift.reset()
    MallocInterposerSwift.hook()
    body()
    MallocInterposerSwift.unhook()
    return MallocInterposerSwift.getStatistics().mallocCount
}

// The interposer must precede libc in symbol lookup, or every count would be a silent 0.
MallocInterposerSwift.initialize()
let probe = mallocs { _ = [Int](repeating: 1, count: Int(getpid()) % 7 + 100).withUnsafeBufferPointer { $0.count } }
// (Under valgrind, whose allocator wins, the count is 0: CLUSTERDNS_ALLOC_ONLY runs anyway, for DHAT.)
if probe == 0, ProcessInfo.processInfo.environment["CLUSTERDNS_ALLOC_ONLY"] == nil {
    fail("the malloc interposer counts nothing (it must precede libc in symbol lookup)")
}

var failures = 0
/// Prints one path's count; returns 1 if it allocated, else 0.
func report(_ label: String, _ count: Int, over queries: Int) -> Int {
    let verdict = count == 0 ? "ok" : "ALLOCATES"
    print("\(label.padding(toLength: 40, withPad: " ", startingAt: 0)) \(count) mallocs / \(queries) queries  \(verdict)")
    return count == 0 ? 0 : 1
}

// CLUSTERDNS_ALLOC_ONLY=<label prefix>: run only the engine paths whose label starts with it, and
// skip part 2, e.g. to look at one path under `valgrind --tool=dhat` (Docs/performance.md).
let only = ProcessInfo.processInfo.environment["CLUSTERDNS_ALLOC_ONLY"]
let engine = makeEngine()
for path in paths where only.map({ path.label.hasPrefix($0) }) ?? true {
    let packet = stableQuery(path.name, path.type, id: 0x5A5A)
    let route = Route(transport: .udp, peerAddress: .v4(path.client), peerPort: 40_000,
                      localAddress: .v4(IPv4Address(10, 96, 0, 10)), localPort: 53)
    var length = 0
    if case .reply(let n) = engine.handle(packet: packet, route: route, output: output) { length = n }
    let reply = try? Message(parsing: Array(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(output)[0..<length])))
    guard let reply, reply.rcode == path.rcode, reply.answers.map(\.type) == path.answers else {
        fail("\(path.label): \(path.name) \(path.type) answered \(String(describing: reply?.rcode)) "
             + "\(reply?.answers.map { "\($0.type)" } ?? []), expected \(path.rcode) \(path.answers)")
    }
    for _ in 0..<100 { _ = engine.handle(packet: packet, route: route, output: output) }
    // Two measured rounds, the smaller count reported: a lazy one-time allocation of the process
    // (the first use of something after the warm-up) lands in one round, a per-query one in both.
    var fewest = Int.max
    for _ in 0..<2 {
        fewest = min(fewest, mallocs {
            for _ in 0..<iterations { _ = engine.handle(packet: packet, route: route, output: output) }
        })
    }
    failures += report(path.label, fewest, over: iterations)
}

// DNS cookies while the secret rotates: one-second epochs, so each measured round crosses at
// least one rotation (a worker re-deriving its secrets on the query path). The queries alternate
// between a client cookie only (a fresh server cookie is made) and a server cookie the engine
// made earlier (valid and echoed, then renewed after a rotation, then not valid: a fresh one).
if only.map({ $0.hasPrefix("cookie") }) ?? true {
    let cookieEngine = makeEngine()
    cookieEngine.cookies = CookieSecrets(current: CookieSecret(k0: 0x0123_4567_89AB_CDEF, k1: 0x0F1E_2D3C_4B5A_6978),
                                         previous: nil, rotation: 1)
    let route = Route(transport: .udp, peerAddress: .v4(IPv4Address(10, 244, 0, 9)), peerPort: 40_000,
                      localAddress: .v4(IPv4Address(10, 96, 0, 10)), localPort: 53)
    func cookieQuery(_ option: [UInt8]) -> UnsafeRawBufferPointer {
        guard let domain = try? DomainName("web.other.svc.cluster.local."),
              let bytes = Message.query(id: 0x5A5A, name: domain, type: .a,
                                        edns: EDNS(options: [EDNSOption(code: .cookie, data: option)])).encoded() else {
            fail("cannot encode a cookie query")
        }
        let memory = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 16)
        memory.copyBytes(from: bytes)
        return UnsafeRawBufferPointer(memory)
    }
    let clientOnly = cookieQuery([0x24, 0x64, 0xc4, 0xab, 0xcf, 0x10, 0xc9, 0x57])
    var length = 0
    if case .reply(let n) = cookieEngine.handle(packet: clientOnly, route: route, output: output) { length = n }
    let first = try? Message(parsing: Array(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(output)[0..<length])))
    guard let cookie = first?.edns?.option(.cookie)?.data, cookie.count == 24, first?.answers.count == 1 else {
        fail("cookies: no server cookie or no answer in \(String(describing: first))")
    }
    let withServerCookie = cookieQuery(cookie)
    var fewest = Int.max
    var queries = 0
    for _ in 0..<2 {
        fewest = min(fewest, mallocs {
            let start = wallClockSeconds()
            while wallClockSeconds() &- start < 2 {
                for _ in 0..<256 {
                    _ = cookieEngine.handle(packet: clientOnly, route: route, output: output)
                    _ = cookieEngine.handle(packet: withServerCookie, route: route, output: output)
                }
                queries += 512
            }
        })
    }
    failures += report("cookies across secret rotations", fewest, over: queries / 2)
}

// MARK: - Part 2: a real worker on loopback

if only != nil {
    print(failures == 0 ? "no allocation" : "allocates")
    exit(failures == 0 ? 0 : 1)
}

/// Hands datagrams and frames to an engine, as the server's ListenerQueryHandler does (Server is
/// not a dependency here: the adapter is four lines).
final class EngineHandler: DatagramHandler, StreamHandler {
    let engine: QueryEngine
    init(engine: QueryEngine) { self.engine = engine }

    func handleDatagram(_ packet: UnsafeRawBufferPointer, truncated: Bool, from target: UDPReplyTarget,
                        response: UnsafeMutableRawBufferPointer) -> Int? {
        let route = Route(transport: .udp, peerAddress: .v4(IPv4Address(127, 0, 0, 1)), peerPort: target.peer.port,
                          localAddress: .v4(IPv4Address(127, 0, 0, 1)), localPort: 53)
        if case .reply(let n) = engine.handle(packet: packet, route: route, output: response) { return n }
        return nil
    }

    func handleFrame(_ frame: UnsafeRawBufferPointer, from target: TCPReplyTarget,
                     response: UnsafeMutableRawBufferPointer) -> FrameReply {
        let route = Route(transport: .tcp, peerAddress: .v4(IPv4Address(127, 0, 0, 1)), peerPort: target.peer.port,
                          localAddress: .v4(IPv4Address(127, 0, 0, 1)), localPort: 53)
        switch engine.handle(packet: frame, route: route, output: response) {
        case .reply(let n): return .now(length: n)
        case .later: return .later
        case .drop: return .drop
        }
    }
}

let group: WorkerGroup
let udpAddress: SocketAddress
let tcpAddress: SocketAddress
do {
    group = try WorkerGroup(count: 1)
    let handler = EngineHandler(engine: makeEngine())
    udpAddress = try group.listenUDP(on: .ipv4Loopback(port: 0)) { _ in handler }
    tcpAddress = try group.listenTCP(on: .ipv4Loopback(port: 0)) { _ in handler }
    try group.start()
} catch {
    fail("starting a worker: \(error)")
}

/// The queries of part 1 that answer the same from any client (not autopath), `batch` in a row,
/// each with a 2-byte length prefix for TCP.
let batch = 64
let ioPaths = paths.filter { $0.client == IPv4Address(10, 244, 0, 9) }
let frames: UnsafeRawBufferPointer = {
    var bytes: [UInt8] = []
    for i in 0..<batch {
        let path = ioPaths[i % ioPaths.count]
        guard let domain = try? DomainName(path.name),
              let query = Message.query(id: UInt16(i), name: domain, type: path.type, edns: EDNS()).encoded() else {
            fail("cannot encode \(path.name)")
        }
        bytes += [UInt8(query.count >> 8), UInt8(query.count & 255)] + query
    }
    let memory = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 16)
    memory.copyBytes(from: bytes)
    return UnsafeRawBufferPointer(memory)
}()

func connectedSocket(_ type: Int32, to address: SocketAddress) -> Int32 {
    let fd = socket(AF_INET, type, 0)
    guard fd >= 0 else { fail("socket: \(String(cString: strerror(errno)))") }
    var timeout = timeval(tv_sec: 5, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    let result = address.withSockAddr { pointer, length in connect(fd, pointer, length) }
    guard result == 0 else { fail("connect: \(String(cString: strerror(errno)))") }
    return fd
}

let receive = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)

/// One TCP round: every frame in one send, then read until as many replies have arrived.
func tcpRound(_ fd: Int32, _ frames: UnsafeRawBufferPointer, _ receive: UnsafeMutableRawBufferPointer) -> Bool {
    guard send(fd, frames.baseAddress, frames.count, 0) == frames.count else { return false }
    var have = 0, replies = 0, offset = 0
    while replies < batch {
        let n = recv(fd, receive.baseAddress! + have, receive.count - have, 0)
        if n <= 0 { return false }
        have += n
        while have - offset >= 2 {
            let length = Int(receive[offset]) << 8 | Int(receive[offset + 1])
            guard have - offset >= 2 + length else { break }
            offset += 2 + length
            replies += 1
        }
    }
    return offset == have
}

/// One UDP round: every query as its own datagram, then as many replies.
func udpRound(_ fd: Int32, _ frames: UnsafeRawBufferPointer, _ receive: UnsafeMutableRawBufferPointer) -> Bool {
    var offset = 0
    while offset < frames.count {
        let length = Int(frames[offset]) << 8 | Int(frames[offset + 1])
        guard send(fd, frames.baseAddress! + offset + 2, length, 0) == length else { return false }
        offset += 2 + length
    }
    for _ in 0..<batch where recv(fd, receive.baseAddress, 65_535, 0) <= 0 { return false }
    return true
}

for (label, type, address, round) in [
    ("worker UDP (recvmmsg/sendmmsg)", Int32(SOCK_DGRAM.rawValue), udpAddress, udpRound),
    ("worker TCP (framing, pipelined)", Int32(SOCK_STREAM.rawValue), tcpAddress, tcpRound),
] as [(String, Int32, SocketAddress, (Int32, UnsafeRawBufferPointer, UnsafeMutableRawBufferPointer) -> Bool)] {
    let fd = connectedSocket(type, to: address)
    for _ in 0..<20 where !round(fd, frames, receive) { fail("\(label): no answers in the warm-up") }
    let rounds = iterations / batch
    var fewest = Int.max
    for _ in 0..<3 {
        var ok = true
        let count = mallocs { for _ in 0..<rounds where !round(fd, frames, receive) { ok = false } }
        if !ok { fail("\(label): a round went unanswered") }
        fewest = min(fewest, count)
    }
    close(fd)
    failures += report(label, fewest, over: rounds * batch)
}

// One query per connection (glibc's TCP fallback): reported, not checked. A connection is an
// object with its own buffers, made when it is accepted; what matters is that the count stays a
// small constant per connection.
do {
    let connections = 200
    let firstLength = 2 + (Int(frames[0]) << 8 | Int(frames[1]))
    let oneFrame = UnsafeRawBufferPointer(rebasing: frames[0..<firstLength])
    func oneConnection() -> Bool {
        let fd = connectedSocket(Int32(SOCK_STREAM.rawValue), to: tcpAddress)
        defer { close(fd) }
        guard send(fd, oneFrame.baseAddress, oneFrame.count, 0) == oneFrame.count else { return false }
        var have = 0
        while have < 2 || have < 2 + (Int(receive[0]) << 8 | Int(receive[1])) {
            let n = recv(fd, receive.baseAddress! + have, receive.count - have, 0)
            if n <= 0 { return false }
            have += n
        }
        return true
    }
    for _ in 0..<20 where !oneConnection() { fail("TCP, one query per connection: no answer in the warm-up") }
    var fewest = Int.max
    for _ in 0..<3 {
        var ok = true
        let count = mallocs { for _ in 0..<connections where !oneConnection() { ok = false } }
        if !ok { fail("TCP, one query per connection: a query went unanswered") }
        fewest = min(fewest, count)
    }
    let perConnection = Double(fewest) / Double(connections)
    print("\("worker TCP, one query per connection".padding(toLength: 40, withPad: " ", startingAt: 0)) "
          + "\(fewest) mallocs / \(connections) connections  (\(perConnection) per connection; reported, not checked)")
}

group.stop(drainFor: .zero)
group.join()
for block in configuration.blocks {
    for factory in block.factories { factory.stop() }
}
if failures > 0 {
    print("\(failures) path(s) allocate")
    exit(1)
}
print("every path answers without allocating")
