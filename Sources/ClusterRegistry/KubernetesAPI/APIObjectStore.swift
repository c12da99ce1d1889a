import Foundation
import Yams

/// Every object an API source has seen, stripped, keyed by identity, with the resourceVersion
/// it had when it was decoded.
///
/// - **Unchanged objects are not decoded again.** An upsert whose resourceVersion equals the
///   stored one only marks the entry seen: a relist of an unchanged cluster costs the JSON
///   parse and nothing more (the idea of kubernetes/kubernetes#136220, on compact entries).
/// - **Relists sweep.** A list runs in a generation of its resource; at its end every entry of
///   that resource not seen in the generation is deleted. Nothing is ever held twice: there is
///   no temporary store to swap in.
/// - **Sharded as the registry is.** Objects live in the `RegistryShard` of the service they
///   belong to (Namespaces apart); each shard's `ObjectSource` (with its DNS digest) is rebuilt
///   only after it changed, and the shards changed since the last publication are handed to
///   `ClusterState`, so a publication after one event rebuilds one shard, not the cluster.
/// - **Last good state.** An object the decoder rejects keeps its previous version, and the
///   problem is reported (once, until the object changes or goes).
///
/// Owned by `KubernetesAPISource`, which serialises every call under its lock.
final class APIObjectStore {
    static let shardCount = RegistryShard.count

    struct Entry {
        var version: String
        var object: ClusterObject
        var generation: UInt32
    }

    private struct Shard {
        var entries: [ObjectIdentity: Entry] = [:]
        var dirty = true
        var source: ObjectSource?
    }

    private var shards = [Shard](repeating: Shard(), count: APIObjectStore.shardCount)
    /// Namespaces are not sharded.
    private var namespaceShard = Shard()
    /// Shards changed since `takeChangedShards()`; nil before the first publication (all).
    private var changedShards: Set<Int>? = nil
    private var generations: [ObjectKind: UInt32] = [:]
    /// Objects the decoder rejected, with their issue (the previous version, if any, still serves).
    private(set) var rejected: [ObjectIdentity: ManifestIssue] = [:]
    private var interner = StringInterner()
    private var upsertsSinceCheck = 0
    private let origin: String

    init(origin: String) {
        self.origin = origin
    }

    /// The shard an object of `kind` named by `node` belongs in (`RegistryShard`), read from the
    /// node without decoding it; -1 for a Namespace.
    private static func shard(of node: ManifestValue, kind: ObjectKind, namespace: String, name: String) -> Int {
        switch kind {
        case .namespace:
            return -1
        case .service, .endpoints:
            return RegistryShard.of(namespace: namespace, service: name)
        case .endpointSlice:
            let service = node.member("metadata")?.member("labels")?.member(EndpointSlice.serviceNameLabel)?.text ?? ""
            return RegistryShard.of(namespace: namespace, service: service)
        case .pod:
            let spec = node.member("spec")
            if spec?.member("hostname")?.text != nil, let subdomain = spec?.member("subdomain")?.text {
                return RegistryShard.of(namespace: namespace, service: subdomain)
            }
            return RegistryShard.of(namespace: namespace, service: name)
        }
    }

    private static func shard(of object: ClusterObject) -> Int { RegistryShard.of(object) ?? -1 }

    /// Where `identity` is stored: `hint` first, then every shard (an object whose service
    /// changed, which the API allows for an EndpointSlice's label).
    private func locate(_ identity: ObjectIdentity, hint: Int) -> Int? {
        if self[shard: hint].entries[identity] != nil { return hint }
        guard identity.kind != .namespace else { return nil }
        return shards.indices.first { shards[$0].entries[identity] != nil }
    }

    private subscript(shard s: Int) -> Shard {
        get { s < 0 ? namespaceShard : shards[s] }
        _modify {
            if s < 0 { yield &namespaceShard } else { yield &shards[s] }
        }
    }

    private func markChanged(_ s: Int) {
        self[shard: s].dirty = true
        if s >= 0 { changedShards?.insert(s) }
    }

    /// The shards changed since the last call (nil: all, before the first call).
    func takeChangedShards() -> Set<Int>? {
        defer { changedShards = [] }
        return changedShards
    }

    var count: Int { shards.reduce(namespaceShard.entries.count) { $0 + $1.entries.count } }

    /// What an upsert did.
    enum Change: Equatable { case unchanged, stored, rejected }

    /// Starts a relist of `kind`: entries not upserted before `finishRelist(kind)` are deleted then.
    func beginRelist(_ kind: ObjectKind) {
        generations[kind, default: 0] &+= 1
    }

    /// Deletes every entry of `kind` not seen since `beginRelist(kind)`. Returns how many.
    @discardableResult
    func finishRelist(_ kind: ObjectKind) -> Int {
        let generation = generations[kind, default: 0]
        var removed = 0
        for s in -1..<shards.count {
            let stale = self[shard: s].entries.filter { $0.key.kind == kind && $0.value.generation != generation }
            guard !stale.isEmpty else { continue }
            for key in stale.keys {
                self[shard: s].entries[key] = nil
                rejected[key] = nil
            }
            markChanged(s)
            removed += stale.count
        }
        rejected = rejected.filter { $0.key.kind != kind || isSeen($0.key, generation) }
        return removed
    }

    private func isSeen(_ identity: ObjectIdentity, _ generation: UInt32) -> Bool {
        guard let s = locate(identity, hint: identity.kind == .namespace ? -1 : 0) else { return false }
        return self[shard: s].entries[identity]?.generation == generation
    }

    /// Stores the object `node` (an item of a list of `kind`, or a watch event's object).
    func upsert(_ node: ManifestValue, kind: ObjectKind) -> Change {
        let generation = generations[kind, default: 0]
        let metadata = node.member("metadata")
        let version = metadata?.member("resourceVersion")?.text ?? ""
        if let name = metadata?.member("name")?.text {
            let namespace = kind.isNamespaced ? (metadata?.member("namespace")?.text ?? "default") : ""
            let identity = ObjectIdentity(kind: kind, namespace: namespace, name: name)
            let s = Self.shard(of: node, kind: kind, namespace: namespace, name: name)
            if !version.isEmpty, let existing = self[shard: s].entries[identity], existing.version == version {
                self[shard: s].entries[identity]?.generation = generation
                return .unchanged
            }
        }
        boundInterner()
        let decoder = ManifestDecoder(interner: interner)
        let decoded = decoder.decodeAPIObject(node, kind: kind, origin: origin)
        guard let object = decoded.object else {
            if let issue = decoded.issues.first(where: { $0.severity == .error }),
               let name = issue.name {
                let identity = ObjectIdentity(kind: kind, namespace: kind.isNamespaced ? (issue.namespace ?? "default") : "", name: name)
                var kept = issue
                if let s = locate(identity, hint: Self.shard(of: node, kind: kind, namespace: identity.namespace, name: name)) {
                    kept.keptPreviousVersion = true
                    // Keep the last good version alive through the relist sweep.
                    self[shard: s].entries[identity]?.generation = generation
                } else {
                    kept.keptPreviousVersion = false
                }
                rejected[identity] = kept
            }
            return .rejected
        }
        let identity = object.identity
        let s = Self.shard(of: object)
        if let old = locate(identity, hint: s), old != s {
            self[shard: old].entries[identity] = nil
            markChanged(old)
        }
        self[shard: s].entries[identity] = Entry(version: version, object: object, generation: generation)
        markChanged(s)
        rejected[identity] = nil
        return .stored
    }

    /// Starts a fresh interner when the current one holds far more values than there are
    /// objects (it only grows; under pod churn it would keep every name ever seen). Checked
    /// every 1 024 decodes.
    private func boundInterner() {
        upsertsSinceCheck += 1
        guard upsertsSinceCheck >= 1024 else { return }
        upsertsSinceCheck = 0
        if interner.count > max(StringInterner.floor, 3 * count) { interner = StringInterner() }
    }

    /// Removes the object `node` names. Returns false when it was not stored.
    @discardableResult
    func delete(_ node: ManifestValue, kind: ObjectKind) -> Bool {
        guard let metadata = node.member("metadata"), let name = metadata.member("name")?.text else { return false }
        let namespace = kind.isNamespaced ? (metadata.member("namespace")?.text ?? "default") : ""
        let identity = ObjectIdentity(kind: kind, namespace: namespace, name: name)
        rejected[identity] = nil
        guard let s = locate(identity, hint: Self.shard(of: node, kind: kind, namespace: namespace, name: name)) else { return false }
        self[shard: s].entries[identity] = nil
        markChanged(s)
        return true
    }

    /// The stored object, for tests and `explain`.
    func object(_ identity: ObjectIdentity) -> ClusterObject? {
        for s in -1..<shards.count { if let entry = self[shard: s].entries[identity] { return entry.object } }
        return nil
    }

    /// True when some shard changed since the last `sources()`.
    var isDirty: Bool { namespaceShard.dirty || shards.contains { $0.dirty } }

    /// One `ObjectSource` per shard, rebuilding only the shards that changed.
    func shardSources() -> [[ObjectSource]] {
        (0..<shards.count).map { s in [source(ofShard: s)] }
    }

    /// The Namespace objects.
    func namespaceSources() -> [ObjectSource] { [source(ofShard: -1)] }

    /// Every object, one source per shard (for a whole-cluster snapshot).
    func sources() -> [ObjectSource] {
        (-1..<shards.count).map { source(ofShard: $0) }
    }

    private func source(ofShard s: Int) -> ObjectSource {
        if self[shard: s].dirty || self[shard: s].source == nil {
            var objects = ClusterObjects()
            for identity in self[shard: s].entries.keys.sorted() {
                if let entry = self[shard: s].entries[identity] { objects.append(entry.object) }
            }
            self[shard: s].source = ObjectSource(name: s < 0 ? "\(origin)#namespaces" : "\(origin)#\(s)", objects: objects, digest: objects.dnsDigest())
            self[shard: s].dirty = false
        }
        return self[shard: s].source ?? ObjectSource(name: origin, objects: ClusterObjects())
    }

    /// Current decoding problems, sorted by object.
    var issues: [ManifestIssue] {
        rejected.sorted { $0.key < $1.key }.map(\.value)
    }
}
