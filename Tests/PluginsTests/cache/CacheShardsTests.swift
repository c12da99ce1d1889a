import DNSWire
import Dispatch
import Synchronization
import Testing
@testable import Plugins

/// What the threads of the stress test found.
final class StressTally: Sendable {
    let torn = Mutex(0)
    let good = Mutex(0)
}

/// The store every worker shares: readers on several threads against writers that replace,
/// evict and move entries; the capacity holds for the whole server, whatever the worker count.
@Suite struct CacheShardsTests {
    /// A message for key `k` at version `v`: a header, the question, then `padding` octets all
    /// equal to `marker(k, v)`, so a torn copy (bytes of two versions or two keys) shows.
    static func message(_ wire: [UInt8], k: Int, v: Int, padding: Int) -> [UInt8] {
        var message = [UInt8](repeating: 0, count: Header.size) + wire + [0, 1, 0, 1]
        message += [UInt8](repeating: marker(k, v), count: padding)
        return message
    }

    static func marker(_ k: Int, _ v: Int) -> UInt8 { UInt8(truncatingIfNeeded: k &* 31 &+ v &* 7) | 1 }

    static func record(_ wire: [UInt8]) -> CacheStore.Record {
        CacheStore.Record(ttl: 300, storedAt: 1, rcode: 0, answerCount: 0, authorityCount: 0, additionalCount: 0,
                          questionEnd: UInt16(Header.size + wire.count + 4))
    }

    @Test("readers on other threads see whole entries or nothing while writers replace and evict them")
    func concurrentReadersAndWriters() throws {
        // Small shards and a small arena: the writers' inserts evict, wrap the ring and give
        // second chances (moves) all the time, under the readers' feet.
        let shards = CacheShards(capacity: 256, shards: 2, arenaSize: 16 * 1024)
        let keys = 400
        let names = try (0..<keys).map { try DomainName("k\($0).stress.example.").wire }
        let writers = 2
        let readers = 3
        let rounds = 20_000
        let tally = StressTally()
        DispatchQueue.concurrentPerform(iterations: writers + readers) { thread in
            var rng = Xoshiro256(seed: UInt64(thread + 1))
            var copy = [UInt8](repeating: 0, count: 4096)
            for round in 0..<rounds {
                let k = Int(rng.next() % UInt64(keys))
                let wire = names[k]
                wire.withUnsafeBytes { nameBytes in
                    let key = CacheKey(name: nameBytes, type: .a, queryClass: .in, flags: [])
                    if thread < writers {
                        let bytes = Self.message(wire, k: k, v: round, padding: Int(rng.next() % 200))
                        bytes.withUnsafeBytes { messageBytes in
                            shards.insert(key, message: messageBytes, ttlOffsets: UnsafeBufferPointer(start: nil, count: 0),
                                          cuts: UnsafeBufferPointer(start: nil, count: 0), record: Self.record(wire), now: 2)
                        }
                        if rng.next() % 8 == 0 { shards.remove(key) }
                        return
                    }
                    guard let read = shards.read(key) else { return }
                    read.state.markReferenced()
                    let message = read.message
                    let length = min(message.count, copy.count)
                    copy.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: message[0..<length])) }
                    guard read.isCurrent else { return }
                    // Current: the copy must be one whole version of this key's message.
                    let question = Array(copy[Header.size..<(Header.size + wire.count)])
                    let padding = copy[(Header.size + wire.count + 4)..<length]
                    if question != wire || Set(padding).count > 1 || length != Int(read.entry.messageLength) {
                        tally.torn.withLock { $0 += 1 }
                    } else {
                        tally.good.withLock { $0 += 1 }
                    }
                }
            }
        }
        #expect(tally.torn.withLock { $0 } == 0)
        // Whatever the interleaving, the store never holds more than its capacity.
        #expect(shards.count <= shards.capacity)
        for store in shards.stores {
            #expect(store.count <= store.entryCapacity)
            // Every live entry is findable and its blob names it.
            for e in store.liveEntries {
                #expect(Int((store.arena + Int(e.pointee.blob)).load(as: UInt32.self)) == e - store.entries)
                let name = Array(store.name(of: e))
                #expect(names.contains(name))
            }
        }
    }

    @Test("shards: at least one per worker, each with 256 entries or more")
    func shardCount() {
        #expect(CacheShards.shardCount(capacity: 9984, workers: 1) == 1)
        #expect(CacheShards.shardCount(capacity: 9984, workers: 2) == 2)
        #expect(CacheShards.shardCount(capacity: 9984, workers: 8) == 8)
        #expect(CacheShards.shardCount(capacity: 9984, workers: 6) == 8)
        #expect(CacheShards.shardCount(capacity: 9984, workers: 64) == 32)
        #expect(CacheShards.shardCount(capacity: 1024, workers: 8) == 4)
    }

    @Test("the capacity holds for the whole server: 4 workers share one store of CAPACITY entries")
    func capacityServerWide() throws {
        let plugin = CachePlugin(config: try CorefileFixture.cache("cache {\n success 1024\n}"), serverLabel: "dns://:53")
        let handlers = try (0..<4).map { try #require(plugin.makeHandler(worker: WorkerContext(index: $0, workerCount: 4)) as? CacheHandler) }
        #expect(handlers.allSatisfy { $0.success === handlers[0].success && $0.denial === handlers[0].denial })
        #expect(handlers[0].success.capacity == 1024)
        let upstream = ScriptedUpstream { name, _, _ in Records.answer("\(name) 300 IN A 192.0.2.1") }
        let harnesses = handlers.map { ChainHarness(handlers: [$0, upstream], names: ["cache", "upstream"]) }
        for i in 0..<3000 { _ = try harnesses[i % 4].query("n\(i).example.", .a) }
        let calls = upstream.calls
        // Every worker has room for more than a quarter of the capacity: the store is one.
        #expect(handlers[0].success.count > 256 && handlers[0].success.count <= 1024)
        var report = MetricsReport()
        plugin.reportMetrics(into: &report)
        #expect(CacheMetricsTests.value(report, "coredns_cache_entries", type: "success") == Double(handlers[0].success.count))
        // The last names stored are hits from every worker, whichever fetched them.
        for i in 2990..<3000 {
            for harness in harnesses { _ = try harness.query("n\(i).example.", .a) }
        }
        #expect(upstream.calls == calls)
    }
}
