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
/// - **Sharded.** Objects are spread over `shardCount` shards by a hash of their identity; each
///   shard's `ObjectSource` (with its DNS digest) is rebuilt only after it changed, so a
///   snapshot after one event re-reads one shard, not the cluster.
/// - **Last good state.** An object the decoder rejects keeps its previous version, and the
///   problem is reported (once, until the object changes or goes).
///
/// Owned by `KubernetesAPISource`, which serialises every call under its lock.
final class APIObjectStore {
    static let shardCount = 64

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
    private var generations: [ObjectKind: UInt32] = [:]
    /// Objects the decoder rejected, with their issue (the previous version, if any, still serves).
    private(set) var rejected: [ObjectIdentity: ManifestIssue] = [:]
    private let interner = StringInterner()
    private let origin: String

    init(origin: String) {
        self.origin = origin
    }

    private static func shard(of identity: ObjectIdentity) -> Int {
        var hasher = Hasher()
        hasher.combine(identity)
        return Int(UInt(bitPattern: hasher.finalize()) % UInt(shardCount))
    }

    var count: Int { shards.reduce(0) { $0 + $1.entries.count } }

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
        for s in shards.indices {
            let stale = shards[s].entries.filter { $0.key.kind == kind && $0.value.generation != generation }
            guard !stale.isEmpty else { continue }
            for key in stale.keys {
                shards[s].entries[key] = nil
                rejected[key] = nil
            }
            shards[s].dirty = true
            removed += stale.count
        }
        rejected = rejected.filter { $0.key.kind != kind || isSeen($0.key, generation) }
        return removed
    }

    private func isSeen(_ identity: ObjectIdentity, _ generation: UInt32) -> Bool {
        shards[Self.shard(of: identity)].entries[identity]?.generation == generation
    }

    /// Stores the object `node` (an item of a list of `kind`, or a watch event's object).
    func upsert(_ node: Node, kind: ObjectKind) -> Change {
        let generation = generations[kind, default: 0]
        let metadata = node.member("metadata")
        let version = metadata?.member("resourceVersion")?.text ?? ""
        if let name = metadata?.member("name")?.text {
            let namespace = kind.isNamespaced ? (metadata?.member("namespace")?.text ?? "default") : ""
            let identity = ObjectIdentity(kind: kind, namespace: namespace, name: name)
            let s = Self.shard(of: identity)
            if !version.isEmpty, let existing = shards[s].entries[identity], existing.version == version {
                shards[s].entries[identity]?.generation = generation
                return .unchanged
            }
        }
        let decoder = ManifestDecoder(interner: interner)
        let decoded = decoder.decodeAPIObject(node, kind: kind, origin: origin)
        guard let object = decoded.object else {
            if let issue = decoded.issues.first(where: { $0.severity == .error }),
               let name = issue.name {
                let identity = ObjectIdentity(kind: kind, namespace: kind.isNamespaced ? (issue.namespace ?? "default") : "", name: name)
                var kept = issue
                let s = Self.shard(of: identity)
                kept.keptPreviousVersion = shards[s].entries[identity] != nil
                // Keep the last good version alive through the relist sweep.
                shards[s].entries[identity]?.generation = generation
                rejected[identity] = kept
            }
            return .rejected
        }
        let identity = object.identity
        let s = Self.shard(of: identity)
        shards[s].entries[identity] = Entry(version: version, object: object, generation: generation)
        shards[s].dirty = true
        rejected[identity] = nil
        return .stored
    }

    /// Removes the object `node` names. Returns false when it was not stored.
    @discardableResult
    func delete(_ node: Node, kind: ObjectKind) -> Bool {
        guard let metadata = node.member("metadata"), let name = metadata.member("name")?.text else { return false }
        let namespace = kind.isNamespaced ? (metadata.member("namespace")?.text ?? "default") : ""
        let identity = ObjectIdentity(kind: kind, namespace: namespace, name: name)
        let s = Self.shard(of: identity)
        rejected[identity] = nil
        guard shards[s].entries.removeValue(forKey: identity) != nil else { return false }
        shards[s].dirty = true
        return true
    }

    /// The stored object, for tests and `explain`.
    func object(_ identity: ObjectIdentity) -> ClusterObject? {
        shards[Self.shard(of: identity)].entries[identity]?.object
    }

    /// True when some shard changed since the last `sources()`.
    var isDirty: Bool { shards.contains { $0.dirty } }

    /// One `ObjectSource` per shard, rebuilding only the shards that changed.
    func sources() -> [ObjectSource] {
        var result: [ObjectSource] = []
        result.reserveCapacity(shards.count)
        for s in shards.indices {
            if shards[s].dirty || shards[s].source == nil {
                var objects = ClusterObjects()
                for identity in shards[s].entries.keys.sorted() {
                    if let entry = shards[s].entries[identity] { objects.append(entry.object) }
                }
                shards[s].source = ObjectSource(name: "\(origin)#\(s)", objects: objects, digest: objects.dnsDigest())
                shards[s].dirty = false
            }
            if let source = shards[s].source { result.append(source) }
        }
        return result
    }

    /// Current decoding problems, sorted by object.
    var issues: [ManifestIssue] {
        rejected.sorted { $0.key < $1.key }.map(\.value)
    }
}
