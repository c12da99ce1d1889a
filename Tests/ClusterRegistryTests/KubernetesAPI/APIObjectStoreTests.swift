import Testing
import Yams
@testable import ClusterRegistry

/// The API source's store: unchanged objects are not decoded again, relists sweep what the API no
/// longer has, a rejected object keeps its last good version, and only changed shards rebuild.
@Suite struct APIObjectStoreTests {
    static func node(_ json: String) throws -> ManifestValue {
        try JSONNodeParser.parse(Array(json.utf8))
    }

    static func service(_ name: String, ip: String, version: String) throws -> ManifestValue {
        try node(#"{"metadata":{"name":"\#(name)","namespace":"prod","resourceVersion":"\#(version)"},"spec":{"clusterIP":"\#(ip)","ports":[{"port":80}]}}"#)
    }

    static func services(_ store: APIObjectStore) -> [String] {
        store.sources().flatMap { $0.objects.services.map { "\($0.name)=\($0.clusterIPs.map { "\($0)" }.joined(separator: ","))" } }.sorted()
    }

    @Test("an object with the resourceVersion already stored is recognised, not decoded again")
    func sameVersionIsUnchanged() throws {
        let store = APIObjectStore(origin: "test")
        #expect(store.upsert(try Self.service("web", ip: "10.0.0.1", version: "5"), kind: .service) == .stored)
        _ = store.sources()
        #expect(!store.isDirty)
        #expect(store.upsert(try Self.service("web", ip: "10.0.0.1", version: "5"), kind: .service) == .unchanged)
        #expect(!store.isDirty, "no shard rebuilds for an unchanged object")
        #expect(store.upsert(try Self.service("web", ip: "10.0.0.2", version: "9"), kind: .service) == .stored)
        #expect(store.isDirty)
    }

    @Test("resourceVersions are compared exactly when numeric, by hash otherwise; none never matches")
    func versionKeys() {
        #expect(APIObjectStore.VersionKey.of("123456789") == 123_456_789)
        #expect(APIObjectStore.VersionKey.of("") == 0)
        #expect(APIObjectStore.VersionKey.of("0") != 0, "a version \"0\" is still a version")
        #expect(APIObjectStore.VersionKey.of("abc") == APIObjectStore.VersionKey.of("abc"))
        #expect(APIObjectStore.VersionKey.of("abc") != APIObjectStore.VersionKey.of("abd"))
        #expect(APIObjectStore.VersionKey.of("12a") >> 63 == 1 && APIObjectStore.VersionKey.of("999999999999999999") >> 63 == 0)
        #expect(APIObjectStore.VersionKey.of("9999999999999999999") >> 63 == 1, "19 digits are hashed, not truncated")
    }

    @Test("a relist deletes what it did not return, and keeps what it did")
    func relistSweeps() throws {
        let store = APIObjectStore(origin: "test")
        _ = store.upsert(try Self.service("a", ip: "10.0.0.1", version: "1"), kind: .service)
        _ = store.upsert(try Self.service("b", ip: "10.0.0.2", version: "2"), kind: .service)
        store.beginRelist(.service)
        _ = store.upsert(try Self.service("b", ip: "10.0.0.2", version: "2"), kind: .service)
        _ = store.upsert(try Self.service("c", ip: "10.0.0.3", version: "7"), kind: .service)
        #expect(store.finishRelist(.service) == 1)
        #expect(Self.services(store).map { String($0.prefix(1)) } == ["b", "c"])
    }

    @Test("a rejected update keeps the last good version serving, through a relist too, and is reported")
    func rejectedKeepsLastGood() throws {
        let store = APIObjectStore(origin: "test")
        _ = store.upsert(try Self.service("web", ip: "10.0.0.1", version: "1"), kind: .service)
        let bad = try Self.node(#"{"metadata":{"name":"web","namespace":"prod","resourceVersion":"2"},"spec":{"clusterIP":"not-an-ip"}}"#)
        #expect(store.upsert(bad, kind: .service) == .rejected)
        #expect(Self.services(store).count == 1)
        #expect(store.issues.count == 1 && store.issues[0].keptPreviousVersion)
        store.beginRelist(.service)
        #expect(store.upsert(bad, kind: .service) == .rejected)
        store.finishRelist(.service)
        #expect(Self.services(store).count == 1, "the sweep keeps the last good version of a rejected object")
        #expect(store.delete(bad, kind: .service))
        #expect(Self.services(store).isEmpty && store.issues.isEmpty)
    }

    @Test("entries keep finding their objects through updates, deletes and relists, also when keys collide",
          arguments: [UInt64.max, 0xff, 0])
    func positionsFollowRemovals(keyMask: UInt64) throws {
        // The store keeps each object once, in its shard's array, and entries keyed by a hash of
        // the identity point into it; a delete moves the last object of the array into the hole.
        // Checked against a plain dictionary over a seeded sequence of 3 000 steps on 400 names
        // (all 64 shards), with the full hash, with 5 of its bits (most identities share a key
        // with another) and with none (all but one per shard and kind in the overflow table).
        let store = APIObjectStore(origin: "test", keyMask: keyMask)
        var model: [String: String] = [:]
        var seed: UInt64 = 0x5eed
        func next(_ bound: Int) -> Int {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return Int((seed >> 33) % UInt64(bound))
        }
        for step in 0..<3000 {
            let name = "svc\(next(400))"
            switch next(10) {
            case 0..<6:
                let ip = "10.0.\(next(200)).\(next(200) + 1)"
                #expect(store.upsert(try Self.service(name, ip: ip, version: "\(step)"), kind: .service) == .stored)
                model[name] = ip
            case 6..<9:
                let removed = store.delete(try Self.service(name, ip: "10.0.0.1", version: "0"), kind: .service)
                #expect(removed == (model.removeValue(forKey: name) != nil))
            default:
                // A relist that returns about half of what is stored: the rest is swept.
                let kept = model.filter { _ in next(2) == 0 }
                store.beginRelist(.service)
                for (keptName, ip) in kept {
                    _ = store.upsert(try Self.service(keptName, ip: ip, version: "r\(step)"), kind: .service)
                }
                #expect(store.finishRelist(.service) == model.count - kept.count)
                model = kept
            }
            if step % 97 == 0 || step == 2999 {
                #expect(Self.services(store) == model.map { "\($0.key)=\($0.value)" }.sorted())
                for (name, ip) in model {
                    let identity = ObjectIdentity(kind: .service, namespace: "prod", name: name)
                    guard case .service(let service)? = store.object(identity) else {
                        Issue.record("\(name) not found")
                        continue
                    }
                    #expect(service.name == name && service.clusterIPs.map { "\($0)" } == [ip])
                }
            }
        }
        #expect(store.count == model.count)
    }
}
