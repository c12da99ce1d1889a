import DNSWire

/// How the cache sees a response: CoreDNS's `response.Typify` (the shared `ResponseType`) plus the
/// cache's own refinements (`cacheResponseType`, `key` in `plugin/cache/cache.go`).
extension ResponseType {
    /// The success cache holds answers and referrals; the denial cache the rest it stores.
    var isSuccess: Bool { self == .noError || self == .delegation }

    /// Classifies a scanned response (`Typify`, then NOERROR answers that do not answer the
    /// question but carry an SOA count as NODATA).
    init(_ r: ScannedResponse) {
        self = ResponseType.typify(r)
        if self == .noError, r.soaInAuthority, r.answerCount > 0, !r.answersQuestion {
            self = .noData
        }
    }

    static func typify(_ r: ScannedResponse) -> ResponseType {
        if r.opcode == .update { return .update }
        if r.opcode == .notify { return .meta }
        if r.questionCount > 0, r.questionType == .axfr || r.questionType == .ixfr { return .meta }
        if r.dnssecOK, r.expiredSignature { return .otherError }
        if r.answerCount > 0, r.rcode == .noError { return .noError }
        if r.answerCount > 0, r.rcode == .nameError { return .otherError }
        if r.soaInAuthority, r.rcode == .noError { return .noData }
        if r.rcode == .nameError { return .nameError }
        if r.rcode == .serverFailure || r.rcode == .notImplemented { return .serverError }
        if r.nsInAuthority, r.rcode == .noError { return .delegation }
        if r.rcode == .noError { return .noError }
        return .otherError
    }

    /// Whether a response of this class may be stored at all (CoreDNS's `key`): never a
    /// truncated one, an error other than SERVFAIL/NOTIMP, a transfer or update, an NXDOMAIN
    /// without SOA (no negative TTL to go by), or a NOERROR whose answers do not answer the
    /// question and that has no SOA (an incomplete CNAME chain, RFC 2308 §5).
    func isCacheable(_ r: ScannedResponse) -> Bool {
        if r.truncated { return false }
        switch self {
        case .otherError, .meta, .update: return false
        case .nameError: return r.soaInAuthority
        case .noError: return r.soaInAuthority || r.answerCount == 0 || r.answersQuestion
        default: return true
        }
    }
}

/// TTL arithmetic of the cache (`computeTTL`, `dnsutil.MinimalTTLWithMaximum`).
enum CacheTTL {
    /// CoreDNS's fail-safe TTL for responses with nothing to take a TTL from.
    static let minimalDefault: UInt32 = 5

    /// How long a response is kept (and the TTL every one of its records is given).
    ///
    /// Positive answers and denials: the smallest TTL of any record but OPT (5 s when there is
    /// none, or for referrals), clamped to [MINTTL, MAXTTL] of their cache. Denials are further
    /// bounded by the SOA's MINIMUM field, as RFC 2308 §5 prescribes (CoreDNS does not read it:
    /// a difference documented in the plugin's doc). Server failures: the `servfail` duration.
    static func duration(for kind: ResponseType, _ r: ScannedResponse, config: CacheConfig) -> UInt32 {
        switch kind {
        case .nameError, .noData:
            var ttl = minimal(kind, r, maximum: config.denial.maxTTL)
            if let soaMinimum = r.soaMinimum { ttl = min(ttl, soaMinimum) }
            return clamp(ttl, min: config.denial.minTTL, max: config.denial.maxTTL)
        case .serverError:
            return config.servfailTTL
        default:
            return clamp(minimal(kind, r, maximum: config.success.maxTTL), min: config.success.minTTL, max: config.success.maxTTL)
        }
    }

    /// The smallest record TTL, at most `maximum`; 5 s for responses of other kinds or with no
    /// record to read a TTL from.
    static func minimal(_ kind: ResponseType, _ r: ScannedResponse, maximum: UInt32) -> UInt32 {
        guard kind == .noError || kind == .nameError || kind == .noData else { return minimalDefault }
        guard let smallest = r.minimumTTL else { return minimalDefault }
        return min(smallest, maximum)
    }

    /// CoreDNS applies the minimum first, then the maximum (so a minimum above the maximum loses).
    static func clamp(_ ttl: UInt32, min low: UInt32, max high: UInt32) -> UInt32 {
        Swift.min(Swift.max(ttl, low), high)
    }
}
