import Corefile
import DNSWire
import Testing
@testable import Plugins

/// Parses the first directive of the first block of a Corefile written for the test.
enum CorefileFixture {
    static func corefile(_ text: String) throws -> Corefile {
        try Corefile.parse(text: text, fileName: "Corefile", baseDirectory: "/nonexistent-clusterdns-tests",
                           options: CorefileParseOptions(environment: [:]))
    }

    static func directive(_ body: String, keys: String = ".:53") throws -> (Directive, [String]) {
        let file = try corefile("\(keys) {\n\(body)\n}\n")
        let block = try #require(file.serverBlocks.first)
        return (try #require(block.directives.first), block.zones)
    }

    static func cache(_ body: String, keys: String = ".:53") throws -> CacheConfig {
        let (directive, zones) = try directive(body, keys: keys)
        return try CacheConfig.parse(directive, serverBlockZones: zones)
    }

    /// The error text (`Corefile:N: plugin/cache: …`), or nil when the configuration is accepted.
    static func cacheError(_ body: String) throws -> String? {
        let (directive, zones) = try directive(body)
        do {
            _ = try CacheConfig.parse(directive, serverBlockZones: zones)
            return nil
        } catch {
            return error.description
        }
    }
}

@Suite struct CacheConfigTests {
    @Test("a bare cache has CoreDNS's defaults")
    func defaults() throws {
        let config = try CorefileFixture.cache("cache")
        #expect(config.zones == [.root])
        #expect(config.success == CacheConfig.Tier(capacity: 9984, maxTTL: 3600, minTTL: 5))
        #expect(config.denial == CacheConfig.Tier(capacity: 9984, maxTTL: 1800, minTTL: 5))
        #expect(config.servfailTTL == 5)
        #expect(config.prefetch == nil)
        #expect(config.serveStale == nil)
        #expect(config.disabledSuccess.isEmpty && config.disabledDenial.isEmpty)
        #expect(!config.keepTTL)
    }

    @Test("cache 30 caps both caches at 30 seconds and keeps the minimum of 5")
    func bareTTL() throws {
        let config = try CorefileFixture.cache("cache 30")
        #expect(config.success.maxTTL == 30)
        #expect(config.denial.maxTTL == 30)
        #expect(config.success.minTTL == 5)
    }

    @Test("the kubeadm block parses as written")
    func kubeadm() throws {
        let config = try CorefileFixture.cache("""
            cache 30 {
               disable success cluster.local
               disable denial cluster.local
            }
            """)
        #expect(config.success.maxTTL == 30 && config.denial.maxTTL == 30)
        #expect(config.disabledSuccess == [DomainName("cluster.local.")])
        #expect(config.disabledDenial == [DomainName("cluster.local.")])
        #expect(config.zones == [.root])
    }

    @Test("zones come from the arguments, else from the server block")
    func zones() throws {
        #expect(try CorefileFixture.cache("cache 10 Example.ORG. example.net").zones
                    == [DomainName("example.org."), DomainName("example.net.")])
        #expect(try CorefileFixture.cache("cache", keys: "cluster.local:53").zones == [DomainName("cluster.local.")])
        #expect(try CorefileFixture.cache("cache example.org").success.maxTTL == 3600)
    }

    @Test("success and denial set capacity (rounded as CoreDNS does), TTL and minimum TTL")
    func tiers() throws {
        let config = try CorefileFixture.cache("""
            cache {
                success 5000 300 10
                denial 100 60
            }
            """)
        #expect(config.success == CacheConfig.Tier(capacity: 4864, maxTTL: 300, minTTL: 10, capacityIsExplicit: true))
        #expect(config.denial == CacheConfig.Tier(capacity: 1024, maxTTL: 60, minTTL: 5, capacityIsExplicit: true))
        #expect(CacheConfig.effectiveCapacity(9984) == 9984)
        #expect(CacheConfig.effectiveCapacity(10_000) == 9984)
        #expect(CacheConfig.effectiveCapacity(0) == 1024)
    }

    @Test("prefetch takes an amount, a window and a percentage; 0 turns it off")
    func prefetch() throws {
        #expect(try CorefileFixture.cache("cache {\n prefetch 10\n}").prefetch
                    == CacheConfig.Prefetch(amount: 10, window: .seconds(60), percentage: 10))
        #expect(try CorefileFixture.cache("cache {\n prefetch 2 30s 50%\n}").prefetch
                    == CacheConfig.Prefetch(amount: 2, window: .seconds(30), percentage: 50))
        #expect(try CorefileFixture.cache("cache {\n prefetch 0\n}").prefetch == nil)
    }

    @Test("serve_stale defaults to one hour, immediate, TTL 0, and reads its optional arguments")
    func serveStale() throws {
        #expect(try CorefileFixture.cache("cache {\n serve_stale\n}").serveStale == CacheConfig.ServeStale())
        #expect(try CorefileFixture.cache("cache {\n serve_stale 10m verify\n}").serveStale
                    == CacheConfig.ServeStale(maxAge: .seconds(600), refresh: .verify))
        #expect(try CorefileFixture.cache("cache {\n serve_stale 1h immediate 30s 20s\n}").serveStale
                    == CacheConfig.ServeStale(maxAge: .seconds(3600), refresh: .immediate, responseTTL: 30,
                                              failureRecheck: .seconds(20)))
        #expect(try CorefileFixture.cache("cache {\n serve_stale 1h VERIFY 0 30s\n}").serveStale
                    == CacheConfig.ServeStale(maxAge: .seconds(3600), refresh: .verify, responseTTL: 30))
    }

    @Test("servfail, keepttl and disable without zones")
    func misc() throws {
        let config = try CorefileFixture.cache("""
            cache {
                servfail 0
                keepttl
                disable denial
                disable success a.example b.example
                disable success c.example
            }
            """)
        #expect(config.servfailTTL == 0)
        #expect(config.keepTTL)
        #expect(config.disabledDenial == [.root])
        #expect(config.disabledSuccess.map(\.description) == ["a.example.", "b.example.", "c.example."])
        #expect(try CorefileFixture.cache("cache {\n servfail 5m\n}").servfailTTL == 300)
    }

    @Test("every malformed argument is an error at its line, naming the plugin", arguments: [
        ("cache 0", "Corefile:2: plugin/cache: 0 is out of range"),
        ("cache -5", "Corefile:2: plugin/cache: -5 is out of range"),
        ("cache {\n success\n}", "Corefile:3: plugin/cache: success: expected 1 to 3 arguments, found 0"),
        ("cache {\n success lots\n}", "Corefile:3: plugin/cache: success: 'lots' is not an integer"),
        ("cache {\n success 100 0\n}", "Corefile:3: plugin/cache: success: 0 is out of range"),
        ("cache {\n denial 100 10 -1\n}", "Corefile:3: plugin/cache: denial: -1 is out of range"),
        ("cache {\n denial 1 2 3 4\n}", "Corefile:3: plugin/cache: denial: expected 1 to 3 arguments, found 4"),
        ("cache {\n prefetch\n}", "Corefile:3: plugin/cache: prefetch: expected 1 to 3 arguments, found 0"),
        ("cache {\n prefetch 1 1m 5%\n}", "Corefile:3: plugin/cache: prefetch: 5 is out of range"),
        ("cache {\n prefetch 1 1m 50\n}", "Corefile:3: plugin/cache: prefetch: percentage '50' must end with '%'"),
        ("cache {\n prefetch 1 soon\n}", "Corefile:3: plugin/cache: prefetch: invalid duration 'soon'"),
        ("cache {\n serve_stale -1s\n}", "Corefile:3: plugin/cache: serve_stale: duration -1s is out of range"),
        ("cache {\n serve_stale 1h later\n}", "Corefile:3: plugin/cache: serve_stale: invalid serve_stale refresh mode 'later'"),
        ("cache {\n serve_stale 1h verify 100ms\n}", "Corefile:3: plugin/cache: serve_stale: a verify timeout ('100ms') is not supported yet"),
        ("cache {\n serve_stale 1h immediate 1500ms\n}", "Corefile:3: plugin/cache: serve_stale: serve_stale response TTL must be a whole number"),
        ("cache {\n serve_stale 1h immediate 0 6m\n}", "Corefile:3: plugin/cache: serve_stale: duration 6m is out of range"),
        ("cache {\n serve_stale 1h immediate 0 0 extra\n}", "Corefile:3: plugin/cache: serve_stale: expected at most 2 arguments after 'immediate'"),
        ("cache {\n serve_stale_policy prefer_positive\n}", "Corefile:3: plugin/cache: serve_stale_policy: not supported yet"),
        ("cache {\n servfail 6m\n}", "Corefile:3: plugin/cache: servfail: duration 6m is out of range"),
        ("cache {\n servfail\n}", "Corefile:3: plugin/cache: servfail: expected 1 argument, found 0"),
        ("cache {\n disable\n}", "Corefile:3: plugin/cache: disable: expected at least 1 argument, found 0"),
        ("cache {\n disable positive\n}", "Corefile:3: plugin/cache: disable: cache type for disable must be \"success\" or \"denial\""),
        ("cache {\n keepttl now\n}", "Corefile:3: plugin/cache: keepttl: expected no arguments"),
        ("cache {\n\n  ttl 5\n}", "Corefile:4: plugin/cache: unknown property 'ttl'"),
    ])
    func errors(body: String, expected: String) throws {
        let message = try #require(try CorefileFixture.cacheError(body))
        #expect(message.hasPrefix(expected), "got: \(message)")
    }

    @Test("the directive is registered and may appear once per server block")
    func registered() throws {
        let once = try CorefileFixture.corefile(".:53 {\n cache 30\n whoami\n}\n")
        let configuration = try ServerConfiguration.build(once, manifestsDirectory: nil, baseDirectory: "/")
        #expect(configuration.blocks[0].pluginNames == ["cache", "whoami"])
        let twice = try CorefileFixture.corefile(".:53 {\n cache\n cache 10\n}\n")
        #expect(throws: CorefileError.self) {
            try ServerConfiguration.build(twice, manifestsDirectory: nil, baseDirectory: "/")
        }
    }

    @Test("a memory budget shrinks a default capacity until both stores fit it, never an explicit one")
    func memoryBudget() throws {
        let config = try CorefileFixture.cache("cache 30")
        // No budget: the even share of CoreDNS's default.
        #expect(CacheConfig.perWorkerCapacity(config.success, workers: 2, memoryBudget: nil) == 4992)
        let budget = 2 << 20
        let entries = CacheConfig.perWorkerCapacity(config.success, workers: 2, memoryBudget: budget)
        #expect(entries < 4992)
        #expect(CacheStore.footprint(entryCapacity: entries) * 2 <= budget)
        #expect(CacheStore.footprint(entryCapacity: entries + 1) * 2 > budget)
        // A tiny budget still leaves the 64-entry floor.
        #expect(CacheConfig.perWorkerCapacity(config.success, workers: 2, memoryBudget: 1000) == 64)
        // A generous one leaves the default alone.
        #expect(CacheConfig.perWorkerCapacity(config.success, workers: 2, memoryBudget: 1 << 30) == 4992)
        let explicit = try CorefileFixture.cache("cache {\n success 5000\n}")
        #expect(CacheConfig.perWorkerCapacity(explicit.success, workers: 1, memoryBudget: 1000) == 4864)
        // What a store of that size allocates matches what the footprint says.
        let store = CacheStore(entryCapacity: entries)
        #expect(CacheStore.footprint(entryCapacity: entries) >= store.arenaSize + entries * MemoryLayout<CacheEntry>.stride)
    }
}
