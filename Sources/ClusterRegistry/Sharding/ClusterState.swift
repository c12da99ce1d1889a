import Dispatch
import Foundation
import Synchronization

/// The registry as its sources publish it: one immutable `ClusterSnapshot` per shard, and what
/// belongs to the whole cluster (namespaces, counts, issues, the SOA serial).
///
/// A change rebuilds only the shards it touched; every other shard is *the same object* as in
/// the previous state, so consumers (the `kubernetes` plugin's index) can see by identity what
/// to rebuild, and a state costs only its changed shards in memory while an older one is still
/// read by a worker. Namespaces are whole-cluster: every shard snapshot is built with the full
/// namespace list (declared or implied by an object in any shard), so each answers "does this
/// namespace exist" alone; when that list changes (a namespace created or emptied, which is
/// rare next to endpoint churn) every shard is rebuilt.
///
/// Consumers that want the cluster as one (`explain`, zone transfers, tests) read `merged`,
/// built once on first use and kept with the state.
public final class ClusterState: Sendable {
    public let generation: UInt64
    /// The SOA serial: the Unix time of the last DNS-relevant change, as `ClusterSnapshot.serial`.
    public let serial: UInt32
    public let loadedAt: Date
    public let counts: ObjectCounts
    public let unknownKinds: [String: Int]
    /// Every current problem: the sources' (manifest or API decoding) and the shards' own
    /// (duplicate objects).
    public let issues: [ManifestIssue]
    /// One snapshot per shard (`RegistryShard`); unchanged shards are shared with the previous state.
    public let shards: [ClusterSnapshot]
    /// Every namespace, declared or implied, sorted by name (each shard snapshot holds these).
    public let namespaces: [Namespace]
    /// Which shards were rebuilt for this state (all of them for the first).
    public let rebuiltShards: [Int]

    let contentDigest: UInt64
    let namespaceSources: [ObjectSource]
    let shardSources: [[ObjectSource]]
    let sourceIssues: [ManifestIssue]
    /// Per shard: the namespaces its objects occupy.
    let occupied: [Set<String>]
    /// Per namespace name: how many shards it occupies (names in no shard are absent).
    let occupancy: [String: Int]
    /// Namespaces declared by Namespace objects, by name (the others are implied).
    let declared: [String: Namespace]
    private let mergedCache = Mutex<ClusterSnapshot?>(nil)

    private init(
        generation: UInt64, serial: UInt32, loadedAt: Date, counts: ObjectCounts, unknownKinds: [String: Int],
        issues: [ManifestIssue], shards: [ClusterSnapshot], namespaces: [Namespace], rebuiltShards: [Int],
        contentDigest: UInt64, namespaceSources: [ObjectSource], shardSources: [[ObjectSource]],
        sourceIssues: [ManifestIssue], occupied: [Set<String>], occupancy: [String: Int], declared: [String: Namespace]
    ) {
        self.generation = generation
        self.serial = serial
        self.loadedAt = loadedAt
        self.counts = counts
        self.unknownKinds = unknownKinds
        self.issues = issues
        self.shards = shards
        self.namespaces = namespaces
        self.rebuiltShards = rebuiltShards
        self.contentDigest = contentDigest
        self.namespaceSources = namespaceSources
        self.shardSources = shardSources
        self.sourceIssues = sourceIssues
        self.occupied = occupied
        self.occupancy = occupancy
        self.declared = declared
    }

    /// The errors only (not the warnings).
    public var errors: [ManifestIssue] { issues.filter { $0.severity == .error } }

    /// True when both states answer every DNS question the same way.
    public func hasSameDNSContent(as other: ClusterState) -> Bool { contentDigest == other.contentDigest }

    /// The whole cluster as one snapshot (same generation and serial), built on first use:
    /// O(objects), for readers that walk everything rather than answer one name.
    public var merged: ClusterSnapshot {
        mergedCache.withLock { cached in
            if let cached { return cached }
            let built = SnapshotBuilder.build(
                sources: namespaceSources + shardSources.flatMap { $0 }, issues: sourceIssues, unknownKinds: unknownKinds,
                previous: nil, now: loadedAt, generation: generation, serial: serial)
            cached = built
            return built
        }
    }

    /// A state with no objects (generation 0), for a registry that has not loaded yet.
    public static func empty(now: Date = Date()) -> ClusterState {
        build(shardSources: [], namespaceSources: [], changed: nil, previous: nil, now: now, generation: 0)
    }

    /// A state of `sources` (in precedence order: later wins on duplicates), every shard built.
    public static func build(
        sources: [ObjectSource], issues: [ManifestIssue] = [], unknownKinds: [String: Int] = [:],
        previous: ClusterState?, now: Date = Date()
    ) -> ClusterState {
        var shardSources = [[ObjectSource]](repeating: [], count: RegistryShard.count)
        var namespaceSources: [ObjectSource] = []
        for source in sources {
            if !source.objects.namespaces.isEmpty {
                var namespaces = ClusterObjects()
                namespaces.namespaces = source.objects.namespaces
                namespaceSources.append(ObjectSource(name: source.name, objects: namespaces))
            }
            for (s, part) in source.objects.partitioned().enumerated() where !part.isEmpty {
                shardSources[s].append(ObjectSource(name: source.name, objects: part))
            }
        }
        return build(shardSources: shardSources, namespaceSources: namespaceSources, changed: nil, issues: issues,
                     unknownKinds: unknownKinds, previous: previous, now: now)
    }

    /// The objects of `snapshot` as a sharded state (for tests and tools that start from a
    /// whole snapshot).
    public static func build(from snapshot: ClusterSnapshot, now: Date = Date()) -> ClusterState {
        build(sources: snapshot.sources.enumerated().map { ObjectSource(name: "source#\($0.offset)", objects: $0.element) },
              previous: nil, now: now)
    }

    /// The next state: shards in `changed` (every shard when nil, or when the namespace list
    /// moved) are rebuilt from `shardSources`; the others are taken from `previous` as they are.
    ///
    /// - Parameters:
    ///   - shardSources: per shard, its objects by source in precedence order (empty sources
    ///     may be left out); `RegistryShard.count` entries, or none for an empty registry.
    ///   - namespaceSources: the Namespace objects, by source in precedence order.
    ///   - issues: the sources' own problems, carried as they are.
    /// - Complexity: O(objects of the rebuilt shards + namespaces × shards); the rebuilt shards
    ///   are built in parallel.
    public static func build(
        shardSources inputShards: [[ObjectSource]], namespaceSources: [ObjectSource], changed: Set<Int>?,
        issues inputIssues: [ManifestIssue] = [], unknownKinds: [String: Int] = [:], previous: ClusterState?,
        now: Date = Date(), generation: UInt64? = nil
    ) -> ClusterState {
        var shardSources = inputShards
        if shardSources.count < RegistryShard.count {
            shardSources += [[ObjectSource]](repeating: [], count: RegistryShard.count - shardSources.count)
        }
        var rebuild: [Int]
        if let changed, let previous, previous.shards.count == RegistryShard.count {
            rebuild = changed.sorted()
        } else {
            rebuild = Array(0..<RegistryShard.count)
        }

        // Namespaces: declared (later source wins) and implied by any shard's objects.
        var issues = inputIssues
        var declared: [String: (namespace: Namespace, source: String)] = [:]
        for source in namespaceSources {
            for namespace in source.objects.namespaces {
                if let earlier = declared[namespace.name] {
                    issues.append(ManifestIssue(
                        severity: .warning, code: .duplicateObject, file: source.name, kind: ObjectKind.namespace.rawValue,
                        name: namespace.name,
                        message: earlier.source == source.name
                            ? "defined more than once in this file; the last definition wins"
                            : "also defined in \(earlier.source); this later file wins"))
                }
                declared[namespace.name] = (namespace, source.name)
            }
        }
        // Which namespaces the objects occupy: per shard its set, and over all shards a count
        // per name, updated by the rebuilt shards alone (no pass over every shard's set).
        var occupied = previous?.occupied ?? [Set<String>](repeating: [], count: RegistryShard.count)
        var occupancy = previous?.occupancy ?? [:]
        if occupied.count != RegistryShard.count {
            occupied = [Set<String>](repeating: [], count: RegistryShard.count)
            occupancy = [:]
        }
        var occupancyMoved = previous == nil
        for s in rebuild {
            var names = Set<String>()
            for source in shardSources[s] { names.formUnion(source.objects.occupiedNamespaces) }
            guard names != occupied[s] else { continue }
            for name in occupied[s].subtracting(names) {
                let left = (occupancy[name] ?? 1) - 1
                occupancy[name] = left > 0 ? left : nil
                if left <= 0 { occupancyMoved = true }
            }
            for name in names.subtracting(occupied[s]) {
                let now = (occupancy[name] ?? 0) + 1
                occupancy[name] = now
                if now == 1 { occupancyMoved = true }
            }
            occupied[s] = names
        }
        let namespaces: [Namespace]
        let declaredNamespaces = declared.mapValues(\.namespace)
        if let previous, !occupancyMoved, declaredNamespaces == previous.declared {
            namespaces = previous.namespaces
        } else {
            var allNames = Set(declared.keys)
            allNames.formUnion(occupancy.keys)
            namespaces = allNames.sorted().map { declared[$0]?.namespace ?? Namespace(name: $0) }
        }
        var namespaceObjects = ClusterObjects()
        namespaceObjects.namespaces = namespaces
        let namespaceDigest = namespaceObjects.dnsDigest()

        // The shards: changed ones rebuilt in parallel, the rest shared. A shard holds only the
        // namespaces its own objects occupy (implied, without labels): the whole list, with the
        // declared labels, is the state's `namespaces`, held once.
        let previousShards = previous?.shards.count == RegistryShard.count ? previous?.shards : nil
        let built = ShardSlots(count: RegistryShard.count)
        let toBuild = rebuild
        let inputs = shardSources
        DispatchQueue.concurrentPerform(iterations: toBuild.count) { k in
            let s = toBuild[k]
            built.set(s, SnapshotBuilder.build(sources: inputs[s], previous: nil, now: now, generation: 0))
        }
        var shards: [ClusterSnapshot] = []
        shards.reserveCapacity(RegistryShard.count)
        for s in 0..<RegistryShard.count {
            if let shard = built.get(s) ?? previousShards?[s] {
                shards.append(shard)
            } else {
                shards.append(SnapshotBuilder.build(sources: shardSources[s], previous: nil, now: now, generation: 0))
            }
        }

        var counts = ObjectCounts()
        var hasher = Hasher()
        hasher.combine(namespaceDigest)
        for shard in shards {
            counts.services += shard.counts.services
            counts.endpointSlices += shard.counts.endpointSlices
            counts.endpoints += shard.counts.endpoints
            counts.pods += shard.counts.pods
            counts.endpointAddresses += shard.counts.endpointAddresses
            hasher.combine(shard.contentDigest)
            issues.append(contentsOf: shard.issues)
        }
        counts.namespaces = namespaces.count
        counts.impliedNamespaces = namespaces.count - declared.count
        let digest = UInt64(bitPattern: Int64(hasher.finalize()))
        let serial = SnapshotBuilder.nextSerial(previousSerial: previous?.serial, sameContent: previous?.contentDigest == digest, now: now)
        return ClusterState(
            generation: generation ?? ((previous?.generation ?? 0) + 1), serial: serial, loadedAt: now, counts: counts,
            unknownKinds: unknownKinds, issues: issues, shards: shards, namespaces: namespaces, rebuiltShards: rebuild,
            contentDigest: digest, namespaceSources: namespaceSources, shardSources: shardSources, sourceIssues: inputIssues,
            occupied: occupied, occupancy: occupancy, declared: declaredNamespaces)
    }
}

/// Write-once slots filled by `concurrentPerform`'s threads, one slot per shard.
private final class ShardSlots: Sendable {
    // Each slot is written by one iteration and read after `concurrentPerform` returned; the
    // mutex (64 uncontended locks per state) keeps that within Swift's concurrency checking.
    private let slots: Mutex<[ClusterSnapshot?]>

    init(count: Int) { slots = Mutex([ClusterSnapshot?](repeating: nil, count: count)) }

    func set(_ index: Int, _ value: ClusterSnapshot) { slots.withLock { $0[index] = value } }
    func get(_ index: Int) -> ClusterSnapshot? { slots.withLock { $0[index] } }
}

// MARK: - Whole-cluster reads

extension ClusterState {
    /// The service named `name` in `namespace` (case-insensitive), from its shard alone.
    public func service(namespace: String, name: String) -> Service? {
        let ns = ClusterSnapshot.lowercased(namespace)
        let n = ClusterSnapshot.lowercased(name)
        return shards[RegistryShard.of(namespace: ns, service: n)].service(namespace: ns, name: n)
    }

    /// True when the namespace is declared or holds an object.
    public func namespaceExists(_ name: String) -> Bool { namespaceObject(named: ClusterSnapshot.lowercased(name)) != nil }

    /// The namespace object named `name` (declared, or implied without labels), by binary
    /// search of the sorted list.
    public func namespaceObject(named name: String) -> Namespace? {
        var low = 0
        var high = namespaces.count
        while low < high {
            let mid = (low + high) / 2
            if namespaces[mid].name < name { low = mid + 1 } else { high = mid }
        }
        return low < namespaces.count && namespaces[low].name == name ? namespaces[low] : nil
    }

    /// Every service, sorted by namespace then name (through `merged`).
    public var services: ServiceList { merged.services }
    public var pods: PodList { merged.pods }
    /// Through `merged`: its `NamespaceInfo` ranges index `merged.services`.
    public func namespace(named name: String) -> NamespaceInfo? { merged.namespace(named: name) }
    public func endpoints(of id: ServiceID) -> ServiceEndpoints { merged.endpoints(of: id) }
    public func serviceID(namespace: String, name: String) -> ServiceID? { merged.serviceID(namespace: namespace, name: name) }
    public func pod(namespace: String, name: String) -> Pod? { merged.pod(namespace: namespace, name: name) }
}
