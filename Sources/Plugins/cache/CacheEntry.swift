import Atomics

/// What the cache knows about one stored answer, besides its bytes.
///
/// A plain value kept in a preallocated table, so looking an answer up touches no reference
/// count and allocates nothing. The bytes live in the store's arena at `blob` (see `CacheStore`
/// for the layout). Only writers change it, under the store's lock and its sequence number;
/// what hits change lives in `CacheEntryState`.
struct CacheEntry {
    /// The key's hash (`CacheKey.hash`), kept to re-home index slots and to compare cheaply.
    var hash: UInt64 = 0
    /// Monotonic nanoseconds when the answer was stored.
    var storedAt: UInt64 = 0
    /// Physical offset of the entry's blob in the arena; -1 for a free entry.
    var blob: Int32 = -1
    var blobLength: Int32 = 0
    /// Octets of the stored message (header, question, records, no OPT).
    var messageLength: Int32 = 0
    /// The TTL every record was given when stored (the clamped duration), in seconds.
    var ttl: UInt32 = 0
    var recordCount: UInt16 = 0
    var boundaryCount: UInt16 = 0
    var answerCount: UInt16 = 0
    var authorityCount: UInt16 = 0
    var additionalCount: UInt16 = 0
    var questionType: UInt16 = 0
    var questionClass: UInt16 = 0
    /// Offset just after the question in the stored message.
    var questionEnd: UInt16 = 0
    var nameLength: UInt8 = 0
    /// `CacheKey.Flags`: the DO and CD bits of the query.
    var flags: UInt8 = 0
    /// The response code (4 bits: only NOERROR, NXDOMAIN, SERVFAIL and NOTIMP are stored).
    var rcode: UInt8 = 0

    /// Remaining TTL at `now` in whole seconds: negative once expired.
    @inline(__always)
    func remainingTTL(at now: UInt64) -> Int64 {
        let elapsed = now > storedAt ? (now - storedAt) / 1_000_000_000 : 0
        return Int64(ttl) - Int64(elapsed)
    }

    /// Monotonic nanoseconds after which the entry is of no use, even stale.
    @inline(__always)
    func usefulUntil(staleWindow: UInt64) -> UInt64 {
        storedAt &+ UInt64(ttl) &* 1_000_000_000 &+ staleWindow
    }
}

/// A point where a stored message may be cut: the end of an RRset (or of the question), with the
/// number of records before it.
struct CutPoint: Equatable {
    var offset: UInt16
    var recordsBefore: UInt16
}

/// The atomic words of one entry, one cache line per entry: its seqlock sequence number and what
/// a hit may change (the rest of the entry only changes under the store's lock).
///
/// Each word is read and written with relaxed atomics except the sequence (see `CacheStore`).
/// Hits never do a read-modify-write here: the reference bit is stored only when it is clear,
/// and the popularity words only when prefetch is on. A word may be written for an entry number
/// that was reused since the reader found it; these words steer heuristics (second chance,
/// prefetch, refresh once at a time), so such a write costs at most an extra or a late refresh
/// or second chance, never a wrong answer.
struct CacheEntryState {
    static let words = 8
    static let stride = 64
    let base: UnsafeMutablePointer<UInt64.AtomicRepresentation>

    @inline(__always) func word(_ i: Int) -> UnsafeAtomic<UInt64> { UnsafeAtomic(at: base + i) }

    /// The seqlock sequence number: odd while a writer changes the entry or its blob.
    @inline(__always) var sequence: UnsafeAtomic<UInt64> { word(0) }

    /// CLOCK's reference bit: set by a hit, cleared when the entry is given a second chance.
    @inline(__always) var referenced: Bool { word(1).load(ordering: .relaxed) != 0 }

    /// Sets the reference bit, writing only when it is clear (the line stays shared otherwise).
    @inline(__always) func markReferenced() {
        if word(1).load(ordering: .relaxed) == 0 { word(1).store(1, ordering: .relaxed) }
    }

    @inline(__always) func clearReferenced() { word(1).store(0, ordering: .relaxed) }

    /// Hits in the current popularity run (`prefetch`).
    @inline(__always) var hits: UInt32 {
        get { UInt32(truncatingIfNeeded: word(2).load(ordering: .relaxed)) }
        nonmutating set { word(2).store(UInt64(newValue), ordering: .relaxed) }
    }

    /// Monotonic nanoseconds of the last hit (prefetch popularity).
    @inline(__always) var lastHit: UInt64 {
        get { word(3).load(ordering: .relaxed) }
        nonmutating set { word(3).store(newValue, ordering: .relaxed) }
    }

    /// When a background refresh started, 0 when none is running.
    @inline(__always) var refreshStartedAt: UInt64 {
        get { word(4).load(ordering: .relaxed) }
        nonmutating set { word(4).store(newValue, ordering: .relaxed) }
    }

    /// No refresh before this time (after a failed stale refresh, `serve_stale … RECHECK`).
    @inline(__always) var retryAfter: UInt64 {
        get { word(5).load(ordering: .relaxed) }
        nonmutating set { word(5).store(newValue, ordering: .relaxed) }
    }

    /// Claims the entry's one background refresh: true for exactly one of the workers that saw
    /// `seen` as the start of the previous refresh (0: none).
    @inline(__always) func claimRefresh(seen: UInt64, now: UInt64) -> Bool {
        word(4).compareExchange(expected: seen, desired: now, ordering: .relaxed).exchanged
    }

    /// A new entry's state (writer, inside the entry's write bracket).
    func reset(hits: UInt32, lastHit: UInt64) {
        word(1).store(0, ordering: .relaxed)
        word(2).store(UInt64(hits), ordering: .relaxed)
        word(3).store(lastHit, ordering: .relaxed)
        word(4).store(0, ordering: .relaxed)
        word(5).store(0, ordering: .relaxed)
    }
}

/// A reader's copy of an entry (`CacheStore.read`): the copied fields, the sequence number it was
/// copied under, and where its bytes are. Copy bytes out through it, then check `isCurrent`.
/// Every offset it hands out has been checked to lie inside the arena (`CacheStore.fits`).
struct CacheRead {
    let entry: CacheEntry
    let sequence: UInt64
    let state: CacheEntryState
    let arena: UnsafeRawPointer

    /// True when no writer changed the entry since it was copied: what was read through this
    /// copy (the entry and its bytes) was consistent. Lock-free, allocation-free.
    @inline(__always) var isCurrent: Bool {
        atomicMemoryFence(ordering: .acquiring)
        return state.sequence.load(ordering: .relaxed) == sequence
    }

    @inline(__always) var message: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: arena + Int(entry.blob) + CacheStore.blobHeader + Int(entry.nameLength),
                               count: Int(entry.messageLength))
    }

    /// Start of the record TTL offsets (UInt16, native order, unaligned), `recordCount` of them.
    @inline(__always) var ttlOffsets: UnsafeRawPointer {
        arena + Int(entry.blob) + CacheStore.blobHeader + Int(entry.nameLength) + Int(entry.messageLength)
    }

    /// Cut point `i` (< `boundaryCount`). Racy memory: check it before trusting it.
    @inline(__always) func cutPoint(_ i: Int) -> CutPoint {
        let p = ttlOffsets + 2 * Int(entry.recordCount) + 4 * i
        return CutPoint(offset: p.loadUnaligned(as: UInt16.self), recordsBefore: p.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
    }
}
