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

    /// What the store knows of one object besides the object itself, which lives once, in its
    /// shard's arrays (`Shard.objects`). 16 octets, under an 8-octet key: at 100 000 services
    /// an entry holding the object and keyed by `ObjectIdentity` (40 octets) made the API
    /// source cost 432 bytes per object, against 299 for the manifest store.
    struct Entry {
        /// `VersionKey` of the resourceVersion the object had when it was decoded.
        var version: UInt64
        var generation: UInt32
        /// Index in the shard's array of the identity's kind.
        var position: Int32
    }

    /// A resourceVersion as 8 octets, compared only for equality. The API server's versions are
    /// etcd revisions (decimal integers), which are kept exactly; any other string is kept as a
    /// 63-bit hash with the top bit set (an unequal version taken for equal would need a hash
    /// collision between two versions of the same object). 0: no version (never unchanged).
    enum VersionKey {
        static func of(_ version: Substring) -> UInt64 {
            guard !version.isEmpty else { return 0 }
            if version.utf8.count <= 18, version.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let n = UInt64(version), n > 0 {
                return n
            }
            var hasher = Hasher()
            hasher.combine(version)
            return UInt64(bitPattern: Int64(hasher.finalize())) | (1 << 63)
        }
    }

    private struct Shard {
        /// Identity → entry, keyed by `key(of:)`: a hash of namespace and name with the kind in
        /// its low 3 bits. An identity whose key is already taken by another object goes to
        /// `overflow`, so a collision costs a lookup, never a wrong object: every lookup checks
        /// the object at the entry's position.
        var entries: [UInt64: Entry] = [:]
        var overflow: [ObjectIdentity: Entry] = [:]
        /// The shard's objects, in no particular order (the snapshot builder sorts). Handed to
        /// `source` as they are: the snapshot shares these arrays until the next change in the
        /// shard copies them.
        var objects = ClusterObjects()
        var dirty = true
        var source: ObjectSource?
        /// The bits of the hash kept: all but in tests, which force collisions.
        let keyMask: UInt64

        init(keyMask: UInt64) { self.keyMask = keyMask }

        var count: Int { entries.count + overflow.count }

        func key(of identity: ObjectIdentity) -> UInt64 {
            var hasher = Hasher()
            hasher.combine(identity.namespace)
            hasher.combine(identity.name)
            return (UInt64(bitPattern: Int64(hasher.finalize())) & keyMask & ~7) | UInt64(identity.kind.bits)
        }

        private func holds(_ identity: ObjectIdentity, at position: Int32) -> Bool {
            objects.identityMatches(identity, at: Int(position))
        }

        /// Where `identity`'s entry is: its key in `entries`, or nil for `overflow`; and the entry.
        private func find(_ identity: ObjectIdentity) -> (key: UInt64?, entry: Entry)? {
            let key = key(of: identity)
            if let entry = entries[key], holds(identity, at: entry.position) { return (key, entry) }
            return overflow[identity].map { (nil, $0) }
        }

        func entry(_ identity: ObjectIdentity) -> Entry? { find(identity)?.entry }

        func object(_ identity: ObjectIdentity) -> ClusterObject? {
            find(identity).map { objects.object(of: identity.kind, at: Int($0.entry.position)) }
        }

        /// Marks `identity` seen in `generation` (a relist's sweep keeps it).
        mutating func markSeen(_ identity: ObjectIdentity, generation: UInt32) {
            guard let (key, entry) = find(identity) else { return }
            var seen = entry
            seen.generation = generation
            if let key { entries[key] = seen } else { overflow[identity] = seen }
        }

        /// Stores `object`, replacing the version at its identity if there is one.
        mutating func store(_ object: ClusterObject, version: UInt64, generation: UInt32) {
            let identity = object.identity
            if let (key, entry) = find(identity) {
                objects.replace(at: Int(entry.position), with: object)
                let updated = Entry(version: version, generation: generation, position: entry.position)
                if let key { entries[key] = updated } else { overflow[identity] = updated }
                return
            }
            let entry = Entry(version: version, generation: generation, position: Int32(objects.append(positionOf: object)))
            let key = key(of: identity)
            if entries[key] == nil { entries[key] = entry } else { overflow[identity] = entry }
        }

        /// Removes the object at `identity`; the last object of its kind takes its position.
        mutating func remove(_ identity: ObjectIdentity) {
            guard let (slot, entry) = find(identity) else { return }
            if let slot { entries[slot] = nil } else { overflow[identity] = nil }
            guard let (moved, from) = objects.swapRemove(kind: identity.kind, at: Int(entry.position)) else { return }
            // The moved object's entry still says `from` (its object is no longer there to check).
            let movedKey = key(of: moved)
            if entries[movedKey]?.position == Int32(from) {
                entries[movedKey]?.position = entry.position
            } else {
                overflow[moved]?.position = entry.position
            }
        }

        /// The identities of `kind` whose entry satisfies `predicate`.
        func identities(of kind: ObjectKind, where predicate: (Entry) -> Bool) -> [ObjectIdentity] {
            var result: [ObjectIdentity] = []
            for (key, entry) in entries where key & 7 == UInt64(kind.bits) && predicate(entry) {
                result.append(objects.object(of: kind, at: Int(entry.position)).identity)
            }
            for (identity, entry) in overflow where identity.kind == kind && predicate(entry) { result.append(identity) }
            return result
        }
    }

    private var shards: [Shard]
    /// Namespaces are not sharded.
    private var namespaceShard: Shard
    /// Shards changed since `takeChangedShards()`; nil before the first publication (all).
    private var changedShards: Set<Int>? = nil
    private var generations: [ObjectKind: UInt32] = [:]
    /// Objects the decoder rejected, with their issue (the previous version, if any, still serves).
    private(set) var rejected: [ObjectIdentity: ManifestIssue] = [:]
    private var interner = StringInterner()
    private var upsertsSinceCheck = 0
    private let origin: String

    /// - Parameter keyMask: the bits of each identity's hash the entries are keyed by; tests
    ///   pass a narrow mask to force collisions.
    init(origin: String, keyMask: UInt64 = .max) {
        self.origin = origin
        shards = [Shard](repeating: Shard(keyMask: keyMask), count: Self.shardCount)
        namespaceShard = Shard(keyMask: keyMask)
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
        if self[shard: hint].entry(identity) != nil { return hint }
        guard identity.kind != .namespace else { return nil }
        return shards.indices.first { shards[$0].entry(identity) != nil }
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

    var count: Int { shards.reduce(namespaceShard.count) { $0 + $1.count } }

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
            let stale = self[shard: s].identities(of: kind) { $0.generation != generation }
            guard !stale.isEmpty else { continue }
            for key in stale {
                self[shard: s].remove(key)
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
        return self[shard: s].entry(identity)?.generation == generation
    }

    /// Stores the object `node` (an item of a list of `kind`, or a watch event's object).
    func upsert(_ node: ManifestValue, kind: ObjectKind) -> Change {
        let generation = generations[kind, default: 0]
        let metadata = node.member("metadata")
        let versionKey = VersionKey.of(metadata?.member("resourceVersion")?.text.map { Substring($0) } ?? "")
        if let name = metadata?.member("name")?.text {
            let namespace = kind.isNamespaced ? (metadata?.member("namespace")?.text ?? "default") : ""
            let identity = ObjectIdentity(kind: kind, namespace: namespace, name: name)
            let s = Self.shard(of: node, kind: kind, namespace: namespace, name: name)
            if versionKey != 0, let existing = self[shard: s].entry(identity), existing.version == versionKey {
                self[shard: s].markSeen(identity, generation: generation)
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
                    self[shard: s].markSeen(identity, generation: generation)
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
            self[shard: old].remove(identity)
            markChanged(old)
        }
        self[shard: s].store(object, version: versionKey, generation: generation)
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
        self[shard: s].remove(identity)
        markChanged(s)
        return true
    }

    /// The stored object, for tests and `explain`.
    func object(_ identity: ObjectIdentity) -> ClusterObject? {
        for s in -1..<shards.count { if let object = self[shard: s].object(identity) { return object } }
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
            self[shard: s].objects.trimCapacity()
            let objects = self[shard: s].objects
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

/// Positional access for the API store, whose entries point into these arrays.
extension ClusterObjects {
    func object(of kind: ObjectKind, at position: Int) -> ClusterObject {
        switch kind {
        case .namespace: .namespace(namespaces[position])
        case .service: .service(services[position])
        case .endpointSlice: .endpointSlice(endpointSlices[position])
        case .endpoints: .endpoints(endpoints[position])
        case .pod: .pod(pods[position])
        }
    }

    /// True when the object at `position` of `identity.kind`'s array is `identity` (false when
    /// the position is past the end).
    func identityMatches(_ identity: ObjectIdentity, at position: Int) -> Bool {
        func matches<T>(_ array: [T], _ namespace: (T) -> String, _ name: (T) -> String) -> Bool {
            guard array.indices.contains(position) else { return false }
            return name(array[position]) == identity.name && namespace(array[position]) == identity.namespace
        }
        switch identity.kind {
        case .namespace: return matches(namespaces, { _ in "" }, \.name)
        case .service: return matches(services, \.namespace, \.name)
        case .endpointSlice: return matches(endpointSlices, \.namespace, \.name)
        case .endpoints: return matches(endpoints, \.namespace, \.name)
        case .pod: return matches(pods, \.namespace, \.name)
        }
    }

    /// Appends `object`; returns its position in the array of its kind.
    mutating func append(positionOf object: ClusterObject) -> Int {
        append(object)
        switch object {
        case .namespace: return namespaces.count - 1
        case .service: return services.count - 1
        case .endpointSlice: return endpointSlices.count - 1
        case .endpoints: return endpoints.count - 1
        case .pod: return pods.count - 1
        }
    }

    /// Replaces the object at `position` of the array of `object`'s kind.
    mutating func replace(at position: Int, with object: ClusterObject) {
        switch object {
        case .namespace(let o): namespaces[position] = o
        case .service(let o): services[position] = o
        case .endpointSlice(let o): endpointSlices[position] = o
        case .endpoints(let o): endpoints[position] = o
        case .pod(let o): pods[position] = o
        }
    }

    /// Removes the object at `position` of `kind`'s array by moving the last one into its place;
    /// returns the identity of the moved object and where it was (nil when the removed one was
    /// the last).
    mutating func swapRemove(kind: ObjectKind, at position: Int) -> (moved: ObjectIdentity, from: Int)? {
        func remove<T>(_ array: inout [T], _ identity: (T) -> ObjectIdentity) -> (moved: ObjectIdentity, from: Int)? {
            let last = array.count - 1
            if position != last { array.swapAt(position, last) }
            array.removeLast()
            return position != last ? (identity(array[position]), last) : nil
        }
        switch kind {
        case .namespace: return remove(&namespaces, \.identity)
        case .service: return remove(&services, \.identity)
        case .endpointSlice: return remove(&endpointSlices, \.identity)
        case .endpoints: return remove(&endpoints, \.identity)
        case .pod: return remove(&pods, \.identity)
        }
    }
}

extension ObjectKind {
    /// The kind in 3 bits, for keys that carry it.
    var bits: UInt8 {
        switch self {
        case .namespace: 0
        case .service: 1
        case .endpointSlice: 2
        case .endpoints: 3
        case .pod: 4
        }
    }
}
