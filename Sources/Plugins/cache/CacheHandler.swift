import DNSWire

/// One worker's view of a server block's cache: looks queries up, answers hits from the stores
/// every worker shares (`CacheShards`), and stores the answers the rest of the chain gives to
/// misses (through a response hook).
///
/// A hit costs a hash of the name, one or two lock-free probes, a copy of the stored message into
/// the output buffer, a few patches (ID, flags, the client's question bytes, TTLs, OPT) and a
/// check of the entry's sequence number: no allocation, no lock, no store to memory another
/// worker reads (but the entry's reference bit, once). A miss adds a hook and passes the query
/// on; the hook reads the final response in place (`ResponseScanner`), classifies it as CoreDNS
/// does and copies it into the shared store under its shard's lock — also without allocating.
///
/// The handler (scanner, counters) is owned by one worker thread; the stores are shared.
final class CacheHandler: PluginHandler {
    let config: CacheConfig
    let zones: CacheZones
    let disabledSuccess: CacheZones
    let disabledDenial: CacheZones
    /// `disable success` and `disable denial` name the same zones (the kubeadm Corefile's
    /// `cluster.local`): one test then says whether a name can be stored at all.
    let disabledAlike: Bool
    /// With one disabled zone of 8 octets or more (the kubeadm block's `cluster.local.`), alike
    /// in both tiers: its last eight octets, lowercase, so most names outside it are told apart
    /// with one 8-octet compare before the zone test (a cache hit pays for this test).
    let disabledTail: UInt64?
    /// That one zone's lowercase wire octets, in memory this handler owns: tested in place of
    /// `disabledSuccess.contains`, which walks an array of arrays (a retain and release each).
    let disabledZone: UnsafeMutableRawBufferPointer?
    let success: CacheShards
    let denial: CacheShards
    let scanner = ResponseScanner()
    let counters: CacheCounters
    /// How long after expiry an entry may be served (serve_stale), in nanoseconds; 0 when off.
    let staleWindow: UInt64
    let prefetchWindow: UInt64
    let recheck: UInt64
    /// A background refresh that has not reported back after this long is presumed lost.
    static let refreshTimeout: UInt64 = 10_000_000_000
    /// Where `serve_stale … verify` writes a stale answer before checking it was read whole
    /// (allocated only with `verify`; a DNS message is at most 65 535 octets).
    let staleScratch: UnsafeMutableRawBufferPointer?
    /// Added to every clock reading: lets tests move time forward.
    var timeShift: UInt64 = 0

    /// A handler with stores of its own, for `workers` workers sharing them (tests, and the
    /// in-process resolver): see `makeStores`.
    /// - Parameter memoryBudget: bytes both stores may take together per worker (from the pod's
    ///   memory limit), nil for no limit; only default capacities shrink to fit it.
    convenience init(config: CacheConfig, workers: Int, memoryBudget: Int? = nil, counters: CacheCounters = CacheCounters()) {
        let stores = CacheHandler.makeStores(config: config, workers: workers, memoryBudget: memoryBudget)
        self.init(config: config, success: stores.success, denial: stores.denial, counters: counters)
    }

    /// The success and denial stores of one `cache` directive, shared by `workers` workers:
    /// `CacheConfig.serverCapacity` entries each, in `CacheShards.shardCount` shards.
    /// - Parameter memoryBudget: bytes one worker's share of both stores may take.
    static func makeStores(config: CacheConfig, workers: Int, memoryBudget: Int?) -> (success: CacheShards, denial: CacheShards) {
        let staleWindow = config.serveStale.map { nanoseconds($0.maxAge) } ?? 0
        func make(_ tier: CacheConfig.Tier) -> CacheShards {
            let capacity = CacheConfig.serverCapacity(tier, workers: workers, memoryBudget: memoryBudget)
            return CacheShards(capacity: capacity, shards: CacheShards.shardCount(capacity: capacity, workers: workers),
                               staleWindow: staleWindow)
        }
        return (make(config.success), make(config.denial))
    }

    init(config: CacheConfig, success: CacheShards, denial: CacheShards, counters: CacheCounters) {
        self.config = config
        zones = CacheZones(config.zones)
        disabledSuccess = CacheZones(config.disabledSuccess)
        disabledDenial = CacheZones(config.disabledDenial)
        disabledAlike = Set(config.disabledSuccess.map { $0.lowercased() }) == Set(config.disabledDenial.map { $0.lowercased() })
        if disabledAlike, config.disabledSuccess.count == 1, let zone = config.disabledSuccess.first?.lowercased().wire,
           zone.count >= 8 {
            var tail: UInt64 = 0
            withUnsafeMutableBytes(of: &tail) { $0.copyBytes(from: zone[(zone.count - 8)...]) }
            disabledTail = tail
            let bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: zone.count, alignment: 8)
            bytes.copyBytes(from: zone)
            disabledZone = bytes
        } else {
            disabledTail = nil
            disabledZone = nil
        }
        self.success = success
        self.denial = denial
        self.counters = counters
        staleWindow = config.serveStale.map { CacheHandler.nanoseconds($0.maxAge) } ?? 0
        prefetchWindow = config.prefetch.map { CacheHandler.nanoseconds($0.window) } ?? 0
        recheck = config.serveStale.map { CacheHandler.nanoseconds($0.failureRecheck) } ?? 0
        staleScratch = config.serveStale?.refresh == .verify
            ? UnsafeMutableRawBufferPointer.allocate(byteCount: 65535, alignment: 8) : nil
    }

    deinit {
        staleScratch?.deallocate()
        disabledZone?.deallocate()
    }

    static func nanoseconds(_ d: Duration) -> UInt64 {
        let c = d.components
        guard c.seconds >= 0 else { return 0 }
        return UInt64(c.seconds) &* 1_000_000_000 &+ UInt64(c.attoseconds / 1_000_000_000)
    }

    @inline(__always) var now: UInt64 { monotonicNanoseconds() &+ timeShift }

    /// Which store an entry came from.
    enum Kind { case success, denial }

    // MARK: Lookup

    /// True when `e` may answer at `now`: unexpired, or expired for less than the stale window.
    @inline(__always)
    func usable(_ e: CacheRead, _ now: UInt64) -> Bool {
        let remaining = e.entry.remainingTTL(at: now)
        if remaining > 0 { return true }
        return staleWindow > 0 && UInt64(-remaining) &* 1_000_000_000 < staleWindow
    }

    /// CoreDNS's order: the denial cache first, except that a cached SERVFAIL gives way to a
    /// usable positive answer for the same key.
    /// The entry returned is a reader's copy: check `isCurrent` after copying its bytes.
    /// - Complexity: O(1) expected. Lock-free, allocation-free.
    @inline(__always)
    func lookup(_ key: CacheKey, now: UInt64) -> (entry: CacheRead, kind: Kind)? {
        if let n = denial.read(key), usable(n, now) {
            if n.entry.rcode == UInt8(ResponseCode.serverFailure.rawValue), let p = success.read(key), usable(p, now) {
                return (p, .success)
            }
            return (n, .denial)
        }
        if let p = success.read(key), usable(p, now) { return (p, .success) }
        return nil
    }

    /// True when no response for `name` can ever be stored: both tiers are disabled for it (the
    /// kubeadm Corefile's `disable success cluster.local` and `disable denial cluster.local`).
    /// Every class of response goes to one of the two tiers, so nothing is in the stores for
    /// such a name, and a lookup could only miss.
    /// - Complexity: O(disabled zones × name length). Allocation-free.
    @inline(__always)
    func storesNothing(for name: UnsafeRawBufferPointer) -> Bool {
        if var tail = disabledTail {
            // A name in the zone ends with the zone's octets (any case); most names do not.
            guard name.count >= 8, withUnsafeBytes(of: &tail, { tailBytes in
                WireName.equalIgnoringCase(UnsafeRawBufferPointer(rebasing: name[(name.count - 8)...]), tailBytes)
            }) else { return false }
            if let zone = disabledZone { return ZoneMatch.offset(of: UnsafeRawBufferPointer(zone), in: name) != nil }
            return disabledSuccess.contains(name)
        }
        if disabledAlike { return disabledSuccess.contains(name) }
        return disabledSuccess.contains(name) && disabledDenial.contains(name)
    }

    /// The types never looked up nor stored (CoreDNS's `Meta`).
    @inline(__always) static func isMeta(_ type: RecordType) -> Bool { type == .axfr || type == .ixfr }

    // MARK: Serving

    func serve(_ request: Request, engine: QueryEngine) -> PluginResult {
        guard request.query.hasQuestion, !CacheHandler.isMeta(request.questionType),
              zones.contains(request.questionName) else { return .next }
        counters.bump(.requests)
        if storesNothing(for: request.questionName) {
            // CoreDNS's miss (counted as one), without hashing the name for a lookup that cannot
            // find anything. The hook still shapes the response (TTLs, AD) as for any miss.
            counters.bump(.misses)
            request.addResponseHook(marked: true)
            return .next
        }
        let key = CacheKey(request)
        let now = request.receivedAt &+ timeShift
        guard let (e, kind) = lookup(key, now: now) else {
            counters.bump(.misses)
            request.addResponseHook()
            return .next
        }
        let remaining = e.entry.remainingTTL(at: now)
        let ttl: UInt32
        var refresh = false
        var servedStale = false
        if remaining <= 0, let stale = config.serveStale {
            if stale.refresh == .verify {
                // Without a recheck delay every query verifies (CoreDNS); with one, a failed or
                // running verification lets the stale entry answer at once until it passes (one
                // worker claims the verification, the others answer stale meanwhile).
                if recheck == 0 || claimRefresh(e.state, now) {
                    counters.bump(kind == .success ? .hitsSuccess : .hitsDenial)
                    request.addResponseHook()
                    return .next
                }
            } else {
                refresh = canRefresh(e.state, now)
            }
            ttl = stale.responseTTL
            servedStale = true
        } else {
            ttl = config.keepTTL ? e.entry.ttl : UInt32(clamping: remaining)
            if let prefetch = config.prefetch { refresh = shouldPrefetch(e, prefetch, remaining: remaining, now: now) }
        }
        let output = request.writableOutput()
        guard let length = write(e, answering: request, ttl: ttl, into: output,
                                 limit: min(request.outputLimit, output.count)) else {
            // Not even the question fits the client's size: let the chain answer as it would.
            counters.bump(kind == .success ? .hitsSuccess : .hitsDenial)
            if servedStale { counters.bump(.servedStale) }
            request.addResponseHook()
            return .next
        }
        guard e.isCurrent else {
            // A writer changed the entry while it was copied (replaced, evicted, moved): what the
            // output holds may be torn. Answer as a miss; the chain overwrites the output.
            counters.bump(.misses)
            request.addResponseHook()
            return .next
        }
        counters.bump(kind == .success ? .hitsSuccess : .hitsDenial)
        if servedStale { counters.bump(.servedStale) }
        e.state.markReferenced()
        request.setRawResponse(length: length)
        if refresh, claimRefresh(e.state, now) {
            // The refresh may complete before `startRefresh` returns and replace the entry; the
            // state words are only touched again if it did not start.
            counters.bump(.prefetches)
            if !engine.startRefresh(like: request) { e.state.refreshStartedAt = 0 }
        }
        return .answered
    }

    /// True when no refresh of the entry is running and none failed within the recheck delay.
    @inline(__always)
    func canRefresh(_ state: CacheEntryState, _ now: UInt64) -> Bool {
        let started = state.refreshStartedAt
        if started != 0, now &- started < CacheHandler.refreshTimeout { return false }
        return now >= state.retryAfter
    }

    /// `canRefresh`, then takes the entry's one refresh for this worker: true for only one of
    /// the workers that try at once.
    @inline(__always)
    func claimRefresh(_ state: CacheEntryState, _ now: UInt64) -> Bool {
        let started = state.refreshStartedAt
        if started != 0, now &- started < CacheHandler.refreshTimeout { return false }
        guard now >= state.retryAfter else { return false }
        return state.claimRefresh(seen: started, now: max(now, 1))
    }

    /// CoreDNS's popularity rule: count the hit (a gap of `window` or more restarts the count),
    /// then prefetch once the entry has `amount` hits and at most `percentage` of its TTL left.
    ///
    /// The words are shared by the workers, so a hit writes them only when that changes
    /// something: the count stops at `amount` (all the rule asks), and the time of the last hit
    /// is stored when it moved by 1/1024 of the window or more (the gap is then known to within
    /// 0.1 % of the window). Concurrent hits may lose a count; the rule only needs "popular".
    @inline(__always)
    func shouldPrefetch(_ e: CacheRead, _ prefetch: CacheConfig.Prefetch, remaining: Int64, now: UInt64) -> Bool {
        let state = e.state
        let lastHit = state.lastHit
        var hits = state.hits
        if lastHit == 0 || now &- lastHit > prefetchWindow {
            hits = 1
            state.hits = 1
            state.lastHit = max(now, 1)
        } else {
            if Int(hits) < prefetch.amount {
                hits &+= 1
                state.hits = hits
            }
            if now &- lastHit >= prefetchWindow >> 10 { state.lastHit = now }
        }
        let threshold = (UInt64(prefetch.percentage) * UInt64(e.entry.ttl) + 99) / 100
        guard Int(hits) >= prefetch.amount, remaining <= Int64(threshold) else { return false }
        return canRefresh(state, now)
    }

    // MARK: Response hook

    func responseWillBeSent(_ request: Request, response: inout ResponseView, engine: QueryEngine) {
        observe(request, response: &response)
    }
}
