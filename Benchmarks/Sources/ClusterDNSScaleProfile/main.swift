// What one cluster question costs at a given cluster size, by question kind, with the index out of
// the CPU's caches as it is on a real server: each kind cycles over many different names spread
// over the whole cluster, so consecutive queries touch different table slots and entries.
//
//   ClusterDNSScaleProfile [--services N] [--names N] [--passes N] [--kinds a,b,...] [--wait] [--digest]
//
// The cluster is `SyntheticCluster` (69 % ClusterIP, 20 % headless, 10 % dual-stack, 1 %
// ExternalName) with 3 endpoint addresses per service on average, sharded as the server shards it
// (`ClusterState`, one `KubernetesIndex` per registry shard, PTR routes), and the kubernetes plugin
// alone behind the real query engine (parse, chain, response, per-worker metrics), as
// `KubernetesBenchmarks` runs it.
//
// Every question is checked once (rcode, answers present). Each kind then runs one pass to warm
// up and `passes` passes in its own `@inline(never)` function `profile_<kind>` so that
// `valgrind --tool=callgrind --cache-sim=yes` attributes instructions and simulated cache misses
// to it (inclusive costs; `Benchmarks/callgrind-scale.sh`). Natively it prints ns per query, which
// on a shared machine is only indicative. `--digest` prints, per kind, a hash of every reply's
// octets instead: two builds that print the same digests gave the same answers to every question.
import ClusterRegistry
import ClusterRegistryTestSupport
import DNSWire
import Foundation
import Plugins

struct Options {
    var services = 100_000
    var names = 16_384
    var passes = 3
    var kinds: [String]? = nil
    /// Wait for a line on standard input once the cluster and packets are ready (so that
    /// `callgrind_control -i on` can switch instrumentation on for the queries only).
    var wait = false
    /// Print a hash of the replies per kind and stop (to compare the answers of two builds).
    var digest = false

    init(_ arguments: [String]) {
        var i = 1
        while i < arguments.count {
            let value = i + 1 < arguments.count ? arguments[i + 1] : ""
            switch arguments[i] {
            case "--services": services = Int(value) ?? services
            case "--names": names = Int(value) ?? names
            case "--passes": passes = Int(value) ?? passes
            case "--kinds": kinds = value.split(separator: ",").map(String.init)
            case "--wait":
                wait = true
                i += 1
                continue
            case "--digest":
                digest = true
                i += 1
                continue
            default:
                FileHandle.standardError.write(Data("unknown argument \(arguments[i])\n".utf8))
                exit(2)
            }
            i += 2
        }
    }
}

let options = Options(CommandLine.arguments)

/// Deterministic shuffle (an LCG), so every run asks the same names in the same order.
struct Shuffler {
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    mutating func next() -> UInt64 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return state >> 33
    }
    mutating func shuffle<T>(_ values: inout [T]) {
        guard values.count > 1 else { return }
        for i in stride(from: values.count - 1, to: 0, by: -1) {
            values.swapAt(i, Int(next() % UInt64(i + 1)))
        }
    }
}

@MainActor func reverseName(_ address: IPAddress) -> String {
    switch address {
    case .v4(let a):
        return "\(a.rawValue & 255).\(a.rawValue >> 8 & 255).\(a.rawValue >> 16 & 255).\(a.rawValue >> 24).in-addr.arpa."
    case .v6(let a):
        var nibbles: [String] = []
        for word in [a.low, a.high] {
            for k in 0..<16 { nibbles.append(String((word >> UInt64(4 * k)) & 0xF, radix: 16)) }
        }
        return nibbles.joined(separator: ".") + ".ip6.arpa."
    }
}

let started = Date()
let cluster = SyntheticCluster(services: options.services, endpoints: options.services * 3)
let state = ClusterState.build(sources: [ObjectSource(name: "synthetic", objects: cluster.generate())], previous: nil)
let snapshot = state.merged
let zones = ["cluster.local.", "in-addr.arpa.", "ip6.arpa."].compactMap { try? DomainName($0) }
guard var config = KubernetesConfig(zones: zones, manifests: "/unused") else { fatalError("kubernetes configuration") }
config.pods = .insecure
let plugin = KubernetesPlugin(config: config)
let set = KubernetesIndexSet.build(state, config: config)
plugin.indexes.publish(set)
let worker = WorkerContext(index: 0, workerCount: 1)
guard let handler = plugin.makeHandler(worker: worker) else { fatalError("kubernetes handler") }
let chain = ChainRuntime(zones: [.root], serverLabel: "dns://:53", names: ["kubernetes"], handlers: [handler])
var table = ZoneTable()
table.add(zone: .root, chain: chain)
let engine = QueryEngine(worker: worker, ports: [(53, table)])
let output = UnsafeMutableRawBufferPointer.allocate(byteCount: 65_535, alignment: 16)
let route = Route(transport: .udp, peerAddress: .v4(IPv4Address(127, 0, 0, 1)), peerPort: 40_000,
                  localAddress: .v4(IPv4Address(127, 0, 0, 1)), localPort: 53)

// Services by shape, shuffled, so that the names of one kind are spread over every shard and table.
var shuffler = Shuffler()
var byShape: [SyntheticCluster.Shape: [Int]] = [:]
for i in 0..<cluster.services { byShape[SyntheticCluster.shape(of: i), default: []].append(i) }
// In a fixed order of shapes (a dictionary's key order changes from process to process), so
// that every run asks the same names and `--digest` can compare two builds.
for key in [SyntheticCluster.Shape.clusterIP, .headless, .dualStack, .externalName] where byShape[key] != nil {
    shuffler.shuffle(&byShape[key]!)
}

@MainActor func serviceName(_ i: Int) -> String {
    let (namespace, name) = cluster.name(ofService: i)
    return "\(name).\(namespace).svc.cluster.local."
}

@MainActor func readyEndpoint(_ i: Int) -> ServiceEndpoint? {
    let (namespace, name) = cluster.name(ofService: i)
    guard let id = snapshot.serviceID(namespace: namespace, name: name) else { return nil }
    return snapshot.endpoints(of: id).first { $0.isReady }
}

@MainActor func clusterIP(_ i: Int) -> IPAddress? {
    let (namespace, name) = cluster.name(ofService: i)
    return snapshot.service(namespace: namespace, name: name)?.clusterIPs.ipv4.map(IPAddress.v4)
}

/// Up to `options.names` questions of one kind.
@MainActor func questions(_ shapes: [SyntheticCluster.Shape], _ make: (Int) -> (String, RecordType)?) -> [(String, RecordType)] {
    var out: [(String, RecordType)] = []
    let pool = shapes.flatMap { byShape[$0] ?? [] }
    var order = pool
    shuffler.shuffle(&order)
    for i in order {
        guard out.count < options.names else { break }
        if let q = make(i) { out.append(q) }
    }
    return out
}

struct Kind {
    let name: String
    let rcode: ResponseCode
    let answers: Bool
    let questions: [(String, RecordType)]
}

let allKinds: [Kind] = [
    Kind(name: "serviceA", rcode: .noError, answers: true,
         questions: questions([.clusterIP, .dualStack]) { (serviceName($0), .a) }),
    Kind(name: "nodataAAAA", rcode: .noError, answers: false,
         questions: questions([.clusterIP]) { (serviceName($0), .aaaa) }),
    Kind(name: "headlessA", rcode: .noError, answers: true,
         questions: questions([.headless]) { readyEndpoint($0) == nil ? nil : (serviceName($0), .a) }),
    Kind(name: "endpointA", rcode: .noError, answers: true,
         questions: questions([.headless]) { i in
             readyEndpoint(i).map { ("\($0.name(usingPodNames: false)).\(serviceName(i))", .a) }
         }),
    Kind(name: "srvService", rcode: .noError, answers: true,
         questions: questions([.clusterIP]) { ("_http._tcp." + serviceName($0), .srv) }),
    Kind(name: "ptrServiceIP", rcode: .noError, answers: true,
         questions: questions([.clusterIP]) { clusterIP($0).map { (reverseName($0), .ptr) } }),
    Kind(name: "ptrEndpoint", rcode: .noError, answers: true,
         questions: questions([.clusterIP, .headless]) { readyEndpoint($0).map { (reverseName($0.address), .ptr) } }),
    Kind(name: "nxdomain", rcode: .nameError, answers: false,
         questions: questions([.clusterIP]) { ("no-" + serviceName($0), .a) }),
]
let kinds = allKinds.filter { options.kinds?.contains($0.name) ?? true }

/// The prebuilt packets of a kind, laid out in one buffer: offsets and lengths.
struct Packets {
    let storage: UnsafeMutableRawBufferPointer
    let spans: [(offset: Int, length: Int)]
}

@MainActor func packets(_ kind: Kind) -> Packets {
    var bytes: [UInt8] = []
    var spans: [(offset: Int, length: Int)] = []
    for (name, type) in kind.questions {
        guard let domain = try? DomainName(name), let packet = Message.query(id: 0x2B67, name: domain, type: type, edns: EDNS()).encoded() else {
            fatalError("\(kind.name): cannot encode \(name)")
        }
        spans.append((bytes.count, packet.count))
        bytes += packet
    }
    let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, bytes.count), alignment: 64)
    bytes.withUnsafeBytes { storage.copyMemory(from: $0) }
    return Packets(storage: storage, spans: spans)
}

/// Checks every question of `kind` once (rcode, answers present or not); exits on a mismatch.
@MainActor func check(_ kind: Kind, _ p: Packets) {
    for (k, span) in p.spans.enumerated() {
        var length = 0
        let packet = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(p.storage)[span.offset..<(span.offset + span.length)])
        if case .reply(let n) = engine.handle(packet: packet, route: route, output: output) { length = n }
        let reply = try? Message(parsing: Array(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(output)[0..<length])))
        guard reply?.rcode == kind.rcode, (reply?.answers.isEmpty == false) == kind.answers else {
            print("\(kind.name): \(kind.questions[k].0) \(kind.questions[k].1): rcode \(String(describing: reply?.rcode)), answers \(reply?.answers.count ?? -1)")
            exit(1)
        }
    }
}

@inline(never)
@MainActor func run(_ p: Packets, passes: Int) -> Int {
    var answered = 0
    for _ in 0..<passes {
        for span in p.spans {
            let packet = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(p.storage)[span.offset..<(span.offset + span.length)])
            if case .reply = engine.handle(packet: packet, route: route, output: output) { answered += 1 }
        }
    }
    return answered
}

// One function per kind, never inlined: callgrind's inclusive cost of `profile_<kind>` is that
// kind's whole cost (passes × names queries).
@MainActor @inline(never) func profile_serviceA(_ p: Packets, _ n: Int) -> Int { run(p, passes: n) }
@MainActor @inline(never) func profile_nodataAAAA(_ p: Packets, _ n: Int) -> Int { run(p, passes: n) }
@MainActor @inline(never) func profile_headlessA(_ p: Packets, _ n: Int) -> Int { run(p, passes: n) }
@MainActor @inline(never) func profile_endpointA(_ p: Packets, _ n: Int) -> Int { run(p, passes: n) }
@MainActor @inline(never) func profile_srvService(_ p: Packets, _ n: Int) -> Int { run(p, passes: n) }
@MainActor @inline(never) func profile_ptrServiceIP(_ p: Packets, _ n: Int) -> Int { run(p, passes: n) }
@MainActor @inline(never) func profile_ptrEndpoint(_ p: Packets, _ n: Int) -> Int { run(p, passes: n) }
@MainActor @inline(never) func profile_nxdomain(_ p: Packets, _ n: Int) -> Int { run(p, passes: n) }

let profiled: [String: @MainActor (Packets, Int) -> Int] = [
    "serviceA": profile_serviceA, "nodataAAAA": profile_nodataAAAA, "headlessA": profile_headlessA,
    "endpointA": profile_endpointA, "srvService": profile_srvService, "ptrServiceIP": profile_ptrServiceIP,
    "ptrEndpoint": profile_ptrEndpoint, "nxdomain": profile_nxdomain,
]

print("cluster: \(cluster.services) services, \(set.endpointCount) ready endpoints, index \(set.footprint) octets; "
      + "setup \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
let prepared = kinds.map { (kind: $0, packets: packets($0)) }
for (kind, p) in prepared { check(kind, p) }
if options.digest {
    for (kind, p) in prepared {
        // FNV-1a over every reply, in question order.
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        var octets = 0
        for span in p.spans {
            let packet = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(p.storage)[span.offset..<(span.offset + span.length)])
            guard case .reply(let n) = engine.handle(packet: packet, route: route, output: output) else { continue }
            // The SOA serial (NODATA, NXDOMAIN) is the time the cluster was built: hashed as 0,
            // found as the serial followed by the refresh interval 7200.
            let soa = withUnsafeBytes(of: snapshot.serial.bigEndian) { Array($0) } + [0, 0, 0x1C, 0x20]
            var reply = Array(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(output)[0..<n]))
            if n >= soa.count, let at = (0...(n - soa.count)).first(where: { Array(reply[$0..<($0 + soa.count)]) == soa }) {
                reply.replaceSubrange(at..<(at + 4), with: [0, 0, 0, 0])
            }
            for b in reply { hash = (hash ^ UInt64(b)) &* 0x100_0000_01B3 }
            octets += n
        }
        print("digest \(kind.name) \(p.spans.count) \(octets) " + String(hash, radix: 16))
    }
    exit(0)
}
if options.wait {
    print("ready")
    fflush(nil)
    _ = readLine()
}
print("kind                    names   queries       ns/query")
for (kind, p) in prepared {
    // One pass first, outside the profiled function: the figures are the steady state (a
    // small cluster then answers from the CPU's caches; a large one cannot).
    _ = run(p, passes: 1)
    let clock = ContinuousClock()
    var answered = 0
    let elapsed = clock.measure { answered = profiled[kind.name]!(p, options.passes) }
    let queries = p.spans.count * options.passes
    guard answered == queries else { fatalError("\(kind.name): \(answered) of \(queries) answered") }
    let ns = Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9
    print(kind.name.padding(toLength: 22, withPad: " ", startingAt: 0) + String(format: " %6d %9d %14.1f", p.spans.count, queries, ns / Double(queries)))
}
