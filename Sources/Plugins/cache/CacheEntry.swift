/// What the cache knows about one stored answer, besides its bytes.
///
/// A plain value kept in a preallocated table, so looking an answer up and updating its
/// statistics touches no reference count and allocates nothing. The bytes live in the store's
/// arena at `blob` (see `CacheStore` for the layout).
struct CacheEntry {
    /// The key's hash (`CacheKey.hash`), kept to re-home index slots and to compare cheaply.
    var hash: UInt64 = 0
    /// Monotonic nanoseconds when the answer was stored.
    var storedAt: UInt64 = 0
    /// Monotonic nanoseconds of the last hit (prefetch popularity).
    var lastHit: UInt64 = 0
    /// When a background refresh started, 0 when none is running.
    var refreshStartedAt: UInt64 = 0
    /// No refresh before this time (after a failed stale refresh, `serve_stale … RECHECK`).
    var retryAfter: UInt64 = 0
    /// Physical offset of the entry's blob in the arena; -1 for a free entry.
    var blob: Int32 = -1
    var blobLength: Int32 = 0
    /// Octets of the stored message (header, question, records, no OPT).
    var messageLength: Int32 = 0
    /// Hits in the current popularity run (`prefetch`).
    var hits: UInt32 = 0
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
    /// CLOCK's reference bit: set by a hit, cleared when the entry is given a second chance.
    var referenced = false

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
