import ClusterRegistry
import ClusterRegistryTestSupport
import DNSWire
import Foundation
import Glibc
import Testing
@testable import Plugins

/// Index build time and memory at 100 000 services / 1 000 000 endpoints, answer cost through
/// the real query engine at 10 and at 100 000 services, and allocations per answer. Prints
/// figures; asserts only correctness (no timing assertions). Enabled with CLUSTERDNS_MEASURE=1,
/// best in a release build:
///
///     CLUSTERDNS_MEASURE=1 swift test -c release -Xswiftc -enable-testing --filter KubernetesScaleMeasurement
///
/// Allocations are counted when the process runs with Tests/Fixtures/kubernetes/tools/
/// malloc-counter.c preloaded (see that file); otherwise that column says so.
@Suite("Kubernetes scale measurement", .serialized, .enabled(if: ProcessInfo.processInfo.environment["CLUSTERDNS_MEASURE"] == "1"))
struct KubernetesScaleMeasurement {
    static func mb(_ bytes: Int) -> String { String(format: "%.1f MB", Double(bytes) / 1_000_000) }

    static func cluster(services: Int, endpoints: Int) -> (SyntheticCluster, ClusterSnapshot) {
        let cluster = SyntheticCluster(services: services, endpoints: endpoints)
        let snapshot = ClusterSnapshot.build(sources: [ObjectSource(name: "synthetic", objects: cluster.generate())], previous: nil)
        return (cluster, snapshot)
    }

    @Test("index build time and bytes per service and per endpoint")
    func indexBuild() throws {
        let config = try KubernetesHarness.config("pods insecure")
        var results: [(heap: Int, footprint: Int, seconds: Double, snapshotSeconds: Double)] = []
        for (services, endpoints) in [(100_000, 0), (100_000, 1_000_000)] {
            let cluster = SyntheticCluster(services: services, endpoints: endpoints)
            let sources = [ObjectSource(name: "synthetic", objects: cluster.generate())]
            var snapshot: ClusterSnapshot?
            let snapshotSeconds = MeasuredCPU.seconds { snapshot = ClusterSnapshot.build(sources: sources, previous: nil) }
            let snap = try #require(snapshot)
            let before = MeasuredMemory.heapInUse() ?? -1
            var index: KubernetesIndex?
            let seconds = MeasuredCPU.seconds {
                index = KubernetesIndex.build(snapshot: snap, config: config, loaded: true, localAddresses: [])
            }
            let after = MeasuredMemory.heapInUse() ?? -1
            let built = try #require(index)
            #expect(built.serviceCount == snap.counts.services)
            results.append((after - before, built.footprint, seconds, snapshotSeconds))
            print("""
                [measure] kubernetes index, \(services) services, \(endpoints) endpoints (\(built.endpointCount) ready): \
                build \(String(format: "%.3f", seconds)) s CPU (registry snapshot \(String(format: "%.3f", snapshotSeconds)) s), \
                heap \(Self.mb(after - before)), footprint \(Self.mb(built.footprint))
                """)
            // A rebuild (what every manifest change costs): the same snapshot again.
            let again = MeasuredCPU.seconds { _ = KubernetesIndex.build(snapshot: snap, config: config, loaded: true, localAddresses: []) }
            print("[measure] rebuild of the same index: \(String(format: "%.3f", again)) s CPU")
            _ = built.generation
        }
        let perService = Double(results[0].heap) / 100_000
        let perEndpoint = Double(results[1].heap - results[0].heap) / 1_000_000
        print("""
            [measure] kubernetes index: \(Int(perService)) B per service, \(Int(perEndpoint)) B per endpoint \
            (heap; footprint \(results[0].footprint / 100_000) B/service, \((results[1].footprint - results[0].footprint) / 1_000_000) B/endpoint)
            """)
    }

    /// Query packets of one kind, to be answered round-robin.
    struct Workload {
        var kind: String
        var packets: [[UInt8]]
        var expect: ResponseCode
    }

    static func workloads(_ cluster: SyntheticCluster, _ snapshot: ClusterSnapshot, services: [Int]) throws -> [Workload] {
        func pick(_ shape: SyntheticCluster.Shape) -> [Int] {
            let matching = services.filter { SyntheticCluster.shape(of: $0) == shape }
            guard !matching.isEmpty else { return [] }
            return (0..<4096).map { matching[($0 &* 7919) % matching.count] }
        }
        func name(_ i: Int) -> String {
            let (ns, name) = cluster.name(ofService: i)
            return "\(name).\(ns).svc.cluster.local."
        }
        func reverse(_ address: IPAddress) -> String {
            guard case .v4(let a) = address else { return "" }
            return "\(a.rawValue & 255).\(a.rawValue >> 8 & 255).\(a.rawValue >> 16 & 255).\(a.rawValue >> 24).in-addr.arpa."
        }
        let clusterIP = pick(.clusterIP)
        let headless = pick(.headless)
        var endpointIPs: [IPAddress] = []
        var endpointNames: [String] = []
        for i in headless {
            let (ns, svcName) = cluster.name(ofService: i)
            guard let id = snapshot.serviceID(namespace: ns, name: svcName) else { continue }
            for endpoint in snapshot.endpoints(of: id) where endpoint.isReady {
                endpointIPs.append(endpoint.address)
                endpointNames.append("\(endpoint.name(usingPodNames: false)).\(name(i))")
                break
            }
        }
        let clusterIPs = clusterIP.compactMap { i -> IPAddress? in
            let (ns, svcName) = cluster.name(ofService: i)
            return snapshot.service(namespace: ns, name: svcName)?.clusterIPs.ipv4.map(IPAddress.v4)
        }
        return [
            Workload(kind: "ClusterIP A", packets: try clusterIP.map { try KubernetesHarness.packet(name($0), .a) }, expect: .noError),
            Workload(kind: "headless A", packets: try headless.map { try KubernetesHarness.packet(name($0), .a) }, expect: .noError),
            Workload(kind: "SRV _http._tcp ClusterIP", packets: try clusterIP.map { try KubernetesHarness.packet("_http._tcp." + name($0), .srv) },
                     expect: .noError),
            Workload(kind: "SRV _postgres._tcp headless", packets: try headless.map { try KubernetesHarness.packet("_postgres._tcp." + name($0), .srv) },
                     expect: .noError),
            Workload(kind: "endpoint name A", packets: try endpointNames.map { try KubernetesHarness.packet($0, .a) }, expect: .noError),
            Workload(kind: "PTR cluster IP", packets: try clusterIPs.map { try KubernetesHarness.packet(reverse($0), .ptr) }, expect: .noError),
            Workload(kind: "PTR endpoint IP", packets: try endpointIPs.map { try KubernetesHarness.packet(reverse($0), .ptr) }, expect: .noError),
            Workload(kind: "NXDOMAIN", packets: try clusterIP.map { try KubernetesHarness.packet("no-" + name($0), .a) }, expect: .nameError),
            Workload(kind: "NODATA (AAAA of v4 ClusterIP)", packets: try clusterIP.map { try KubernetesHarness.packet(name($0), .aaaa) },
                     expect: .noError),
        ]
    }

    /// 10 services of every shape out of a 100-service synthetic cluster: an ExternalName, 3
    /// headless, 2 dual-stack, 4 ClusterIP, with their slices.
    static func smallCluster() -> (SyntheticCluster, ClusterSnapshot, [Int]) {
        let cluster = SyntheticCluster(services: 100, endpoints: 1000, namespaces: 1)
        let chosen = [0, 1, 2, 3, 21, 22, 31, 32, 33, 34]
        let names = Set(chosen.map { cluster.name(ofService: $0).name })
        var objects = cluster.generate()
        objects.services = objects.services.filter { names.contains($0.name) }
        objects.endpointSlices = objects.endpointSlices.filter { names.contains($0.serviceName) }
        let snapshot = ClusterSnapshot.build(sources: [ObjectSource(name: "small", objects: objects)], previous: nil)
        return (cluster, snapshot, chosen)
    }

    @Test("answer cost through the query engine at 10 and at 100 000 services, and allocations per answer")
    func lookups() throws {
        let counter = AllocationCounter()
        if counter == nil {
            print("[measure] allocations not counted: run with LD_PRELOAD of Tests/Fixtures/kubernetes/tools/malloc-counter.c (see that file)")
        }
        let (small, smallSnapshot, smallServices) = Self.smallCluster()
        var sizes = [("10 services", small, smallSnapshot, smallServices)]
        // CLUSTERDNS_MEASURE_SMALL=1 skips the large cluster (for profiling the answer path).
        if ProcessInfo.processInfo.environment["CLUSTERDNS_MEASURE_SMALL"] != "1" {
            let (large, largeSnapshot) = Self.cluster(services: 100_000, endpoints: 1_000_000)
            sizes.append(("100000 services", large, largeSnapshot, Array(0..<100_000)))
        }
        // The engine alone: a plugin that answers every query with an empty NOERROR.
        let baseline = try KubernetesHarness(snapshot: smallSnapshot, handler: EmptyAnswer())
        let packet = try KubernetesHarness.packet("svc-31.ns-0.svc.cluster.local.", .a)
        var engineSeconds = Double.infinity
        for _ in 0..<3 {
            engineSeconds = min(engineSeconds, packet.withUnsafeBytes { bytes in
                MeasuredCPU.seconds { for _ in 0..<200_000 { _ = baseline.answer(bytes) } }
            })
        }
        print(String(format: "[measure] query engine alone (parse, chain, empty answer, metrics): %.0f ns/query", engineSeconds * 1e9 / 200_000))
        for (label, cluster, snapshot, services) in sizes {
            let harness = try KubernetesHarness(snapshot: snapshot, options: "pods insecure")
            print("[measure] \(label), \(snapshot.counts.endpointAddresses) endpoint addresses:")
            for workload in try Self.workloads(cluster, snapshot, services: services) where !workload.packets.isEmpty {
                // Warm up and check every packet's answer.
                var bytes = 0
                for packet in workload.packets {
                    let n = packet.withUnsafeBytes { harness.answer($0) }
                    #expect(n > 12, "\(workload.kind): no answer")
                    #expect(Int(harness.output[3] & 0x0F) == Int(workload.expect.rawValue), "\(workload.kind): rcode")
                    bytes += n
                }
                let hooks = ThrowHooks.suspend()
                defer { hooks.restore() }
                if let counter {
                    var reported = 0
                    for packet in workload.packets where reported < 3 {
                        let before = counter.count
                        _ = packet.withUnsafeBytes { harness.answer($0) }
                        let after = counter.count
                        if after != before {
                            reported += 1
                            let name = (try? Message(parsing: packet))?.questions.first.map { "\($0)" } ?? "?"
                            let n = packet.withUnsafeBytes { harness.answer($0) }
                            let reply = (try? Message(parsing: Array(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(harness.output)[0..<n])))).map { "\($0.answers.count) answers \($0.additionals.count) additional, TC \($0.header.truncated), \(n) B" } ?? ""
                            print("[measure]     \(after - before) allocations: \(name) → \(reply)")
                        }
                    }
                }
                let rounds = 200_000
                let count = workload.packets.count
                let before = counter?.count
                // The best of three runs: the cores are shared with other work.
                var seconds = Double.infinity
                for _ in 0..<3 {
                    seconds = min(seconds, workload.packets.withUnsafeBufferPointer { packets in
                        MeasuredCPU.seconds {
                            for i in 0..<rounds {
                                _ = packets[i % count].withUnsafeBytes { harness.answer($0) }
                            }
                        }
                    })
                }
                let allocations = counter.map { Double($0.count - (before ?? 0)) / Double(3 * rounds) }
                print(String(format: "[measure]   %-32@ %6.0f ns/query, %4d B/answer, %@ allocations/query",
                             workload.kind as NSString, seconds * 1e9 / Double(rounds), bytes / count,
                             (allocations.map { String(format: "%.3f", $0) } ?? "n/a") as NSString))
                if let allocations, ProcessInfo.processInfo.environment["CLUSTERDNS_EXPECT_NO_ALLOCATIONS"] == "1" {
                    #expect(allocations == 0, "\(workload.kind): \(allocations) allocations per query")
                }
            }
        }
    }
}

/// A plugin that answers every query with an empty NOERROR: what the engine costs on its own.
final class EmptyAnswer: PluginHandler {
    func serve(_ request: Request, engine: QueryEngine) -> PluginResult {
        request.respond(rcode: .noError)
        return .answered
    }
}

/// The allocation count of Tests/Fixtures/kubernetes/tools/malloc-counter.c when it is preloaded.
struct AllocationCounter {
    let getter: @convention(c) () -> UInt

    init?() {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "clusterdns_allocation_count") else { return nil }
        getter = unsafeBitCast(symbol, to: (@convention(c) () -> UInt).self)
    }

    var count: UInt { getter() }
}

/// Swift Testing installs the runtime's throw hooks (`_swift_willThrow`,
/// `_swift_willThrowTypedImpl`) to capture a backtrace — allocating — whenever an error is
/// thrown. The response builder throws `WriterFull` internally when an RRset does not fit, so
/// under the test runner a truncated or trimmed answer would count allocations the server never
/// makes (it has no such hook). The measurement suspends the hooks while it counts.
struct ThrowHooks {
    let saved: [(UnsafeMutablePointer<UnsafeRawPointer?>, UnsafeRawPointer?)]

    static func suspend() -> ThrowHooks {
        var saved: [(UnsafeMutablePointer<UnsafeRawPointer?>, UnsafeRawPointer?)] = []
        for name in ["_swift_willThrow", "_swift_willThrowTypedImpl"] {
            guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else { continue }
            let slot = symbol.assumingMemoryBound(to: UnsafeRawPointer?.self)
            saved.append((slot, slot.pointee))
            slot.pointee = nil
        }
        return ThrowHooks(saved: saved)
    }

    func restore() { for (slot, value) in saved { slot.pointee = value } }
}

/// CPU time of the calling thread (other processes' use of the shared cores does not count).
enum MeasuredCPU {
    static func seconds(_ body: () -> Void) -> Double {
        var start = timespec()
        var end = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &start)
        body()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &end)
        return Double(end.tv_sec - start.tv_sec) + Double(end.tv_nsec - start.tv_nsec) / 1e9
    }
}

/// glibc's in-use heap bytes (what `malloc_stats` prints as "Total (incl. mmap): in use bytes"),
/// read after `malloc_trim(0)`. Glibc's Swift module exports neither `malloc_stats` nor
/// `mallinfo2`, hence `dlsym` and capturing stderr.
enum MeasuredMemory {
    static func heapInUse() -> Int? {
        if let trim = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") {
            _ = unsafeBitCast(trim, to: (@convention(c) (Int) -> Int32).self)(0)
        }
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_stats"), let capture = tmpfile() else { return nil }
        defer { fclose(capture) }
        fflush(nil)
        let saved = dup(2)
        dup2(fileno(capture), 2)
        unsafeBitCast(symbol, to: (@convention(c) () -> Void).self)()
        fflush(nil)
        dup2(saved, 2)
        close(saved)
        rewind(capture)
        var text = ""
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, Int32(line.count), capture) != nil {
            text += String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        guard let total = text.range(of: "Total (incl. mmap):") else { return nil }
        let tail = text[total.upperBound...]
        guard let inUse = tail.range(of: "in use bytes"), let equals = tail[inUse.upperBound...].firstIndex(of: "=") else { return nil }
        return Int(tail[tail.index(after: equals)...].drop { $0 == " " }.prefix { $0.isNumber })
    }
}
