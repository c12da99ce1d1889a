import DNSWire
import Foundation
import Testing
@testable import Plugins

/// Why the store evicts with CLOCK (second chance on a FIFO ring) rather than CoreDNS's random
/// choice: on a Zipf-like query mix — a few names asked very often, a long tail asked once — the
/// popular names survive the tail's churn. The test replays the same mix through the store with
/// and without the reference bit (CLOCK vs plain FIFO) and through a random-eviction model, and
/// prints the hit ratios with `CLUSTERDNS_BENCH=1`.
@Suite struct EvictionPolicyTests {
    struct Workload {
        let names: [[UInt8]]
        let sequence: [Int32]

        /// `count` queries over `distinct` names, name k asked with probability ∝ 1/(k+1)^s.
        init(distinct: Int, count: Int, exponent: Double, seed: UInt64) {
            names = (0..<distinct).map { (try? DomainName("n\($0).example.org."))?.wire ?? [0] }
            var cdf = [Double](repeating: 0, count: distinct)
            var total = 0.0
            for k in 0..<distinct {
                total += 1.0 / pow(Double(k + 1), exponent)
                cdf[k] = total
            }
            var rng = Xoshiro256(seed: seed)
            var sequence: [Int32] = []
            sequence.reserveCapacity(count)
            for _ in 0..<count {
                let u = Double(rng.next() >> 11) / Double(1 << 53) * total
                var low = 0
                var high = distinct - 1
                while low < high {
                    let mid = (low + high) / 2
                    if cdf[mid] < u { low = mid + 1 } else { high = mid }
                }
                sequence.append(Int32(low))
            }
            self.sequence = sequence
        }
    }

    /// Hit ratio of the store on `workload`; `referencing` false disables the second chance.
    static func storeHitRatio(_ workload: Workload, capacity: Int, referencing: Bool) -> Double {
        let store = CacheStore(entryCapacity: capacity)
        let message = [UInt8](repeating: 0, count: 60)
        var hits = 0
        for index in workload.sequence {
            let name = workload.names[Int(index)]
            name.withUnsafeBytes { nameBytes in
                let key = CacheKey(name: nameBytes, type: .a, queryClass: .in, flags: [])
                if let e = store.find(key) {
                    hits += 1
                    if referencing { store.state(of: e).markReferenced() }
                    return
                }
                message.withUnsafeBytes { messageBytes in
                    let record = CacheStore.Record(ttl: 3600, storedAt: 1, rcode: 0, answerCount: 0, authorityCount: 0,
                                                   additionalCount: 0, questionEnd: 0)
                    store.insert(key, message: messageBytes, ttlOffsets: UnsafeBufferPointer(start: nil, count: 0),
                                 cuts: UnsafeBufferPointer(start: nil, count: 0), record: record, now: 2)
                }
            }
        }
        return Double(hits) / Double(workload.sequence.count)
    }

    /// CoreDNS's policy, modelled: when full, evict a uniformly random entry.
    static func randomHitRatio(_ workload: Workload, capacity: Int) -> Double {
        var rng = Xoshiro256(seed: 7)
        var slots: [Int32] = []
        var position: [Int32: Int] = [:]
        var hits = 0
        for index in workload.sequence {
            if position[index] != nil {
                hits += 1
                continue
            }
            if slots.count == capacity {
                let victim = Int(rng.next() % UInt64(capacity))
                position[slots[victim]] = nil
                slots[victim] = index
                position[index] = victim
            } else {
                position[index] = slots.count
                slots.append(index)
            }
        }
        return Double(hits) / Double(workload.sequence.count)
    }

    @Test("on a Zipf mix CLOCK keeps more hits than FIFO and no fewer than random eviction")
    func zipf() {
        let benchmarking = ProcessInfo.processInfo.environment["CLUSTERDNS_BENCH"] != nil
        let workload = Workload(distinct: 50_000, count: benchmarking ? 1_000_000 : 200_000, exponent: 0.9, seed: 42)
        let capacity = 2_000
        let clock = Self.storeHitRatio(workload, capacity: capacity, referencing: true)
        let fifo = Self.storeHitRatio(workload, capacity: capacity, referencing: false)
        let random = Self.randomHitRatio(workload, capacity: capacity)
        if benchmarking {
            print(String(format: "eviction, Zipf 0.9 over 50000 names, 2000 entries: CLOCK %.3f, FIFO %.3f, random %.3f",
                         clock, fifo, random))
        }
        #expect(clock > fifo)
        #expect(clock >= random - 0.01)
    }
}
