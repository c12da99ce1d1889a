import ClusterRegistry
import ClusterRegistryTestSupport
import DNSWire
import Plugins

/// The kubernetes plugin behind `cache`, as the stock kubeadm Corefiles put it: the newer one
/// (kubeadm ≥ 1.32: `cache 30 { disable success cluster.local; disable denial cluster.local }`,
/// so every cluster query runs the kubernetes plugin and the cache's response hook) and the older
/// bare `cache 30` (cluster answers cached: after the first query, every one is a hit). Same
/// synthetic cluster as `KubernetesBenchmarks`; compare with `k8sClusterIPA` and `k8sNXDOMAIN`
/// (the plugin alone) for what the cache adds.
enum ChainBenchmarks {
    static let all: [Benchmark] = [kubeadmCacheClusterIPA, kubeadmCacheNXDOMAIN, kubeadmCacheSRVHeadless, cache30HitClusterIPA]

    static func cache(disablingCluster: Bool) -> (name: String, handler: any PluginHandler) {
        let tier = { (capacity: Int) in CacheConfig.Tier(capacity: capacity, maxTTL: 30, minTTL: CacheConfig.defaultMinTTL) }
        let cluster = disablingCluster ? [(try? DomainName("cluster.local.")) ?? .root] : []
        let config = CacheConfig(success: tier(CacheConfig.defaultCapacity), denial: tier(CacheConfig.defaultCapacity),
                                 disabledSuccess: cluster, disabledDenial: cluster)
        let handler = CachePlugin(config: config, serverLabel: "dns://:53").makeHandler(worker: WorkerContext(index: 0, workerCount: 1))
        Fixtures.require(handler != nil, "the cache plugin makes a handler")
        return ("cache", handler ?? KubernetesBenchmarks.EmptyAnswer())
    }

    static let kubeadmCacheClusterIPA = Benchmark(
        "kubeadmCacheClusterIPA", "kubeadm Corefile (cache 30, cluster.local disabled) + kubernetes: A of a ClusterIP service (target: 0 mallocs)"
    ) { let s = KubernetesBenchmarks.Setup(front: [cache(disablingCluster: true)]); return s.body(s.first(.clusterIP).name, .a) }

    static let kubeadmCacheNXDOMAIN = Benchmark(
        "kubeadmCacheNXDOMAIN", "kubeadm Corefile (cache 30, cluster.local disabled) + kubernetes: NXDOMAIN with SOA (target: 0 mallocs)"
    ) {
        let s = KubernetesBenchmarks.Setup(front: [cache(disablingCluster: true)])
        return s.body("no-" + s.first(.clusterIP).name, .a, rcode: .nameError, answers: false)
    }

    static let kubeadmCacheSRVHeadless = Benchmark(
        "kubeadmCacheSRVHeadless", "kubeadm Corefile (cache 30, cluster.local disabled) + kubernetes: SRV of a headless service (target: 0 mallocs)"
    ) { let s = KubernetesBenchmarks.Setup(front: [cache(disablingCluster: true)]); return s.body("_postgres._tcp." + s.first(.headless).name, .srv) }

    static let cache30HitClusterIPA = Benchmark(
        "cache30HitClusterIPA", "older kubeadm Corefile (bare cache 30) + kubernetes: A of a ClusterIP service, a cache hit (target: 0 mallocs)"
    ) { let s = KubernetesBenchmarks.Setup(front: [cache(disablingCluster: false)]); return s.body(s.first(.clusterIP).name, .a) }
}
