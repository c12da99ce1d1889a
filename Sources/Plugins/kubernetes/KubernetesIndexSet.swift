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

    /// The set a server publishes for `state`: one index per registry shard and the PTR routes,
    /// built as the plugin builds it (for benchmarks and tools that start from a `ClusterState`).
    public static func build(_ state: ClusterState, config: KubernetesConfig, localAddresses: [IPAddress] = []) -> KubernetesIndexSet {
        Builder(config: config, localAddresses: localAddresses).build(state, loaded: true, localAddresses: localAddresses)
    }

    public var serviceCount: Int { shards.reduce(0) { $0 + $1.serviceCount } }
    public var endpointCount: Int { shards.reduce(0) { $0 + $1.endpointCount } }
    /// Octets the indexes hold.
    public var footprint: Int { shards.reduce(ptrRoutes?.footprint ?? 0) { $0 + $1.footprint } }
}

/// Which shards may have a PTR record for an address: a table of 64-bit shard masks indexed by
/// a hash of the address. Addresses in one bucket share their masks (a shard asked in vain
/// answers nothing), so a question probes the shards of about `addresses / buckets` addresses.
///
/// Its size is a trade between that and the cost of a change: a published set shares the table
/// with the builder, so every change copies it whole. An address-keyed dictionary (exact, no
/// vain probes) made that copy most of a change's time at 100 000 services (400 000 addresses);
/// so does a table sized for one address per bucket (16 MiB of fresh pages per change). The
/// table grows to at most 2^17 buckets (1 MiB, a quarter of a millisecond to copy): about three
/// addresses per bucket at 100 000 services, one or two shard probes more per PTR question,
/// and PTR questions are a small part of cluster traffic.
struct PTRRoutes: Sendable {
    private var masks: [UInt64]
    private var shift: UInt64

    /// A table of `1 << bits` buckets.
    init(bits: Int = 12) {
        masks = [UInt64](repeating: 0, count: 1 << bits)
        shift = UInt64(64 - bits)
    }

    var buckets: Int { masks.count }

    /// Table size for `addresses` addresses: about two per bucket, between 2^12 and 2^17 buckets.
    static func bits(forAddresses addresses: Int) -> Int {
        var bits = 12
        while (1 << bits) < addresses / 2 && bits < 17 { bits += 1 }
        return bits
    }

    @inline(__always)
    private func bucket(_ address: IPAddress) -> Int {
        Int(truncatingIfNeeded: (address.probeHash &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    @inline(__always)
    func mask(_ address: IPAddress) -> UInt64 { masks[bucket(address)] }

    mutating func set(_ address: IPAddress, shard: Int) {
        masks[bucket(address)] |= UInt64(1) << UInt64(shard)
    }

    /// Clears the bits of `shards` (a mask) in every bucket.
    mutating func clear(shards: UInt64) {
        let keep = ~shards
        masks.withUnsafeMutableBufferPointer { masks in
            for i in masks.indices { masks[i] &= keep }
        }
    }

    var footprint: Int { masks.capacity * MemoryLayout<UInt64>.stride }
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
        private var directory: NamespaceDirectory?
        /// Shards rebuilt by the last `build` (for metrics and tests).
        private(set) var lastRebuilt = 0

        init(config: KubernetesConfig, localAddresses: [IPAddress]) {
            self.config = config
            self.localAddresses = localAddresses
        }

        /// Takes `state`'s shards as the ones the current indexes stand for, when its DNS content
        /// equals the last built state's (the caller keeps the published set). Without this the
        /// builder would hold the replaced shard snapshots — and through them every object they
        /// were built from — until the next real change.
        func adopt(_ state: ClusterState) {
            guard lastShards.count == state.shards.count else { return }
            for s in state.shards.indices where lastShards[s] !== state.shards[s] {
                guard lastShards[s].hasSameDNSContent(as: state.shards[s]) else { return }
            }
            lastShards = state.shards
        }

        func build(_ state: ClusterState, loaded: Bool, localAddresses: [IPAddress]) -> KubernetesIndexSet {
            let addressesChanged = localAddresses != self.localAddresses
            self.localAddresses = localAddresses
            var rebuilt: [Int] = []
            // The namespace directory follows the state's list. Shards keep their indexes when it
            // moves, unless what they hold depends on it: exposure by namespace labels, or pod
            // tables keyed by namespace number (`pods verified`).
            if directory?.source != state.namespaces {
                let next = NamespaceDirectory(state.namespaces, config: config)
                let dependent = config.pods == .verified || config.namespaceLabels != nil
                if dependent, let previous = directory, previous.numbers != next.numbers || config.namespaceLabels != nil {
                    lastShards = []
                }
                directory = next
            }
            let directory = self.directory ?? NamespaceDirectory(state.namespaces, config: config)
            if raw.count != state.shards.count || addressesChanged {
                raw = []
                routes = PTRRoutes()
                lastShards = []
            }
            var next = raw
            var rebuiltMask: UInt64 = 0
            for s in state.shards.indices {
                // A shard rebuilt with the same DNS content (re-decoded objects, a node name
                // changed) keeps its index: it would answer every question the same way.
                if s < lastShards.count, s < raw.count,
                   lastShards[s] === state.shards[s] || lastShards[s].hasSameDNSContent(as: state.shards[s]) { continue }
                let index = KubernetesIndex.build(snapshot: state.shards[s], config: config, loaded: loaded,
                                                  localAddresses: localAddresses, directory: directory)
                if s < raw.count { next[s] = index } else { next.append(index) }
                rebuilt.append(s)
                rebuiltMask |= UInt64(1) << UInt64(s & 63)
            }
            // PTR routes: refilled from every shard when the table is too small for the cluster
            // (or on the first build), else only the rebuilt shards' bits are redone.
            let addresses = next.reduce(0) { $0 + $1.ptrAddressCount }
            let bits = PTRRoutes.bits(forAddresses: addresses)
            if routes.buckets != 1 << bits || next.count != raw.count || rebuilt.count == next.count {
                routes = PTRRoutes(bits: bits)
                for (s, index) in next.enumerated() { index.forEachPTRAddress { routes.set($0, shard: s) } }
            } else if !rebuilt.isEmpty {
                routes.clear(shards: rebuiltMask)
                for s in rebuilt { next[s].forEachPTRAddress { routes.set($0, shard: s) } }
            }
            raw = next
            lastShards = state.shards
            lastRebuilt = rebuilt.count

            // Home: the shard whose services front this server (the zone's NS), else shard 0.
            let home = raw.firstIndex { index in index.nameServers.contains { $0.service >= 0 } } ?? 0
            var pods: KubernetesIndex.PodTables? = nil
            if config.pods == .verified {
                var tables = KubernetesIndex.PodTables()
                tables.searchPaths = directory.searchPaths
                for index in raw {
                    tables.verified.formUnion(index.verifiedPods)
                    for (address, ns) in index.clientNamespaces where tables.clientNamespaces[address] == nil {
                        tables.clientNamespaces[address] = ns
                    }
                }
                pods = tables
            }
            let shards = raw.indices.map { s in
                raw[s].rewrapped(generation: state.generation, serial: state.serial, loaded: loaded, namespaces: directory.table,
                                 pods: s == home ? pods : nil)
            }
            return KubernetesIndexSet(
                generation: state.generation, serial: state.serial, loaded: loaded, config: config, shards: shards,
                home: shards[home], ptrRoutes: routes)
        }
    }
}
