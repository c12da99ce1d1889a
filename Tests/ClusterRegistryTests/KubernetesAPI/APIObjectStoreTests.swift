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
        store.sources().flatMap { $0.objects.services.map { "\($0.name)=\($0.clusterIPs)" } }.sorted()
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
}
