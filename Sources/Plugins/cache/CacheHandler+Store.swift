#if canImport(Glibc)
import Glibc
#endif
import DNSWire

extension CacheHandler {
    /// The response hook: classify the final response, store it, and shape what the client gets.
    ///
    /// In CoreDNS's order (`ResponseWriter.WriteMsg`): every record's TTL becomes the duration
    /// the response is cached for (so a client never sees 1799 then 8 for the same name); the
    /// response is stored when it may be (right class, untruncated, matching question, zone not
    /// disabled); then the AD bit is cleared unless the client set DO or AD. A background
    /// refresh's response is only stored. Under `serve_stale … verify`, a failed fresh answer is
    /// replaced by the stale entry. The engine's own SERVFAIL (no plugin answered) is never
    /// stored: in CoreDNS that failure never reaches the cache's writer.
    /// - Complexity: O(response length). Allocation-free.
    func observe(_ request: Request, response: inout ResponseView) {
        // Marked by `serve` when the name is in a zone both tiers are disabled for.
        if request.responseHookIsMarked {
            shapeUnstored(request, response: &response)
            return
        }
        let bytes = response.bytes
        var wallClock = time_t(0)
        time(&wallClock)
        guard let scanned = scanner.scan(bytes, wallClock: Int64(wallClock)) else { return }
        let kind = ResponseType(scanned)
        let duration = CacheTTL.duration(for: kind, scanned, config: config)
        let key = CacheKey(request)
        let now = self.now
        let matches = questionMatches(scanned, bytes, request)

        // The entry this response refreshes: a stale one waiting under serve_stale, or the
        // entry a prefetch was started for (its popularity carries over to the new entry).
        if let (e, entryKind) = lookup(key, now: now), e.entry.remainingTTL(at: now) <= 0 {
            // Only a real refresh (RFC 8767 §4: NOERROR or NXDOMAIN) replaces a stale entry.
            let refreshed = !scanned.truncated && matches && kind != .otherError && kind != .meta && kind != .update
                && (scanned.rcode == .noError || scanned.rcode == .nameError) && request.answeredBy >= 0
            if !refreshed {
                if e.isCurrent {
                    e.state.refreshStartedAt = 0
                    e.state.retryAfter = now &+ recheck
                }
                if !request.isRefresh, config.serveStale?.refresh == .verify {
                    replaceWithStale(e, kind: entryKind, request: request, response: &response)
                }
                return
            }
        }
        var previous: (hits: UInt32, lastHit: UInt64)? = nil
        if let e = denial.read(key) ?? success.read(key), e.isCurrent {
            if request.isRefresh { previous = (e.state.hits, e.state.lastHit) }
            e.state.refreshStartedAt = 0
        }
        if !request.isRefresh { setTTLs(duration, in: response) }
        // A failure a plugin made up itself (forward with no upstream left, say) is not an
        // answer from anywhere: CoreDNS never sees it as a response, so it is not cached.
        if kind.isCacheable(scanned), duration > 0, scanned.optIsLast, request.answeredBy >= 0, request.failure == nil {
            if matches {
                store(kind, scanned, key: key, bytes: bytes, duration: duration, now: now, hits: previous)
            } else {
                counters.bump(.drops)
            }
        }
        clearADUnlessAsked(request, response: &response)
    }

    /// The response hook for a name nothing is stored for (`storesNothing(for:)`): what CoreDNS's
    /// `ResponseWriter.WriteMsg` still does to such a response, and nothing more. Every record's
    /// TTL becomes the duration the response would be cached for, a response that does not match
    /// the question counts as a drop (CoreDNS counts it before `set` looks at the disabled
    /// zones), and AD is cleared for clients that did not ask for it. There is no entry to
    /// refresh and nothing to store, so neither the stores nor the key's hash are touched, and the
    /// scan skips the RRset boundaries (what a stored entry is cut at). This is the whole cost of
    /// the cache on the kubeadm Corefile's cluster.local answers.
    /// - Complexity: O(response length). Allocation-free.
    func shapeUnstored(_ request: Request, response: inout ResponseView) {
        if let ttl = request.uniformTTL, keepsUniformTTL(ttl, response) {
            clearADUnlessAsked(request, response: &response)
            return
        }
        let bytes = response.bytes
        var wallClock = time_t(0)
        time(&wallClock)
        guard let scanned = scanner.scan(bytes, wallClock: Int64(wallClock), forStoring: false) else { return }
        let kind = ResponseType(scanned)
        let duration = CacheTTL.duration(for: kind, scanned, config: config)
        if !request.isRefresh { setTTLs(duration, in: response) }
        if kind.isCacheable(scanned), duration > 0, scanned.optIsLast, request.answeredBy >= 0, request.failure == nil,
           !questionMatches(scanned, bytes, request) {
            counters.bump(.drops)
        }
        clearADUnlessAsked(request, response: &response)
    }

    /// True when the response its plugin vouched for with `Request.uniformTTL` (every record at
    /// `ttl`, SOA MINIMUMs too, no NS in authority, the question echoed) would come out of
    /// `shapeUnstored`'s scan unchanged: a query (not an update or notify) answered NOERROR, or
    /// NXDOMAIN with no answer records, so it is classified NOERROR, NODATA or NXDOMAIN and its
    /// duration is `ttl` clamped to its tier's bounds; with `ttl` inside both tiers' bounds that
    /// is `ttl` itself, so every TTL is rewritten to the value it has. The question is the
    /// query's, so it matches and nothing counts as a drop.
    /// - Complexity: O(1): reads the header, not the records.
    func keepsUniformTTL(_ ttl: UInt32, _ response: ResponseView) -> Bool {
        guard response.length >= Header.size else { return false }
        let flags = UInt16(response.buffer[2]) << 8 | UInt16(response.buffer[3])
        let answers = UInt16(response.buffer[6]) << 8 | UInt16(response.buffer[7])
        guard flags & Header.opcodeMask == 0 else { return false }
        switch flags & 0x000F {
        case ResponseCode.noError.rawValue: break
        case ResponseCode.nameError.rawValue where answers == 0: break
        default: return false
        }
        return config.success.minTTL <= ttl && ttl <= config.success.maxTTL
            && config.denial.minTTL <= ttl && ttl <= config.denial.maxTTL
    }

    /// AD is cleared unless the client set DO or AD (CoreDNS's cache does this to every reply).
    @inline(__always)
    func clearADUnlessAsked(_ request: Request, response: inout ResponseView) {
        if !request.isRefresh, response.length >= Header.size, response.buffer[3] & 0x20 != 0,
           !request.dnssecOK, request.packet[3] & 0x20 == 0 {
            response.buffer[3] &= ~0x20
        }
    }

    /// CoreDNS's `Request.Match`: a response, one question, the same name (any case), type and class.
    func questionMatches(_ scanned: ScannedResponse, _ bytes: UnsafeRawBufferPointer, _ request: Request) -> Bool {
        // The question name must be written out (no pointer), so a hit can lay the client's
        // bytes over it.
        scanned.isResponse && scanned.questionCount == 1 && scanned.questionType == request.questionType
            && scanned.questionClass == request.questionClass
            && scanned.questionEnd == Header.size + request.query.nameLength + 4
            // The first name of a message cannot hold a pointer (it would have to point before
            // offset 12, into the header), so the question of that length lies at offset 12
            // written out: compare the octets, case folded.
            && WireName.equalIgnoringCase(UnsafeRawBufferPointer(rebasing: bytes[Header.size..<(Header.size + request.query.nameLength)]),
                                          request.questionName)
    }

    /// Sets every record's TTL (OPT excluded) to `ttl`, at the offsets the last scan found.
    func setTTLs(_ ttl: UInt32, in response: ResponseView) {
        guard let base = response.buffer.baseAddress else { return }
        let bigEndian = ttl.bigEndian
        for offset in scanner.recordTTLOffsets where Int(offset) + 4 <= response.length {
            (base + Int(offset)).storeBytes(of: bigEndian, as: UInt32.self)
        }
    }

    /// Copies the scanned response into the store of its class, unless its zone is disabled.
    func store(_ kind: ResponseType, _ scanned: ScannedResponse, key: CacheKey, bytes: UnsafeRawBufferPointer,
               duration: UInt32, now: UInt64, hits: (hits: UInt32, lastHit: UInt64)?) {
        let target: CacheShards
        let question = key.name
        switch kind {
        case .noError, .delegation:
            guard !disabledSuccess.contains(question) else { return }
            target = success
        case .nameError, .noData, .serverError:
            guard !disabledDenial.contains(question) else { return }
            target = denial
        default:
            return
        }
        var record = CacheStore.Record(ttl: duration, storedAt: now, rcode: UInt8(truncatingIfNeeded: scanned.rcode.rawValue & 0x0F),
                                       answerCount: UInt16(scanned.answerCount), authorityCount: UInt16(scanned.authorityCount),
                                       additionalCount: UInt16(scanned.additionalCount),
                                       questionEnd: UInt16(scanned.questionEnd))
        if let hits {
            record.hits = hits.hits
            record.lastHit = hits.lastHit
        }
        let message = UnsafeRawBufferPointer(rebasing: bytes[0..<scanned.storedLength])
        let evicted = target.insert(key, message: message, ttlOffsets: scanner.recordTTLOffsets, cuts: scanner.cutPoints,
                                    record: record, now: now)
        if target === success {
            // A fresh positive answer supersedes a denial (or SERVFAIL) stored for the same key.
            denial.remove(key)
            counters.bump(.evictionsSuccess, by: evicted)
        } else {
            counters.bump(.evictionsDenial, by: evicted)
        }
    }

    /// Rewrites a failed response (`serve_stale … verify`) as the stale entry's answer.
    /// The stale entry is written into the handler's scratch buffer first and copied over the
    /// response only when it stayed current during the copy; otherwise the failure goes out.
    func replaceWithStale(_ e: CacheRead, kind: Kind, request: Request, response: inout ResponseView) {
        guard let scratch = staleScratch, let destination = response.buffer.baseAddress,
              let length = write(e, answering: request, ttl: config.serveStale?.responseTTL ?? 0,
                                 into: scratch, limit: min(response.limit, response.buffer.count)),
              e.isCurrent, let source = scratch.baseAddress else { return }
        destination.copyMemory(from: source, byteCount: length)
        response.length = length
        counters.bump(.servedStale)
    }
}
