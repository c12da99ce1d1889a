import DNSWire
import Testing
@testable import Plugins

/// The store alone: keys, capacity, the byte ring, CLOCK's second chance, index deletions.
@Suite struct CacheStoreTests {
    /// Stores a small message for `name` (a header and the question only) and returns the entry.
    @discardableResult
    static func put(_ store: CacheStore, _ name: String, type: RecordType = .a, flags: CacheKey.Flags = [],
                    padding: Int = 0, ttl: UInt32 = 300, now: UInt64 = 1) throws -> UnsafeMutablePointer<CacheEntry>? {
        let wire = try DomainName(name).wire
        var message = [UInt8](repeating: 0, count: Header.size) + wire + [0, 1, 0, 1]
        message += [UInt8](repeating: 0xAB, count: padding)
        return wire.withUnsafeBytes { nameBytes in
            message.withUnsafeBytes { messageBytes in
                let key = CacheKey(name: nameBytes, type: type, queryClass: .in, flags: flags)
                let record = CacheStore.Record(ttl: ttl, storedAt: now, rcode: 0, answerCount: 0, authorityCount: 0,
                                               additionalCount: 0, questionEnd: UInt16(Header.size + wire.count + 4))
                return store.insert(key, message: messageBytes, ttlOffsets: UnsafeBufferPointer(start: nil, count: 0),
                                    cuts: UnsafeBufferPointer(start: nil, count: 0), record: record, now: now)
            }
        }
    }

    static func find(_ store: CacheStore, _ name: String, type: RecordType = .a,
                     flags: CacheKey.Flags = []) throws -> UnsafeMutablePointer<CacheEntry>? {
        let wire = try DomainName(name).wire
        return wire.withUnsafeBytes { store.find(CacheKey(name: $0, type: type, queryClass: .in, flags: flags)) }
    }

    @Test("keys compare name without case, and type, class, DO and CD exactly")
    func keys() throws {
        let store = CacheStore(entryCapacity: 16)
        try Self.put(store, "a.example.")
        try Self.put(store, "a.example.", flags: .dnssecOK, padding: 1)
        try Self.put(store, "a.example.", flags: .checkingDisabled, padding: 2)
        try Self.put(store, "a.example.", type: .aaaa, padding: 3)
        #expect(store.count == 4)
        let plain = try #require(try Self.find(store, "A.EXAMPLE."))
        #expect(plain.pointee.messageLength == Int32(Header.size + 11 + 4))
        #expect(try Self.find(store, "a.example.", flags: .dnssecOK)?.pointee.messageLength == plain.pointee.messageLength + 1)
        #expect(try Self.find(store, "a.example.", flags: .checkingDisabled)?.pointee.messageLength == plain.pointee.messageLength + 2)
        #expect(try Self.find(store, "a.example.", flags: [.dnssecOK, .checkingDisabled]) == nil)
        #expect(try Self.find(store, "a.example.", type: .aaaa)?.pointee.messageLength == plain.pointee.messageLength + 3)
        #expect(try Self.find(store, "b.example.") == nil)
        #expect(try Self.find(store, "a.example.com.") == nil)
    }

    @Test("storing a key again replaces its entry")
    func replace() throws {
        let store = CacheStore(entryCapacity: 16)
        try Self.put(store, "r.example.", padding: 1)
        try Self.put(store, "r.example.", padding: 5)
        #expect(store.count == 1)
        #expect(try Self.find(store, "r.example.")?.pointee.messageLength == Int32(Header.size + 11 + 4 + 5))
    }

    @Test("the entry count never exceeds capacity; the oldest unreferenced entries go first")
    func capacity() throws {
        let store = CacheStore(entryCapacity: 8)
        for i in 0..<8 { try Self.put(store, "n\(i).example.") }
        #expect(store.count == 8)
        try Self.put(store, "n8.example.")
        #expect(store.count == 8)
        #expect(store.evictions == 1)
        #expect(try Self.find(store, "n0.example.") == nil)
        #expect(try Self.find(store, "n8.example.") != nil)
        #expect(try Self.find(store, "n1.example.") != nil)
    }

    @Test("an entry hit since it was stored gets a second chance instead of being evicted")
    func secondChance() throws {
        let store = CacheStore(entryCapacity: 4)
        for i in 0..<4 { try Self.put(store, "c\(i).example.", now: 1) }
        store.state(of: try #require(try Self.find(store, "c0.example."))).markReferenced()
        try Self.put(store, "c4.example.", now: 2)
        #expect(try Self.find(store, "c0.example.") != nil)    // survived, moved to the head
        #expect(try Self.find(store, "c1.example.") == nil)    // the next oldest went instead
        #expect(store.state(of: try #require(try Self.find(store, "c0.example."))).referenced == false)
        try Self.put(store, "c5.example.", now: 3)
        try Self.put(store, "c6.example.", now: 3)
        try Self.put(store, "c7.example.", now: 3)
        #expect(try Self.find(store, "c0.example.") == nil)    // no second second chance without a hit
    }

    @Test("an expired entry gets no second chance even when it was hit")
    func expiredNoSecondChance() throws {
        let store = CacheStore(entryCapacity: 2)
        try Self.put(store, "e0.example.", ttl: 1, now: 1)
        try Self.put(store, "e1.example.", ttl: 300, now: 1)
        store.state(of: try #require(try Self.find(store, "e0.example."))).markReferenced()
        try Self.put(store, "e2.example.", now: 5_000_000_000)
        #expect(try Self.find(store, "e0.example.") == nil)
        #expect(try Self.find(store, "e1.example.") != nil)
    }

    @Test("the byte budget evicts large answers before the entry count is reached, and the ring wraps cleanly")
    func bytesAndWrap() throws {
        let store = CacheStore(entryCapacity: 1000, arenaSize: 8192)
        #expect(store.maxBlob == 4096)
        for i in 0..<200 {
            try Self.put(store, "w\(i).example.", padding: 300 + (i % 7) * 50)
            #expect(store.usedBytes <= store.arenaSize)
            #expect(try Self.find(store, "w\(i).example.") != nil)
        }
        #expect(store.count < 30)
        #expect(store.evictions == UInt64(200 - store.count))
        // Every live entry's blob still starts with its own index and holds its name.
        for e in store.liveEntries {
            let header = (store.arena + Int(e.pointee.blob)).load(as: UInt32.self)
            #expect(Int(header) == e - store.entries)
            #expect(store.name(of: e).count == Int(e.pointee.nameLength))
        }
        #expect(try Self.put(store, "huge.example.", padding: 5000) == nil)
    }

    @Test("random inserts and removals keep the index consistent with a model")
    func randomized() throws {
        var rng = Xoshiro256(seed: 42)
        let store = CacheStore(entryCapacity: 64, arenaSize: 64 * 64)
        var model = Set<Int>()
        for _ in 0..<5000 {
            let k = Int(rng.next() % 200)
            if rng.next() % 4 == 0 {
                let wire = try DomainName("k\(k).example.").wire
                wire.withUnsafeBytes { store.remove(CacheKey(name: $0, type: .a, queryClass: .in, flags: [])) }
                model.remove(k)
            } else {
                try Self.put(store, "k\(k).example.", padding: Int(rng.next() % 24))
                model.insert(k)
            }
            // Evictions only shrink what the store holds, never invent entries.
            #expect(store.count <= 64)
        }
        var found = 0
        for k in 0..<200 {
            let present = try Self.find(store, "k\(k).example.") != nil
            if present {
                found += 1
                #expect(model.contains(k), "k\(k) is in the store but was removed")
            }
        }
        #expect(found == store.count)
        #expect(store.liveEntries.count == store.count)
    }
}
