import DNSWire
import Synchronization

/// A shard's writer lock (a class, so the shards' locks can sit in an array).
final class CacheShardLock: Sendable {
    let mutex = Mutex(())
}

/// One cache of one kind (success or denial) for a whole server block, shared by every worker:
/// `CacheStore` shards chosen by key hash, each with its own writer lock.
///
/// Why shared: with a store per worker, each of W workers held `capacity / W` entries and fetched
/// every name it was asked for itself, which cost hit ratio on long-tailed workloads (0.79 with
/// 1 worker, 0.57 with 8; `Docs/performance.md`). Shared, a name is fetched once per TTL
/// whichever worker is asked, and the server holds `capacity` distinct entries.
///
/// What it costs: a hit reads the shard's index, entry and bytes without a lock, writes nothing
/// but the entry's reference bit when it is clear, and checks the entry's sequence number after
/// copying (`CacheStore`). A miss's store takes the shard's lock; with at least as many shards as
/// workers, two workers storing at once rarely meet on one lock. Each shard evicts on its own
/// (CLOCK over its ring), so the shards together keep `capacity` entries.
final class CacheShards: @unchecked Sendable {
    // @unchecked: the stores are `@unchecked Sendable` themselves (CacheStore's rules); the rest
    // is immutable after init.
    let stores: [CacheStore]
    /// `locks[i]` serialises the writers of `stores[i]`; readers never take it.
    let locks: [CacheShardLock]
    /// The same stores, unretained, so a lookup reads a shard without touching its reference
    /// count (a retain would write the shared object's header line on every hit).
    private let refs: UnsafeMutablePointer<Unmanaged<CacheStore>>
    let shardMask: Int
    /// Entries all shards hold together at most.
    let capacity: Int

    /// - Parameters:
    ///   - capacity: entries for the whole cache, split evenly over the shards.
    ///   - shards: a power of two.
    ///   - arenaSize: octets of blob storage per shard; by default from its entry count.
    init(capacity: Int, shards: Int, staleWindow: UInt64 = 0, arenaSize: Int? = nil) {
        let count = max(shards, 1)
        precondition(count & (count - 1) == 0, "shard count must be a power of two")
        let perShard = max(capacity / count, 1)
        stores = (0..<count).map { _ in
            let store = CacheStore(entryCapacity: perShard, arenaSize: arenaSize)
            store.staleWindow = staleWindow
            return store
        }
        locks = (0..<count).map { _ in CacheShardLock() }
        self.capacity = perShard * count
        shardMask = count - 1
        refs = .allocate(capacity: count)
        for (i, store) in stores.enumerated() { (refs + i).initialize(to: Unmanaged.passUnretained(store)) }
    }

    deinit {
        refs.deinitialize(count: stores.count)
        refs.deallocate()
    }

    /// Shards for `capacity` entries used by `workers` workers: the smallest power of two at least
    /// `workers` (one writer lock per worker, so stores rarely wait), while every shard keeps at
    /// least 256 entries (CLOCK needs room to tell popular names from the tail).
    static func shardCount(capacity: Int, workers: Int) -> Int {
        var count = 1
        while count < workers, capacity / (count * 2) >= 256 { count *= 2 }
        return count
    }

    /// The shard of `hash`: bits 26–31, which neither the index slot (low bits, for any shard of
    /// fewer than 2^25 entries) nor, mostly, the slot tag (high 32 bits) depend on alone.
    @inline(__always) func shardIndex(_ hash: UInt64) -> Int { Int(truncatingIfNeeded: hash >> 26) & shardMask }

    @inline(__always) func shard(_ hash: UInt64) -> Unmanaged<CacheStore> { refs[shardIndex(hash)] }

    /// The entry under `key`, for a reader on any thread (`CacheStore.read`): copy, then check
    /// `CacheRead.isCurrent`.
    /// - Complexity: O(1) expected. Lock-free, writes nothing, allocation-free.
    @inline(__always)
    func read(_ key: CacheKey) -> CacheRead? {
        shard(key.hash)._withUnsafeGuaranteedRef { $0.read(key) }
    }

    /// Stores `message` under `key` in its shard, under the shard's lock (`CacheStore.insert`).
    /// - Returns: entries evicted to make room.
    /// - Complexity: as `CacheStore.insert`, plus one lock. Allocation-free.
    @discardableResult
    func insert(_ key: CacheKey, message: UnsafeRawBufferPointer, ttlOffsets: UnsafeBufferPointer<UInt16>,
                cuts: UnsafeBufferPointer<CutPoint>, record: CacheStore.Record, now: UInt64) -> UInt64 {
        let i = shardIndex(key.hash)
        let store = stores[i]
        return locks[i].mutex.withLock { _ in
            let before = store.evictions
            store.insert(key, message: message, ttlOffsets: ttlOffsets, cuts: cuts, record: record, now: now)
            return store.evictions &- before
        }
    }

    /// Removes the entry under `key`, if any, under its shard's lock.
    func remove(_ key: CacheKey) {
        let i = shardIndex(key.hash)
        let store = stores[i]
        locks[i].mutex.withLock { _ in store.remove(key) }
    }

    /// Entries held now, over all shards (takes each shard's lock: for scrapes and tests).
    var count: Int {
        var total = 0
        for (store, lock) in zip(stores, locks) { total += lock.mutex.withLock { _ in store.count } }
        return total
    }
}
