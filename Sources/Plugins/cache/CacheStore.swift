import Atomics
import DNSWire

// One shard of a cache of one kind of answer (success or denial), shared by every worker: a table
// of `CacheEntry` values, an open-addressed hash index over them, and a byte ring (the arena)
// holding each entry's blob. `CacheShards` splits a cache into such stores by key hash.
//
// Blob layout, at a physical offset that is a multiple of 8:
//
//   [0..<4)   entry index (UInt32), or `paddingMarker` for the filler before a wrap
//   [4..<8)   blob length (UInt32), a multiple of 8
//   [8..<16)  unused (keeps the name 8-aligned)
//   name      the question name, lowercased (the key's full compare)
//   message   the response without its OPT record: header, question, records
//   ttls      UInt16 × recordCount: offset of each record's TTL field in `message`
//   cuts      (UInt16 offset, UInt16 recordsBefore) × boundaryCount: where `message` may be cut
//
// The ring is written at `head` and reclaimed at `tail` (logical positions that only grow; the
// physical offset is position % size). A blob never wraps: when it does not fit before the end,
// a padding blob fills the rest. Reclaiming the tail blob evicts its entry, unless the entry was
// hit since it was stored (CLOCK's reference bit) and is still useful: then it is copied to the
// head with the bit cleared — a second chance, so a popular name survives while one-off names
// age out in insertion order. A blob whose entry was replaced or removed is dead and is skipped.
//
// Everything is allocated when the store is made; storing, finding and evicting allocate nothing.
//
// Concurrency: one writer at a time, any number of readers, readers never wait and never write
// the entry table, the index or the arena.
//
// - Writers (`insert`, `remove`, and `reclaimTail` through them) run under the shard's lock
//   (`CacheShards`); `find` is for writers and single-threaded use.
// - Readers use `read`: it probes the index with acquire loads, copies the entry out, and
//   returns it with the entry's sequence number; the caller copies what it needs from the arena
//   and then asks `CacheRead.isCurrent`. Every change to an entry or to the arena bytes its blob
//   covers is bracketed by its sequence number going odd (relaxed store, release fence) and even
//   again (release store): a seqlock. A region of the arena only changes owner after its old
//   owner's blob was moved or removed, which bumped the old owner's sequence, so a reader whose
//   sequence is unchanged after its copies read bytes that were the entry's the whole time. A
//   torn read can only produce garbage that the sequence check throws away; every offset and
//   length taken from racy memory is bounds-checked before it is used to address anything.
// - Per entry, a cache line of atomic words (`CacheEntryState`) holds the sequence and what hits
//   update: CLOCK's reference bit (stored only when not already set, so a popular entry's line
//   is written once per second chance, not once per hit), prefetch's popularity count, the
//   running refresh and the failure recheck time.
// - The index holds atomic words; a backward-shift deletion can make a concurrent reader miss a
//   key that is present (the query then goes on as a miss and stores the answer again), never
//   find a wrong one: every candidate's full key is compared in the copied entry.

/// One shard of a shared cache of one kind (success or denial). See the file comment for the
/// layout and the concurrency rules.
final class CacheStore: @unchecked Sendable {
    // @unchecked: writers are serialised by the shard's lock (`CacheShards`); readers touch shared memory only through
    // `read`, whose results are validated by the entries' sequence numbers (file comment).
    static let paddingMarker = UInt32.max
    static let blobHeader = 16
    /// Average octets a stored answer may take before the byte budget, not the entry count,
    /// limits the store. Typical cluster and A/AAAA answers take 60–200 octets.
    static let averageBlobBudget = 512
    static let minimumArena = 256 * 1024

    let entryCapacity: Int
    let arenaSize: Int
    /// The largest blob the store takes (half the arena, so storing never evicts everything).
    let maxBlob: Int
    private(set) var count = 0
    /// How long an expired entry stays useful (serve_stale), in nanoseconds.
    var staleWindow: UInt64 = 0
    /// Live entries evicted to make room, since the store was made.
    private(set) var evictions: UInt64 = 0

    let entries: UnsafeMutablePointer<CacheEntry>
    let freeList: UnsafeMutablePointer<Int32>
    private(set) var freeCount: Int
    /// Slot value: the key hash's upper 32 bits, then entry index + 1 in the lower 32; 0 is
    /// empty. The tag lets a probe skip other keys without touching their entries. Atomic words:
    /// readers probe while a writer inserts and deletes.
    let index: UnsafeMutablePointer<UInt64.AtomicRepresentation>
    /// `CacheEntryState.words` atomic words per entry, 64-byte aligned (one cache line each).
    let states: UnsafeMutableRawPointer
    let indexMask: Int
    let arena: UnsafeMutableRawPointer
    private(set) var head: UInt64 = 0
    private(set) var tail: UInt64 = 0

    /// - Parameters:
    ///   - entryCapacity: the most entries kept at once.
    ///   - arenaSize: octets of blob storage; by default `entryCapacity × averageBlobBudget`.
    init(entryCapacity: Int, arenaSize: Int? = nil) {
        let capacity = max(entryCapacity, 1)
        self.entryCapacity = capacity
        let requested = arenaSize ?? max(capacity * CacheStore.averageBlobBudget, CacheStore.minimumArena)
        self.arenaSize = max((requested + 7) & ~7, 1024)
        maxBlob = (self.arenaSize / 2) & ~7
        entries = .allocate(capacity: capacity)
        entries.initialize(repeating: CacheEntry(), count: capacity)
        freeList = .allocate(capacity: capacity)
        for i in 0..<capacity { freeList[i] = Int32(capacity - 1 - i) }
        freeCount = capacity
        var slots = 16
        while slots < capacity * 2 { slots <<= 1 }
        index = .allocate(capacity: slots)
        index.initialize(repeating: UInt64.AtomicRepresentation(0), count: slots)
        indexMask = slots - 1
        arena = .allocate(byteCount: self.arenaSize, alignment: 8)
        states = .allocate(byteCount: capacity * CacheEntryState.stride, alignment: CacheEntryState.stride)
        states.bindMemory(to: UInt64.AtomicRepresentation.self, capacity: capacity * CacheEntryState.words)
            .initialize(repeating: UInt64.AtomicRepresentation(0), count: capacity * CacheEntryState.words)
    }

    /// Bytes a store made for `entryCapacity` entries allocates (with the default arena): the
    /// arena, the entry table, the free list and the index. All of it is touched once the
    /// store has been filled, so this is what it adds to the process's resident memory.
    static func footprint(entryCapacity: Int) -> Int {
        let capacity = max(entryCapacity, 1)
        let arena = max((max(capacity * averageBlobBudget, minimumArena) + 7) & ~7, 1024)
        var slots = 16
        while slots < capacity * 2 { slots <<= 1 }
        return arena + capacity * (MemoryLayout<CacheEntry>.stride + MemoryLayout<Int32>.stride + CacheEntryState.stride)
            + slots * MemoryLayout<UInt64>.stride
    }

    /// The most entries a store may be made for within `bytes` (at least 1).
    /// - Complexity: O(log n) footprint evaluations.
    static func entries(fittingIn bytes: Int) -> Int {
        var low = 1
        var high = max(bytes / averageBlobBudget, 1)
        guard footprint(entryCapacity: low) <= bytes else { return 1 }
        while low < high {
            let middle = (low + high + 1) / 2
            if footprint(entryCapacity: middle) <= bytes { low = middle } else { high = middle - 1 }
        }
        return low
    }

    deinit {
        entries.deinitialize(count: entryCapacity)
        entries.deallocate()
        freeList.deallocate()
        index.deallocate()
        arena.deallocate()
        states.deallocate()
    }

    // MARK: Per-entry atomic state

    /// The atomic words of entry number `entryIndex`.
    @inline(__always) func state(_ entryIndex: Int) -> CacheEntryState {
        CacheEntryState(base: (states + entryIndex * CacheEntryState.stride)
            .assumingMemoryBound(to: UInt64.AtomicRepresentation.self))
    }

    @inline(__always) func state(of e: UnsafeMutablePointer<CacheEntry>) -> CacheEntryState { state(e - entries) }

    /// Starts a change of entry `entryIndex` or its blob (writer, under the shard's lock): its sequence goes
    /// odd, and the release fence keeps the changes after it.
    @inline(__always) func beginWrite(_ entryIndex: Int) {
        let sequence = state(entryIndex).sequence
        sequence.store(sequence.load(ordering: .relaxed) &+ 1, ordering: .relaxed)
        atomicMemoryFence(ordering: .releasing)
    }

    /// Ends a change begun by `beginWrite`: the sequence goes even, after the changes.
    @inline(__always) func endWrite(_ entryIndex: Int) {
        let sequence = state(entryIndex).sequence
        sequence.store(sequence.load(ordering: .relaxed) &+ 1, ordering: .releasing)
    }

    @inline(__always) func slot(_ i: Int) -> UnsafeAtomic<UInt64> { UnsafeAtomic(at: index + i) }

    var usedBytes: Int { Int(head &- tail) }

    // MARK: Reading an entry's blob

    @inline(__always) func name(of e: UnsafeMutablePointer<CacheEntry>) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: arena + Int(e.pointee.blob) + CacheStore.blobHeader, count: Int(e.pointee.nameLength))
    }

    @inline(__always) func message(of e: UnsafeMutablePointer<CacheEntry>) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: arena + Int(e.pointee.blob) + CacheStore.blobHeader + Int(e.pointee.nameLength),
                               count: Int(e.pointee.messageLength))
    }

    /// Start of the record TTL offsets (UInt16, native order, unaligned).
    @inline(__always) func ttlOffsets(of e: UnsafeMutablePointer<CacheEntry>) -> UnsafeRawPointer {
        UnsafeRawPointer(arena + Int(e.pointee.blob) + CacheStore.blobHeader + Int(e.pointee.nameLength)
            + Int(e.pointee.messageLength))
    }

    @inline(__always) func cutPoints(of e: UnsafeMutablePointer<CacheEntry>) -> UnsafeRawPointer {
        ttlOffsets(of: e) + 2 * Int(e.pointee.recordCount)
    }

    @inline(__always) func cutPoint(_ i: Int, of e: UnsafeMutablePointer<CacheEntry>) -> CutPoint {
        let p = cutPoints(of: e) + 4 * i
        return CutPoint(offset: p.loadUnaligned(as: UInt16.self), recordsBefore: p.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
    }

    // MARK: Lookup

    /// The entry stored under `key`, expired or not.
    /// - Complexity: O(1) expected; one case-folding compare of the name on a hash match.
    ///   Allocation-free.
    @inline(__always)
    func find(_ key: CacheKey) -> UnsafeMutablePointer<CacheEntry>? {
        var slot = Int(truncatingIfNeeded: key.hash) & indexMask
        while true {
            let value = self.slot(slot).load(ordering: .relaxed)
            if value == 0 { return nil }
            if UInt32(truncatingIfNeeded: value >> 32) != UInt32(truncatingIfNeeded: key.hash >> 32) {
                slot = (slot + 1) & indexMask
                continue
            }
            let e = entries + Int(UInt32(truncatingIfNeeded: value) - 1)
            if e.pointee.hash == key.hash && e.pointee.questionType == key.type && e.pointee.questionClass == key.queryClass
                && e.pointee.flags == key.flags.rawValue && Int(e.pointee.nameLength) == key.name.count
                && WireName.equalIgnoringCase(name(of: e), key.name) {
                return e
            }
            slot = (slot + 1) & indexMask
        }
    }

    /// The entry stored under `key`, for a reader on any thread, with its sequence number: the
    /// caller copies what it needs (`CacheRead.message` and the rest), then checks
    /// `CacheRead.isCurrent` before using the copy. nil when the key is absent, or when its
    /// entry is being changed at this moment (the caller treats both as a miss).
    /// - Complexity: O(1) expected, at most one pass over the index. Lock-free, writes nothing,
    ///   allocation-free.
    @inline(__always)
    func read(_ key: CacheKey) -> CacheRead? {
        var slot = Int(truncatingIfNeeded: key.hash) & indexMask
        let tag = UInt32(truncatingIfNeeded: key.hash >> 32)
        for _ in 0...indexMask {
            let value = self.slot(slot).load(ordering: .acquiring)
            if value == 0 { return nil }
            slot = (slot + 1) & indexMask
            let entryIndex = Int(UInt32(truncatingIfNeeded: value)) - 1
            guard UInt32(truncatingIfNeeded: value >> 32) == tag, entryIndex >= 0, entryIndex < entryCapacity else { continue }
            let state = self.state(entryIndex)
            let sequence = state.sequence.load(ordering: .acquiring)
            guard sequence & 1 == 0 else { continue }
            let e = entries[entryIndex]
            guard e.hash == key.hash, e.questionType == key.type, e.questionClass == key.queryClass,
                  e.flags == key.flags.rawValue, Int(e.nameLength) == key.name.count, fits(e) else { continue }
            let name = UnsafeRawBufferPointer(start: arena + Int(e.blob) + CacheStore.blobHeader, count: Int(e.nameLength))
            guard WireName.equalIgnoringCase(name, key.name) else { continue }
            return CacheRead(entry: e, sequence: sequence, state: state, arena: UnsafeRawPointer(arena))
        }
        return nil
    }

    /// True when the (possibly torn) copy `e` describes a blob inside the arena whose parts fit
    /// in it, so addresses computed from it stay in bounds.
    @inline(__always)
    func fits(_ e: CacheEntry) -> Bool {
        let blob = Int(e.blob)
        let length = Int(e.blobLength)
        let parts = CacheStore.blobHeader + Int(e.nameLength) + Int(e.messageLength) + 2 * Int(e.recordCount)
            + 4 * Int(e.boundaryCount)
        return blob >= 0 && length >= 0 && e.messageLength >= 0 && blob <= arenaSize - length && parts <= length
            && Int(e.questionEnd) <= Int(e.messageLength)
    }

    // MARK: Storing

    /// What `insert` stores besides the bytes.
    struct Record {
        var ttl: UInt32
        var storedAt: UInt64
        var rcode: UInt8
        var answerCount: UInt16
        var authorityCount: UInt16
        var additionalCount: UInt16
        var questionEnd: UInt16
        var hits: UInt32 = 0
        var lastHit: UInt64 = 0
    }

    /// Stores `message` (no OPT) under `key`, replacing what was there. Evicts from the tail as
    /// needed. Returns the new entry, or nil when the answer is larger than `maxBlob` (then the
    /// old entry, if any, is removed too: it is outdated).
    /// - Complexity: amortised O(size of the message); a store can give many entries their
    ///   second chance at once, each a copy. Allocation-free.
    @discardableResult
    func insert(_ key: CacheKey, message: UnsafeRawBufferPointer, ttlOffsets: UnsafeBufferPointer<UInt16>,
                cuts: UnsafeBufferPointer<CutPoint>, record: Record, now: UInt64) -> UnsafeMutablePointer<CacheEntry>? {
        if let old = find(key) { remove(old) }
        let raw = CacheStore.blobHeader + key.name.count + message.count + 2 * ttlOffsets.count + 4 * cuts.count
        let size = (raw + 7) & ~7
        guard size <= maxBlob, key.name.count <= 255, message.count <= Int(UInt16.max),
              ttlOffsets.count <= Int(UInt16.max), cuts.count <= Int(UInt16.max) else { return nil }
        while freeCount == 0 { reclaimTail(now: now) }
        let phys = reserve(size, now: now)
        freeCount -= 1
        let entryIndex = Int(freeList[freeCount])
        let e = entries + entryIndex
        beginWrite(entryIndex)
        e.pointee = CacheEntry()
        e.pointee.hash = key.hash
        e.pointee.storedAt = record.storedAt
        let state = self.state(entryIndex)
        state.reset(hits: record.hits, lastHit: record.lastHit)
        e.pointee.blob = Int32(phys)
        e.pointee.blobLength = Int32(size)
        e.pointee.messageLength = Int32(message.count)
        e.pointee.ttl = record.ttl
        e.pointee.recordCount = UInt16(ttlOffsets.count)
        e.pointee.boundaryCount = UInt16(cuts.count)
        e.pointee.answerCount = record.answerCount
        e.pointee.authorityCount = record.authorityCount
        e.pointee.additionalCount = record.additionalCount
        e.pointee.questionType = key.type
        e.pointee.questionClass = key.queryClass
        e.pointee.questionEnd = record.questionEnd
        e.pointee.nameLength = UInt8(key.name.count)
        e.pointee.flags = key.flags.rawValue
        e.pointee.rcode = record.rcode
        let base = arena + phys
        base.storeBytes(of: UInt32(entryIndex), as: UInt32.self)
        base.storeBytes(of: UInt32(size), toByteOffset: 4, as: UInt32.self)
        var p = base + CacheStore.blobHeader
        for i in 0..<key.name.count { p.storeBytes(of: WireName.lowercase(key.name[i]), toByteOffset: i, as: UInt8.self) }
        p += key.name.count
        if let source = message.baseAddress { p.copyMemory(from: source, byteCount: message.count) }
        p += message.count
        for (i, offset) in ttlOffsets.enumerated() { p.storeBytes(of: offset, toByteOffset: 2 * i, as: UInt16.self) }
        p += 2 * ttlOffsets.count
        for (i, cut) in cuts.enumerated() {
            p.storeBytes(of: cut.offset, toByteOffset: 4 * i, as: UInt16.self)
            p.storeBytes(of: cut.recordsBefore, toByteOffset: 4 * i + 2, as: UInt16.self)
        }
        endWrite(entryIndex)
        indexInsert(entryIndex)
        count += 1
        return e
    }

    /// Removes `e` (its blob becomes dead and is skipped when the tail reaches it).
    func remove(_ e: UnsafeMutablePointer<CacheEntry>) {
        let entryIndex = e - entries
        guard e.pointee.blob >= 0 else { return }
        indexRemove(entryIndex)
        beginWrite(entryIndex)
        e.pointee.blob = -1
        endWrite(entryIndex)
        freeList[freeCount] = Int32(entryIndex)
        freeCount += 1
        count -= 1
    }

    /// Removes the entry under `key`, if any.
    func remove(_ key: CacheKey) {
        if let e = find(key) { remove(e) }
    }

    /// Makes `size` contiguous octets free at the head and returns their physical offset;
    /// `head` is advanced past them.
    func reserve(_ size: Int, now: UInt64) -> Int {
        while true {
            let phys = Int(head % UInt64(arenaSize))
            let toEnd = arenaSize - phys
            let needed = toEnd < size ? toEnd : size
            if arenaSize - usedBytes >= needed {
                if toEnd < size {
                    let base = arena + phys
                    base.storeBytes(of: CacheStore.paddingMarker, as: UInt32.self)
                    base.storeBytes(of: UInt32(toEnd), toByteOffset: 4, as: UInt32.self)
                    head &+= UInt64(toEnd)
                    continue
                }
                head &+= UInt64(size)
                return phys
            }
            reclaimTail(now: now)
        }
    }

    /// Frees the blob at the tail: skips it if dead, gives its entry a second chance if it was
    /// referenced and is still useful and fits at the head, evicts it otherwise.
    func reclaimTail(now: UInt64) {
        guard head != tail else { return }
        let phys = Int(tail % UInt64(arenaSize))
        let base = arena + phys
        let owner = base.load(as: UInt32.self)
        let length = Int(base.load(fromByteOffset: 4, as: UInt32.self))
        if owner != CacheStore.paddingMarker, Int(owner) < entryCapacity {
            let e = entries + Int(owner)
            if Int(e.pointee.blob) == phys {
                let headPhys = Int(head % UInt64(arenaSize))
                let state = self.state(Int(owner))
                if state.referenced, now < e.pointee.usefulUntil(staleWindow: staleWindow),
                   arenaSize - headPhys >= length, arenaSize - usedBytes >= length {
                    // Second chance: move the blob to the head. The free region [head, tail + size)
                    // holds `length` octets, so source and destination do not overlap. The source
                    // stays intact until a later write reuses it, after this entry's sequence moved.
                    beginWrite(Int(owner))
                    (arena + headPhys).copyMemory(from: base, byteCount: length)
                    e.pointee.blob = Int32(headPhys)
                    endWrite(Int(owner))
                    state.clearReferenced()
                    head &+= UInt64(length)
                } else {
                    remove(e)
                    evictions &+= 1
                }
            }
        }
        tail &+= UInt64(length)
    }

    // MARK: Index (linear probing, backward-shift deletion)

    @inline(__always) func slotValue(_ entryIndex: Int) -> UInt64 {
        (entries[entryIndex].hash & 0xFFFF_FFFF_0000_0000) | UInt64(entryIndex + 1)
    }

    func indexInsert(_ entryIndex: Int) {
        var slot = Int(truncatingIfNeeded: entries[entryIndex].hash) & indexMask
        while self.slot(slot).load(ordering: .relaxed) != 0 { slot = (slot + 1) & indexMask }
        self.slot(slot).store(slotValue(entryIndex), ordering: .releasing)
    }

    func indexRemove(_ entryIndex: Int) {
        var slot = Int(truncatingIfNeeded: entries[entryIndex].hash) & indexMask
        let wanted = slotValue(entryIndex)
        while self.slot(slot).load(ordering: .relaxed) != wanted {
            // The entry is in the index whenever its blob is live; an empty slot here is a bug.
            guard self.slot(slot).load(ordering: .relaxed) != 0 else { return }
            slot = (slot + 1) & indexMask
        }
        var hole = slot
        var next = slot
        while true {
            next = (next + 1) & indexMask
            let value = self.slot(next).load(ordering: .relaxed)
            if value == 0 { break }
            let home = Int(truncatingIfNeeded: entries[Int(UInt32(truncatingIfNeeded: value) - 1)].hash) & indexMask
            // The element at `next` may move into the hole unless its home lies cyclically in (hole, next].
            let staysPut = hole <= next ? (hole < home && home <= next) : (hole < home || home <= next)
            if staysPut { continue }
            self.slot(hole).store(value, ordering: .releasing)
            hole = next
        }
        self.slot(hole).store(0, ordering: .releasing)
    }

    /// Every live entry, for tests and diagnostics (allocates).
    var liveEntries: [UnsafeMutablePointer<CacheEntry>] {
        (0..<entryCapacity).compactMap { entries[$0].blob >= 0 ? entries + $0 : nil }
    }
}
