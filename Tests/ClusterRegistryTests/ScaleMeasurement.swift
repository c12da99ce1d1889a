import ClusterRegistryTestSupport
import DNSWire
import Foundation
import Testing
@testable import ClusterRegistry

/// Memory and speed at 100 000 services and 1 000 000 endpoints. Prints figures; asserts only
/// correctness (no timing assertions). Enabled with CLUSTERDNS_MEASURE=1, best in a release
/// build: `CLUSTERDNS_MEASURE=1 swift test -c release -Xswiftc -enable-testing --filter ScaleMeasurement`.
@Suite("Scale measurement", .serialized, .enabled(if: ProcessInfo.processInfo.environment["CLUSTERDNS_MEASURE"] == "1"))
struct ScaleMeasurement {
    struct Reading {
        var heap: Int
        var rss: Int
        static func now() -> Reading {
            ProcessMemory.trim()
            return Reading(heap: ProcessMemory.heapInUse() ?? -1, rss: ProcessMemory.resident() ?? -1)
        }
        static func - (a: Reading, b: Reading) -> Reading { Reading(heap: a.heap - b.heap, rss: a.rss - b.rss) }
    }

    struct Built {
        var objects: Reading
        var indexes: Reading
        var buildSeconds: Double
        var snapshot: ClusterSnapshot
        var sources: [ObjectSource]
    }

    func build(services: Int, endpoints: Int, pods: Bool = false) -> Built {
        let start = Reading.now()
        let objects = SyntheticCluster(services: services, endpoints: endpoints, includePods: pods).generate()
        let generated = Reading.now()
        let sources = [ObjectSource(name: "synthetic", objects: objects)]
        var snapshot: ClusterSnapshot?
        let seconds = ThreadCPUTime.measure { snapshot = ClusterSnapshot.build(sources: sources, previous: nil) }
        let built = Reading.now()
        // `snapshot` keeps `objects` alive through its sources; nothing else holds them.
        return Built(objects: generated - start, indexes: built - generated, buildSeconds: seconds, snapshot: snapshot!, sources: sources)
    }

    static func mb(_ bytes: Int) -> String { String(format: "%.1f MB", Double(bytes) / 1_000_000) }

    @Test("bytes per service and per endpoint, snapshot build time")
    func memory() {
        let servicesOnly = build(services: 100_000, endpoints: 0)
        #expect(servicesOnly.snapshot.counts.services == 100_000)
        let perService = Double(servicesOnly.objects.heap + servicesOnly.indexes.heap) / 100_000
        print("""
            [measure] 100000 services, 0 endpoints: objects heap \(Self.mb(servicesOnly.objects.heap)) (RSS \(Self.mb(servicesOnly.objects.rss))), \
            snapshot indexes heap \(Self.mb(servicesOnly.indexes.heap)) (RSS \(Self.mb(servicesOnly.indexes.rss))), \
            build \(String(format: "%.3f", servicesOnly.buildSeconds)) s CPU → \(Int(perService)) B/service
            """)
        let serviceBytes = servicesOnly.objects.heap + servicesOnly.indexes.heap
        _ = servicesOnly.snapshot.generation

        let full = build(services: 100_000, endpoints: 1_000_000)
        #expect(full.snapshot.counts.endpointAddresses == 1_000_000)
        let total = full.objects.heap + full.indexes.heap
        let perEndpoint = Double(total - serviceBytes) / 1_000_000
        print("""
            [measure] 100000 services, 1000000 endpoints (\(full.snapshot.counts.endpointSlices) slices): \
            objects heap \(Self.mb(full.objects.heap)) (RSS \(Self.mb(full.objects.rss))), \
            snapshot indexes heap \(Self.mb(full.indexes.heap)) (RSS \(Self.mb(full.indexes.rss))), \
            build \(String(format: "%.3f", full.buildSeconds)) s CPU; total \(Self.mb(total)) = \
            \(Int(Double(total) / 1_100_000)) B/object; per endpoint (beyond the services) \(Int(perEndpoint)) B
            """)

        // A rebuild as after a file edit: the store hands over cached digests for unchanged files.
        let cached = full.sources.map { ObjectSource(name: $0.name, objects: $0.objects, digest: $0.objects.dnsDigest()) }
        let rebuild = ThreadCPUTime.measure { _ = ClusterSnapshot.build(sources: cached, previous: full.snapshot) }
        print("[measure] rebuild of 100k/1M with cached source digests: \(String(format: "%.3f", rebuild)) s CPU")
    }

    @Test("lookup cost at 10 and at 100 000 services")
    func lookups() {
        for (services, endpoints) in [(10, 100), (100_000, 1_000_000)] {
            let cluster = SyntheticCluster(services: services, endpoints: endpoints)
            let snap = ClusterSnapshot.build(sources: [ObjectSource(name: "s", objects: cluster.generate())], previous: nil)
            let queries = (0..<4096).map { i in cluster.name(ofService: (i &* 7919) % services) }
            let clusterIPs = (0..<4096).map { i in snap[ServiceID(rawValue: Int32((i &* 7919) % services))].clusterIPs.primary }
            let endpointIPs = (0..<4096).map { i in IPAddress.v4(IPv4Address(rawValue: IPv4Address(10, 128, 0, 0).rawValue + UInt32((i &* 7919) % max(1, endpoints)))) }
            let rounds = 1_000_000
            var found = 0
            let byName = ThreadCPUTime.measure {
                for i in 0..<rounds {
                    let q = queries[i & 4095]
                    if snap.serviceID(namespace: q.namespace, name: q.name) != nil { found += 1 }
                }
            }
            let byClusterIP = ThreadCPUTime.measure {
                for i in 0..<rounds {
                    if let address = clusterIPs[i & 4095], snap.serviceID(clusterIP: address) != nil { found += 1 }
                }
            }
            var endpointHits = 0
            let byEndpointIP = ThreadCPUTime.measure {
                for i in 0..<rounds where !snap.endpoints(withIP: endpointIPs[i & 4095]).isEmpty { endpointHits += 1 }
            }
            #expect(found > 0)
            func ns(_ seconds: Double) -> String { String(format: "%.0f ns", seconds * 1e9 / Double(rounds)) }
            print("[measure] \(services) services: service by name \(ns(byName)), by cluster IP \(ns(byClusterIP)), endpoint by IP \(ns(byEndpointIP)) per lookup (\(endpointHits) hits)")
        }
    }

    @Test("YAML load speed through the manifest store")
    func yamlLoad() throws {
        let dir = try TemporaryDirectory()
        var text = ""
        for i in 0..<10_000 {
            text += serviceYAML(name: "svc-\(i)", clusterIP: "10.96.\(i / 250).\(i % 250 + 1)") + "\n---\n"
            text += sliceYAML(name: "svc-\(i)-a", service: "svc-\(i)", endpoints: (0..<10).map { ("10.200.\(i / 25).\(($0 + i * 10) % 250 + 1)", "true") }) + "---\n"
        }
        try dir.write("big.yaml", text)
        var snap: ClusterState?
        let elapsed = ThreadCPUTime.measure {
            let source = ManifestDirectorySource(path: dir.path)
            snap = try? source.start()
            source.stop()
        }
        #expect(snap?.counts.services == 10_000)
        print("[measure] YAML: 10000 services + 10000 slices (100000 endpoints, \(text.utf8.count / 1_000_000) MB) loaded in \(String(format: "%.2f", elapsed)) s CPU")
    }
}
