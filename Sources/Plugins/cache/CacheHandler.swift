import DNSWire

/// One worker's cache: looks queries up, answers hits from its stores, and stores the answers
/// the rest of the chain gives to misses (through a response hook).
///
/// A hit costs a hash of the name, one or two probes, a copy of the stored message into the
/// output buffer and a few patches (ID, flags, the client's question bytes, TTLs, OPT): no
/// allocation, no lock. A miss adds a hook and passes the query on; the hook reads the final
/// response in place (`ResponseScanner`), classifies it as CoreDNS does and copies it into the
/// store — also without allocating.
///
/// Owned by one worker thread; never shared.
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
    let success: CacheStore
    let denial: CacheStore
    let scanner = ResponseScanner()
    let counters: CacheCounters
    /// How long after expiry an entry may be served (serve_stale), in nanoseconds; 0 when off.
    let staleWindow: UInt64
    let prefetchWindow: UInt64
    let recheck: UInt64
    /// A background refresh that has not reported back after this long is presumed lost.
    static let refreshTimeout: UInt64 = 10_000_000_000
    /// Added to every clock reading: lets tests move time forward.
    var timeShift: UInt64 = 0

    /// - Parameter memoryBudget: bytes both stores may take together (from the pod's memory
    ///   limit), nil for no limit; only default capacities shrink to fit it.
    init(config: CacheConfig, workers: Int, memoryBudget: Int? = nil, counters: CacheCounters = CacheCounters()) {
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
        } else {
            disabledTail = nil
        }
        success = CacheStore(entryCapacity: CacheConfig.perWorkerCapacity(config.success, workers: workers,
                                                                         memoryBudget: memoryBudget))
        denial = CacheStore(entryCapacity: CacheConfig.perWorkerCapacity(config.denial, workers: workers,
                                                                        memoryBudget: memoryBudget))
        self.counters = counters
        staleWindow = config.serveStale.map { CacheHandler.nanoseconds($0.maxAge) } ?? 0
        prefetchWindow = config.prefetch.map { CacheHandler.nanoseconds($0.window) } ?? 0
        recheck = config.serveStale.map { CacheHandler.nanoseconds($0.failureRecheck) } ?? 0
        success.staleWindow = staleWindow
        denial.staleWindow = staleWindow
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
    func usable(_ e: UnsafeMutablePointer<CacheEntry>, _ now: UInt64) -> Bool {
        let remaining = e.pointee.remainingTTL(at: now)
        if remaining > 0 { return true }
        return staleWindow > 0 && UInt64(-remaining) &* 1_000_000_000 < staleWindow
    }

    /// CoreDNS's order: the denial cache first, except that a cached SERVFAIL gives way to a
    /// usable positive answer for the same key.
    /// - Complexity: O(1) expected. Allocation-free.
    @inline(__always)
    func lookup(_ key: CacheKey, now: UInt64) -> (entry: UnsafeMutablePointer<CacheEntry>, kind: Kind)? {
        if let n = denial.find(key), usable(n, now) {
            if n.pointee.rcode == UInt8(ResponseCode.serverFailure.rawValue), let p = success.find(key), usable(p, now) {
                return (p, .success)
            }
            return (n, .denial)
        }
        if let p = success.find(key), usable(p, now) { return (p, .success) }
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
            request.addResponseHook()
            return .next
        }
        let key = CacheKey(request)
        let now = request.receivedAt &+ timeShift
        guard let (e, kind) = lookup(key, now: now) else {
            counters.bump(.misses)
            request.addResponseHook()
            return .next
        }
        counters.bump(kind == .success ? .hitsSuccess : .hitsDenial)
        e.pointee.referenced = true
        let remaining = e.pointee.remainingTTL(at: now)
        let store = kind == .success ? success : denial
        let ttl: UInt32
        var refresh = false
        if remaining <= 0, let stale = config.serveStale {
            if stale.refresh == .verify {
                // Without a recheck delay every query verifies (CoreDNS); with one, a failed or
                // running verification lets the stale entry answer at once until it passes.
                if recheck == 0 || canRefresh(e, now) {
                    if recheck > 0 { e.pointee.refreshStartedAt = now }
                    request.addResponseHook()
                    return .next
                }
            } else {
                refresh = canRefresh(e, now)
            }
            ttl = stale.responseTTL
            counters.bump(.servedStale)
        } else {
            ttl = config.keepTTL ? e.pointee.ttl : UInt32(clamping: remaining)
            if let prefetch = config.prefetch { refresh = shouldPrefetch(e, prefetch, remaining: remaining, now: now) }
        }
        let output = request.writableOutput()
        guard let length = write(e, from: store, answering: request, ttl: ttl, into: output,
                                 limit: min(request.outputLimit, output.count)) else {
            // Not even the question fits the client's size: let the chain answer as it would.
            request.addResponseHook()
            return .next
        }
        request.setRawResponse(length: length)
        if refresh {
            // The refresh may complete before `startRefresh` returns and replace `e`; it is not
            // touched afterwards.
            e.pointee.refreshStartedAt = now
            counters.bump(.prefetches)
            if !engine.startRefresh(like: request) { e.pointee.refreshStartedAt = 0 }
        }
        return .answered
    }

    /// True when no refresh of `e` is running and none failed within the recheck delay.
    @inline(__always)
    func canRefresh(_ e: UnsafeMutablePointer<CacheEntry>, _ now: UInt64) -> Bool {
        let started = e.pointee.refreshStartedAt
        if started != 0, now &- started < CacheHandler.refreshTimeout { return false }
        return now >= e.pointee.retryAfter
    }

    /// CoreDNS's popularity rule: count the hit (a gap of `window` or more restarts the count),
    /// then prefetch once the entry has `amount` hits and at most `percentage` of its TTL left.
    @inline(__always)
    func shouldPrefetch(_ e: UnsafeMutablePointer<CacheEntry>, _ prefetch: CacheConfig.Prefetch, remaining: Int64,
                        now: UInt64) -> Bool {
        if e.pointee.lastHit == 0 || now &- e.pointee.lastHit > prefetchWindow {
            e.pointee.hits = 1
        } else {
            e.pointee.hits &+= 1
        }
        e.pointee.lastHit = now
        let threshold = (UInt64(prefetch.percentage) * UInt64(e.pointee.ttl) + 99) / 100
        guard Int(e.pointee.hits) >= prefetch.amount, remaining <= Int64(threshold) else { return false }
        return canRefresh(e, now)
    }

    // MARK: Response hook

    func responseWillBeSent(_ request: Request, response: inout ResponseView, engine: QueryEngine) {
        observe(request, response: &response)
    }

    func updateGauges() {
        counters.set(.entriesSuccess, UInt64(success.count))
        counters.set(.entriesDenial, UInt64(denial.count))
    }
}
