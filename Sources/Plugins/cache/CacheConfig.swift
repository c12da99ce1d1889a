import Corefile
import DNSWire

/// The `cache` directive, typed: what is cached, for how long, and how big the cache may grow.
///
/// Defaults are CoreDNS's (`plugin/cache/cache.go`, `setup.go`): 9984 entries per cache, at most
/// 3600 s for answers and 1800 s for denials, at least 5 s, SERVFAIL kept 5 s, prefetch off
/// (when on: 1 minute window, 10 %), serve_stale off (when on: 1 hour, `immediate`, TTL 0).
///
/// Deliberate differences, each documented in `Docs/plugins/cache.md`:
/// - several `disable success|denial` lines add up (CoreDNS keeps only the last one);
/// - arguments after the last one a property takes are an error (CoreDNS ignores them);
/// - `serve_stale … verify TIMEOUT` with a non-zero timeout and `serve_stale_policy` are refused
///   as not supported yet, instead of being silently misread.
public struct CacheConfig: Sendable, Equatable {
    /// Settings of one of the two caches (`success`, `denial`).
    public struct Tier: Sendable, Equatable {
        /// Entries the whole server keeps (all workers together), after CoreDNS's rounding:
        /// a multiple of 256, at least 1024.
        public var capacity: Int
        /// Longest time an entry is kept, in seconds (caps the response's TTL).
        public var maxTTL: UInt32
        /// Shortest time an entry is kept, in seconds (raises the response's TTL).
        public var minTTL: UInt32
        /// True when the Corefile set the capacity (`success|denial CAPACITY`). Only a default
        /// capacity gives way to a pod's memory limit (`WorkerContext.cacheMemoryBudget`): one
        /// the operator wrote is kept as written.
        public var capacityIsExplicit: Bool

        public init(capacity: Int, maxTTL: UInt32, minTTL: UInt32, capacityIsExplicit: Bool = false) {
            self.capacity = capacity
            self.maxTTL = maxTTL
            self.minTTL = minTTL
            self.capacityIsExplicit = capacityIsExplicit
        }
    }

    /// `prefetch AMOUNT [DURATION [PERCENTAGE%]]`.
    public struct Prefetch: Sendable, Equatable {
        /// Hits an entry needs, each less than `window` after the previous one, to be popular.
        public var amount: Int
        public var window: Duration
        /// Refresh once the remaining TTL is at most this share of the original (10...90).
        public var percentage: Int

        public init(amount: Int, window: Duration = .seconds(60), percentage: Int = 10) {
            self.amount = amount
            self.window = window
            self.percentage = percentage
        }
    }

    /// When an expired entry is refreshed under `serve_stale`.
    public enum StaleRefresh: Sendable, Equatable {
        /// Answer with the stale entry at once, refresh in the background.
        case immediate
        /// Ask the next plugins first; answer with the stale entry only if they fail.
        case verify
    }

    /// `serve_stale [DURATION] [immediate [RESPONSE_TTL [FAILURE_RECHECK]] | verify [0 [RESPONSE_TTL [FAILURE_RECHECK]]]]`.
    public struct ServeStale: Sendable, Equatable {
        /// How long after expiry an entry may still be served.
        public var maxAge: Duration
        public var refresh: StaleRefresh
        /// The TTL stale answers carry (CoreDNS: 0; RFC 8767 recommends 30).
        public var responseTTL: UInt32
        /// After a failed refresh, how long to serve the stale entry without trying again.
        public var failureRecheck: Duration

        public init(maxAge: Duration = .seconds(3600), refresh: StaleRefresh = .immediate, responseTTL: UInt32 = 0,
                    failureRecheck: Duration = .zero) {
            self.maxAge = maxAge
            self.refresh = refresh
            self.responseTTL = responseTTL
            self.failureRecheck = failureRecheck
        }
    }

    /// CoreDNS's `defaultCap` (10000) as its 256 shards hold it: 256 × 39.
    public static let defaultCapacity = 9984
    /// CoreDNS never makes a shard smaller than 4 entries: 256 × 4.
    public static let minimumCapacity = 1024
    public static let defaultMaxSuccessTTL: UInt32 = 3600
    public static let defaultMaxDenialTTL: UInt32 = 1800
    public static let defaultMinTTL: UInt32 = 5
    public static let defaultServfailTTL: UInt32 = 5
    /// RFC 2308 §7.1: a server failure may be cached for at most five minutes.
    public static let maxServfailTTL: UInt32 = 300

    /// Zones whose queries the cache handles (lowercase); others pass through untouched.
    public var zones: [DomainName]
    public var success: Tier
    public var denial: Tier
    /// Seconds a SERVFAIL (or NOTIMP) answer is kept in the denial cache; 0 disables.
    public var servfailTTL: UInt32
    public var prefetch: Prefetch?
    public var serveStale: ServeStale?
    /// Zones whose positive answers are never stored (`disable success ZONES`).
    public var disabledSuccess: [DomainName]
    /// Zones whose denials and failures are never stored (`disable denial ZONES`).
    public var disabledDenial: [DomainName]
    /// Serve the TTL an entry was stored with instead of the remaining one.
    public var keepTTL: Bool

    public init(zones: [DomainName] = [.root],
                success: Tier = Tier(capacity: defaultCapacity, maxTTL: defaultMaxSuccessTTL, minTTL: defaultMinTTL),
                denial: Tier = Tier(capacity: defaultCapacity, maxTTL: defaultMaxDenialTTL, minTTL: defaultMinTTL),
                servfailTTL: UInt32 = defaultServfailTTL, prefetch: Prefetch? = nil, serveStale: ServeStale? = nil,
                disabledSuccess: [DomainName] = [], disabledDenial: [DomainName] = [], keepTTL: Bool = false) {
        self.zones = zones
        self.success = success
        self.denial = denial
        self.servfailTTL = servfailTTL
        self.prefetch = prefetch
        self.serveStale = serveStale
        self.disabledSuccess = disabledSuccess
        self.disabledDenial = disabledDenial
        self.keepTTL = keepTTL
    }

    /// The capacity CoreDNS ends up with for a requested one: whole shards of 256, at least 4 per shard.
    public static func effectiveCapacity(_ requested: Int) -> Int {
        max(requested / 256, 4) * 256
    }

    /// How many entries one worker's cache holds: an even share of `capacity`, never below 64
    /// (a tiny share would thrash on every new name).
    public static func perWorkerCapacity(_ capacity: Int, workers: Int) -> Int {
        max(capacity / max(workers, 1), minimumPerWorkerCapacity)
    }

    static let minimumPerWorkerCapacity = 64

    /// How many entries one worker's store of `tier` holds, given the bytes this worker's copy of
    /// the plugin may take (`memoryBudget`, for both stores; nil for no limit). A default
    /// capacity shrinks until both stores fit the budget, never below 64 entries; an explicit
    /// one is kept.
    public static func perWorkerCapacity(_ tier: Tier, workers: Int, memoryBudget: Int?) -> Int {
        let share = perWorkerCapacity(tier.capacity, workers: workers)
        guard let memoryBudget, !tier.capacityIsExplicit else { return share }
        return min(share, max(CacheStore.entries(fittingIn: memoryBudget / 2), minimumPerWorkerCapacity))
    }

    /// How many entries the store of `tier` shared by `workers` workers holds: the tier's
    /// capacity, or, when a default capacity gives way to a memory limit, the workers' shares of
    /// `perWorkerCapacity` added up (so the cache takes what the per-worker budgets allow).
    /// - Parameter memoryBudget: bytes one worker's share of the plugin may take, nil for no limit.
    public static func serverCapacity(_ tier: Tier, workers: Int, memoryBudget: Int?) -> Int {
        guard memoryBudget != nil, !tier.capacityIsExplicit else { return tier.capacity }
        return min(tier.capacity, perWorkerCapacity(tier, workers: workers, memoryBudget: memoryBudget) * max(workers, 1))
    }

    static let largestTTL = Int(Int32.max)

    /// Builds the `cache` plugin of a server block.
    public static let setup: PluginSetupFunction = { (directive, block) throws(CorefileError) in
        let config = try CacheConfig.parse(directive, serverBlockZones: block.block.zones)
        return CachePlugin(config: config, serverLabel: "dns://:\(block.port)")
    }

    /// Parses `cache [TTL] [ZONES...] { … }`.
    /// - Parameter serverBlockZones: the block's zones, used when the directive names none.
    /// - Throws: `CorefileError` at the offending line for every malformed argument or property.
    public static func parse(_ directive: Directive, serverBlockZones: [String]) throws(CorefileError) -> CacheConfig {
        var config = CacheConfig()
        var arguments = directive.arguments[...]
        if let first = arguments.first, Int(first.text) != nil {
            // A leading number is the TTL cap of both caches, as in CoreDNS; 0 is reserved there.
            let ttl = try directive.integer(first, in: 1...largestTTL)
            config.success.maxTTL = UInt32(ttl)
            config.denial.maxTTL = UInt32(ttl)
            arguments = arguments.dropFirst()
        }
        config.zones = try names(directive.zones(from: arguments, orServerBlock: serverBlockZones), directive)
        for property in directive.properties {
            try property.noBlock()
            switch property.name {
            case "success":
                config.success = try tier(property, defaults: config.success)
            case "denial":
                config.denial = try tier(property, defaults: config.denial)
            case "prefetch":
                config.prefetch = try prefetch(property)
            case "serve_stale":
                config.serveStale = try serveStale(property)
            case "serve_stale_policy":
                throw property.error("not supported yet by ClusterDNS (CoreDNS's prefer_positive policy)")
            case "servfail":
                try property.requireArguments(exactly: 1)
                let duration = try property.duration(at: 0, in: .zero ... .seconds(Int64(maxServfailTTL)))
                config.servfailTTL = UInt32(duration.components.seconds)
            case "disable":
                let arguments = try property.requireArguments(min: 1)
                let kind = arguments[0]
                var zones: [DomainName] = [.root]
                if arguments.count > 1 {
                    zones = try names(property.zones(from: arguments.dropFirst(), orServerBlock: []), property)
                }
                switch kind.text {
                case "success": config.disabledSuccess = merged(config.disabledSuccess, zones)
                case "denial": config.disabledDenial = merged(config.disabledDenial, zones)
                default:
                    throw property.error("cache type for disable must be \"success\" or \"denial\", not '\(kind.text)'", at: kind)
                }
            case "keepttl":
                try property.noArguments()
                config.keepTTL = true
            default:
                throw property.unknownProperty()
            }
        }
        return config
    }

    /// `success|denial CAPACITY [TTL [MINTTL]]`.
    static func tier(_ property: Directive, defaults: Tier) throws(CorefileError) -> Tier {
        let arguments = try property.requireArguments(min: 1, max: 3)
        var tier = defaults
        tier.capacity = effectiveCapacity(try property.integer(arguments[0], in: 0...100_000_000))
        tier.capacityIsExplicit = true
        if arguments.count > 1 {
            tier.maxTTL = UInt32(try property.integer(arguments[1], in: 1...largestTTL))
        }
        if arguments.count > 2 {
            tier.minTTL = UInt32(try property.integer(arguments[2], in: 0...largestTTL))
        }
        return tier
    }

    /// `prefetch AMOUNT [DURATION [PERCENTAGE%]]`.
    static func prefetch(_ property: Directive) throws(CorefileError) -> Prefetch? {
        let arguments = try property.requireArguments(min: 1, max: 3)
        var prefetch = Prefetch(amount: try property.integer(arguments[0], in: 0...Int(Int32.max)))
        if arguments.count > 1 {
            prefetch.window = try property.duration(arguments[1], in: .nanoseconds(1) ... .seconds(Int64(Int32.max)))
        }
        if arguments.count > 2 {
            let text = arguments[2].text
            guard text.hasSuffix("%") else {
                throw property.error("percentage '\(text)' must end with '%', as in 10%", at: arguments[2])
            }
            let number = Argument(text: String(text.dropLast()), location: arguments[2].location)
            prefetch.percentage = try property.integer(number, in: 10...90)
        }
        // CoreDNS reads an amount of 0 as "no prefetch".
        return prefetch.amount > 0 ? prefetch : nil
    }

    /// `serve_stale [DURATION] [immediate [RESPONSE_TTL [RECHECK]] | verify [TIMEOUT [RESPONSE_TTL [RECHECK]]]]`.
    static func serveStale(_ property: Directive) throws(CorefileError) -> ServeStale {
        let arguments = try property.requireArguments(min: 0, max: 5)
        var stale = ServeStale()
        if arguments.count > 0 {
            stale.maxAge = try property.duration(arguments[0], in: .zero ... .seconds(Int64(Int32.max)))
        }
        guard arguments.count > 1 else { return stale }
        var rest = arguments.dropFirst(2)
        switch arguments[1].text.lowercased() {
        case "immediate":
            stale.refresh = .immediate
            if rest.count > 2 {
                throw property.error("expected at most 2 arguments after 'immediate' (RESPONSE_TTL, FAILURE_RECHECK)",
                                     at: rest[rest.startIndex + 2])
            }
        case "verify":
            stale.refresh = .verify
            if let timeout = rest.first {
                let value = try property.duration(timeout, in: .zero ... .seconds(Int64(Int32.max)))
                guard value == .zero else {
                    throw property.error("a verify timeout ('\(timeout.text)') is not supported yet by ClusterDNS: use 0 (wait for the next plugins)",
                                         at: timeout)
                }
                rest = rest.dropFirst()
            }
        default:
            throw property.error("invalid serve_stale refresh mode '\(arguments[1].text)': expected immediate or verify",
                                 at: arguments[1])
        }
        if let ttl = rest.first {
            let value = try property.duration(ttl, in: .zero ... .seconds(Int64(UInt32.max)))
            guard value.components.attoseconds == 0 else {
                throw property.error("serve_stale response TTL must be a whole number of seconds, not '\(ttl.text)'", at: ttl)
            }
            stale.responseTTL = UInt32(value.components.seconds)
            rest = rest.dropFirst()
        }
        if let recheck = rest.first {
            stale.failureRecheck = try property.duration(recheck, in: .zero ... .seconds(300))
        }
        return stale
    }

    static func names(_ zones: [String], _ directive: Directive) throws(CorefileError) -> [DomainName] {
        var result: [DomainName] = []
        for zone in zones {
            do {
                result.append(try DomainName(zone).lowercased())
            } catch {
                throw directive.error("'\(zone)' is not a valid zone: \(error)")
            }
        }
        return result
    }

    static func merged(_ existing: [DomainName], _ more: [DomainName]) -> [DomainName] {
        var result = existing
        for zone in more where !result.contains(zone) { result.append(zone) }
        return result
    }
}
