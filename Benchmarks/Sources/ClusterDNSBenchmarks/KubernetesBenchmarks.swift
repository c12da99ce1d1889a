import ClusterRegistry
import ClusterRegistryTestSupport
import DNSWire
import Foundation
import Plugins

/// The `kubernetes` plugin answering through the real query engine, as a worker runs it: a
/// prebuilt query packet in, a whole response out, over a synthetic cluster of 10 000 services
/// and 100 000 endpoint addresses. Every answer from memory must allocate nothing. The figures
/// include the engine (query parsing, chain, response finishing, per-worker metrics); `emptyAnswer`
/// measures that part alone. At-scale figures (100 000 services, cold caches) are in
/// Docs/kubernetes.md, from Tests/PluginsTests/kubernetes/KubernetesScaleMeasurement.swift.
enum KubernetesBenchmarks {
    static let all: [Benchmark] = [
        emptyAnswer, k8sClusterIPA, k8sHeadlessA, k8sSRVClusterIP, k8sSRVHeadless, k8sEndpointA, k8sPTRClusterIP,
        k8sPTREndpoint, k8sNXDOMAIN, k8sNODATA,
    ]

    /// One engine answering on a single worker, with `handler` (the plugin's, by default) as
    /// its only plugin, over the synthetic cluster.
    final class Setup {
        let engine: QueryEngine
        let output = UnsafeMutableRawBufferPointer.allocate(byteCount: 65_535, alignment: 16)
        let route = Route(transport: .udp, peerAddress: .v4(IPv4Address(127, 0, 0, 1)), peerPort: 40_000,
                          localAddress: .v4(IPv4Address(127, 0, 0, 1)), localPort: 53)
        let cluster: SyntheticCluster
        let snapshot: ClusterSnapshot

        /// - Parameters:
        ///   - replacement: the only plugin instead of kubernetes.
        ///   - front: plugins in front of kubernetes (the chain order), e.g. `cache`.
        init(handler replacement: (any PluginHandler)? = nil, front: [(name: String, handler: any PluginHandler)] = []) {
            cluster = SyntheticCluster(services: 10_000, endpoints: 100_000)
            snapshot = ClusterSnapshot.build(sources: [ObjectSource(name: "synthetic", objects: cluster.generate())], previous: nil)
            let zones = ["cluster.local.", "in-addr.arpa.", "ip6.arpa."].compactMap { try? DomainName($0) }
            guard var config = KubernetesConfig(zones: zones, manifests: "/unused") else {
                Fixtures.require(false, "kubernetes configuration")
                exit(3)
            }
            config.pods = .insecure
            let plugin = KubernetesPlugin(config: config)
            plugin.indexes.publish(KubernetesIndexSet(KubernetesIndex.build(snapshot: snapshot, config: config, loaded: true, localAddresses: [])))
            let worker = WorkerContext(index: 0, workerCount: 1)
            let handler = replacement ?? plugin.makeHandler(worker: worker)
            Fixtures.require(handler != nil, "the kubernetes plugin makes a handler")
            let chain = ChainRuntime(zones: [.root], serverLabel: "dns://:53", names: front.map(\.name) + ["kubernetes"],
                                     handlers: front.map(\.handler) + (handler.map { [$0] } ?? []))
            var table = ZoneTable()
            table.add(zone: .root, chain: chain)
            engine = QueryEngine(worker: worker, ports: [(53, table)])
        }

        /// The name of the first service of `shape`, and its first ready endpoint.
        func first(_ shape: SyntheticCluster.Shape) -> (name: String, endpoint: ServiceEndpoint?) {
            for i in 0..<cluster.services where SyntheticCluster.shape(of: i) == shape {
                let (namespace, name) = cluster.name(ofService: i)
                guard let id = snapshot.serviceID(namespace: namespace, name: name) else { continue }
                let endpoint = snapshot.endpoints(of: id).first { $0.isReady }
                if endpoint != nil || shape == .clusterIP || shape == .dualStack { return ("\(name).\(namespace).svc.cluster.local.", endpoint) }
            }
            Fixtures.require(false, "a service of shape \(shape)")
            return ("", nil)
        }

        /// A body answering `name`/`type`, checked once in the setup for `rcode` and answers.
        func body(_ name: String, _ type: RecordType, rcode: ResponseCode = .noError, answers: Bool = true) -> () -> Void {
            let query = Message.query(id: 0x2B67, name: (try? DomainName(name)) ?? .root, type: type, edns: EDNS())
            let packet = Fixtures.stable(query.encoded() ?? [])
            var length = 0
            if case .reply(let n) = engine.handle(packet: packet, route: route, output: output) { length = n }
            let reply = try? Message(parsing: Array(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(output)[0..<length])))
            Fixtures.require(reply?.rcode == rcode, "\(name) \(type): rcode \(String(describing: reply?.rcode)), expected \(rcode)")
            Fixtures.require((reply?.answers.isEmpty == false) == answers, "\(name) \(type): answers \(reply?.answers.count ?? -1)")
            let engine = engine, route = route, output = output
            return { blackHole(engine.handle(packet: packet, route: route, output: output)) }
        }

        static func reverse(_ address: IPAddress) -> String {
            guard case .v4(let a) = address else { return "" }
            return "\(a.rawValue & 255).\(a.rawValue >> 8 & 255).\(a.rawValue >> 16 & 255).\(a.rawValue >> 24).in-addr.arpa."
        }
    }

    /// A plugin that answers every query with an empty NOERROR.
    final class EmptyAnswer: PluginHandler {
        func serve(_ request: Request, engine: QueryEngine) -> PluginResult {
            request.respond(rcode: .noError)
            return .answered
        }
    }

    static let emptyAnswer = Benchmark(
        "emptyAnswer", "The query engine alone: parse, one plugin answering an empty NOERROR, finish, metrics (target: 0 mallocs)"
    ) {
        let setup = Setup(handler: EmptyAnswer())
        return setup.body("svc-31.ns-31.svc.cluster.local.", .a, answers: false)
    }

    static let k8sClusterIPA = Benchmark(
        "k8sClusterIPA", "kubernetes: A of a ClusterIP service, 10k services (target: 0 mallocs)"
    ) { let s = Setup(); return s.body(s.first(.clusterIP).name, .a) }

    static let k8sHeadlessA = Benchmark(
        "k8sHeadlessA", "kubernetes: A of a headless service (its ready endpoints), 10k services (target: 0 mallocs)"
    ) { let s = Setup(); return s.body(s.first(.headless).name, .a) }

    static let k8sSRVClusterIP = Benchmark(
        "k8sSRVClusterIP", "kubernetes: _http._tcp SRV of a ClusterIP service with its A in additional (target: 0 mallocs)"
    ) { let s = Setup(); return s.body("_http._tcp." + s.first(.clusterIP).name, .srv) }

    static let k8sSRVHeadless = Benchmark(
        "k8sSRVHeadless", "kubernetes: _postgres._tcp SRV of a headless service, one per endpoint, A in additional (target: 0 mallocs)"
    ) { let s = Setup(); return s.body("_postgres._tcp." + s.first(.headless).name, .srv) }

    static let k8sEndpointA = Benchmark(
        "k8sEndpointA", "kubernetes: A of an endpoint name <hostname>.<svc>.<ns>.svc (target: 0 mallocs)"
    ) {
        let s = Setup()
        let (name, endpoint) = s.first(.headless)
        return s.body("\(endpoint?.name(usingPodNames: false) ?? "none").\(name)", .a)
    }

    static let k8sPTRClusterIP = Benchmark(
        "k8sPTRClusterIP", "kubernetes: PTR of a cluster IP (target: 0 mallocs)"
    ) {
        let s = Setup()
        let (name, _) = s.first(.clusterIP)
        let labels = name.split(separator: ".")
        let ip = s.snapshot.service(namespace: String(labels[1]), name: String(labels[0]))?.clusterIPs.ipv4
        return s.body(Setup.reverse(.v4(ip ?? IPv4Address(rawValue: 0))), .ptr)
    }

    static let k8sPTREndpoint = Benchmark(
        "k8sPTREndpoint", "kubernetes: PTR of a ready endpoint address (target: 0 mallocs)"
    ) {
        let s = Setup()
        let endpoint = s.first(.headless).endpoint
        return s.body(Setup.reverse(endpoint?.address ?? .v4(IPv4Address(rawValue: 0))), .ptr)
    }

    static let k8sNXDOMAIN = Benchmark(
        "k8sNXDOMAIN", "kubernetes: NXDOMAIN with the SOA for a missing service, the commonest answer of a search path (target: 0 mallocs)"
    ) { let s = Setup(); return s.body("no-" + s.first(.clusterIP).name, .a, rcode: .nameError, answers: false) }

    static let k8sNODATA = Benchmark(
        "k8sNODATA", "kubernetes: NODATA with the SOA, AAAA of an IPv4-only service (target: 0 mallocs)"
    ) { let s = Setup(); return s.body(s.first(.clusterIP).name, .aaaa, answers: false) }
}
