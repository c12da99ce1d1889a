import ClusterRegistry
import DNSWire

/// What workers answer cluster names from: one `KubernetesIndex` per registry shard, published
/// as one immutable value.
///
/// A query for a service name (`<svc>.<ns>.svc.<zone>` and the names below it) hashes its
/// `[len]svc[len]ns` labels to a shard (`RegistryShard`, the same hash the registry sharded the
/// objects by) and is answered by that shard's index alone. Names that no service owns — the
/// apex, namespaces, pods, `ns.dns` — are answered by `home`, whose namespace table is the whole
/// cluster's (every shard has it) and which carries the zone's name servers and the whole
/// cluster's pod tables. A PTR question finds the shards that hold its address in `ptrRoutes`.
///
/// A registry change rebuilds the indexes of the shards it touched; the others are the same
/// tables, re-wrapped (no copy) under the new serial, so a change at 100 000 services costs a
/// shard, not the cluster. Workers see the old set or the new one, never a mixture.
public final class KubernetesIndexSet: Sendable {
    public let generation: UInt64
    public let serial: UInt32
    public let loaded: Bool
    let config: KubernetesConfig
    /// `RegistryShard.count` indexes, or one for a whole snapshot (benchmarks, tests).
    let shards: [KubernetesIndex]
    /// Answers every name that is not a service's.
    let home: KubernetesIndex
    /// Address → the shards (bit i: shard i) with a PTR record for it; nil with one shard.
    let ptrRoutes: PTRRoutes?

    init(generation: UInt64, serial: UInt32, loaded: Bool, config: KubernetesConfig, shards: [KubernetesIndex],
         home: KubernetesIndex, ptrRoutes: PTRRoutes?) {
        self.generation = generation
        self.serial = serial
        self.loaded = loaded
        self.config = config
        self.shards = shards
        self.home = home
        self.ptrRoutes = ptrRoutes
    }

    /// One index over a whole snapshot, as a set (for benchmarks and tests that build an index
    /// straight from a `ClusterSnapshot`).
    public convenience init(_ index: KubernetesIndex) {
        self.init(generation: index.generation, serial: index.serial, loaded: index.loaded, config: index.config,
                  shards: [index], home: index, ptrRoutes: nil)
    }

    /// The service whose key (`[len]svc[len]ns`, any case) is `key`: the index of its shard and
    /// its number there, or nil. One hash of the key serves both the shard and the lookup.
    @inline(__always)
    func service(key: UnsafeRawBufferPointer) -> (shard: KubernetesIndex, service: Int32)? {
        let hash = WireName.hashIgnoringCase(key)
        let shard = shards.count == 1 ? shards[0] : shards[RegistryShard.of(hash: hash)]
        guard let s = shard.service(key: key, hash: hash) else { return nil }
        return (shard, s)
    }

    /// Calls `body` with each index holding a PTR record for `address`, in shard order.
    @inline(__always)
    func forEachPTRShard(_ address: IPAddress, _ body: (KubernetesIndex) -> Void) {
        guard let ptrRoutes else {
            body(shards[0])
            return
        }
        var mask = ptrRoutes.mask(address)
        while mask != 0 {
            let s = mask.trailingZeroBitCount
            mask &= mask - 1
            body(shards[s])
        }
    }

    public var serviceCount: Int { shards.reduce(0) { $0 + $1.serviceCount } }
    public var endpointCount: Int { shards.reduce(0) { $0 + $1.endpointCount } }
    /// Octets the indexes hold.
    public var footprint: Int { shards.reduce(ptrRoutes?.footprint ?? 0) { $0 + $1.footprint } }
}

/// Which shards have a PTR record for an address: one 64-bit mask per address, IPv4 keyed by
/// its 32 bits (most cluster addresses), IPv6 by the address.
struct PTRRoutes: Sendable {
    private var v4: [UInt32: UInt64] = [:]
    private var v6: [IPv6Address: UInt64] = [:]

    @inline(__always)
    func mask(_ address: IPAddress) -> UInt64 {
        switch address {
        case .v4(let a): v4[a.rawValue] ?? 0
        case .v6(let a): v6[a] ?? 0
        }
    }

    mutating func set(_ address: IPAddress, shard: Int) {
        let bit = UInt64(1) << UInt64(shard)
        switch address {
        case .v4(let a): v4[a.rawValue, default: 0] |= bit
        case .v6(let a): v6[a, default: 0] |= bit
        }
    }

    mutating func clear(_ address: IPAddress, shard: Int) {
        let bit = ~(UInt64(1) << UInt64(shard))
        switch address {
        case .v4(let a):
            guard let m = v4[a.rawValue] else { return }
            v4[a.rawValue] = m & bit == 0 ? nil : m & bit
        case .v6(let a):
            guard let m = v6[a] else { return }
            v6[a] = m & bit == 0 ? nil : m & bit
        }
    }

    var count: Int { v4.count + v6.count }
    var footprint: Int { v4.capacity * 12 + v6.capacity * 24 }
}

extension KubernetesIndexSet {
    /// Builds sets from successive registry states on the registry's thread, rebuilding only
    /// the shards whose snapshot changed (by identity) and keeping the PTR routes current.
    /// Not thread-safe: the plugin serialises its calls.
    final class Builder {
        let config: KubernetesConfig
        private var localAddresses: [IPAddress]
        private var lastShards: [ClusterSnapshot] = []
        private var raw: [KubernetesIndex] = []
        private var routes = PTRRoutes()
        /// Shards rebuilt by the last `build` (for metrics and tests).
        private(set) var lastRebuilt = 0

        init(config: KubernetesConfig, localAddresses: [IPAddress]) {
            self.config = config
            self.localAddresses = localAddresses
        }

        func build(_ state: ClusterState, loaded: Bool, localAddresses: [IPAddress]) -> KubernetesIndexSet {
            let addressesChanged = localAddresses != self.localAddresses
            self.localAddresses = localAddresses
            var rebuilt: [Int] = []
            if raw.count != state.shards.count || addressesChanged {
                raw = []
                routes = PTRRoutes()
                lastShards = []
            }
            var next = raw
            for s in state.shards.indices {
                if s < lastShards.count, lastShards[s] === state.shards[s], s < raw.count { continue }
                let index = KubernetesIndex.build(snapshot: state.shards[s], config: config, loaded: loaded,
                                                  localAddresses: localAddresses)
                if s < raw.count {
                    raw[s].forEachPTRAddress { routes.clear($0, shard: s) }
                    next[s] = index
                } else {
                    next.append(index)
                }
                index.forEachPTRAddress { routes.set($0, shard: s) }
                rebuilt.append(s)
            }
            raw = next
            lastShards = state.shards
            lastRebuilt = rebuilt.count

            // Home: the shard whose services front this server (the zone's NS), else shard 0.
            let home = raw.firstIndex { index in index.nameServers.contains { $0.service >= 0 } } ?? 0
            var pods: KubernetesIndex.PodTables? = nil
            if config.pods == .verified {
                var tables = KubernetesIndex.PodTables()
                tables.searchPaths = raw.first?.searchPaths ?? []
                for index in raw {
                    tables.verified.formUnion(index.verifiedPods)
                    for (address, ns) in index.clientNamespaces where tables.clientNamespaces[address] == nil {
                        tables.clientNamespaces[address] = ns
                    }
                }
                pods = tables
            }
            let shards = raw.indices.map { s in
                raw[s].rewrapped(generation: state.generation, serial: state.serial, loaded: loaded, pods: s == home ? pods : nil)
            }
            return KubernetesIndexSet(
                generation: state.generation, serial: state.serial, loaded: loaded, config: config, shards: shards,
                home: shards[home], ptrRoutes: routes)
        }
    }
}
