import Foundation
import Testing
@testable import ClusterRegistry

/// The registry in shards: manifest files cut into documents so that only changed documents are
/// decoded, objects kept by the shard of their service, and states that rebuild only the
/// shards a change touched while sharing the rest.
@Suite("Sharded registry")
struct ShardedRegistryTests {
    static func services(_ count: Int, namespace: String = "prod", from start: Int = 0) -> String {
        (start..<(start + count)).map { i in
            "---\n" + serviceYAML(name: "svc-\(i)", namespace: namespace, clusterIP: "10.96.\(i / 250).\(i % 250 + 1)") + "\n"
        }.joined()
    }

    @Test("documents are cut at `---` lines only, with their line counts; `%` directives and `...` keep a file whole")
    func documentCuts() {
        func cuts(_ text: String) -> [(String, Int)] {
            let bytes = Array(text.utf8)
            return bytes.withUnsafeBufferPointer { ManifestDocuments.split($0) }.map {
                (String(decoding: bytes[$0.range], as: UTF8.self), $0.lines)
            }
        }
        let text = "# head\n---\na: 1\nb: |\n  ---\n  x\n--- \nc: 2\n---\r\nd: 3"
        let parts = cuts(text)
        #expect(parts.map(\.0) == ["# head\n", "---\na: 1\nb: |\n  ---\n  x\n", "--- \nc: 2\n", "---\r\nd: 3"])
        #expect(parts.map(\.1) == [1, 5, 2, 1])
        #expect(cuts("----\na: 1\n---x: 2\n").count == 1, "`----` and `---x` are not markers")
        #expect(cuts("%YAML 1.2\n---\na: 1\n---\nb: 2\n").count == 1)
        #expect(cuts("a: 1\n...\n---\nb: 2\n").count == 1)
        #expect(cuts("").count == 1)
    }

    @Test("the document hash sees every octet, at every length and position, and the length itself")
    func documentHash() {
        func hash(_ bytes: [UInt8]) -> UInt64 { bytes.withUnsafeBytes { ManifestDocuments.hash($0) } }
        var seen = Set<UInt64>()
        var base: [UInt8] = []
        for length in 0...48 {
            #expect(seen.insert(hash(base)).inserted, "length \(length)")
            #expect(hash(base) == hash(Array(base)))
            for position in 0..<length {
                var flipped = base
                flipped[position] ^= 1
                #expect(seen.insert(hash(flipped)).inserted, "length \(length), octet \(position)")
            }
            base.append(0)   // trailing zeros change the hash: the length is mixed in
        }
    }

    @Test("an unchanged document is not decoded again; an appended one is the only one decoded")
    func unchangedDocumentsAreReused() throws {
        let store = ManifestStore()
        let base = Self.services(50)
        store.update(path: "a.yaml", text: base)
        #expect(store.documentsDecoded == 50)
        store.update(path: "a.yaml", text: base)
        #expect(store.documentsDecoded == 50, "the same bytes decode nothing")
        #expect(store.documentsReused == 50)
        store.update(path: "a.yaml", text: base + Self.services(1, from: 50))
        #expect(store.documentsDecoded == 51)
        let snap = store.snapshot(previous: nil)
        #expect(snap.counts.services == 51)
        #expect(snap.service(namespace: "prod", name: "svc-50") != nil)
    }

    @Test("a file rewritten with every document changed but the same objects touches no shard")
    func rewrittenFileWithSameObjectsTouchesNoShard() throws {
        let store = ManifestStore()
        let base = Self.services(50)
        store.update(path: "a.yaml", text: base)
        let first = store.state(previous: nil)
        // Every document's bytes change (a comment in each), so each is decoded again...
        store.update(path: "a.yaml", text: base.replacingOccurrences(of: "\nkind: ", with: "\n# rewritten\nkind: "))
        #expect(store.documentsDecoded == 100)
        // ...to the same objects: no shard is rebuilt, every shard snapshot is the previous one.
        #expect(store.takeChangedShards() == [])
        let second = store.state(previous: first)
        #expect(second.rebuiltShards.isEmpty)
        for s in 0..<RegistryShard.count { #expect(second.shards[s] === first.shards[s]) }
        // A real change among them still rebuilds its shard.
        store.update(path: "a.yaml", text: base.replacingOccurrences(of: "port: 80", with: "port: 81"))
        #expect(store.takeChangedShards()?.isEmpty == false)
    }

    @Test("issues keep their file line and document number when documents before them change")
    func issueLinesFollowEdits() throws {
        let store = ManifestStore()
        let bad = "---\n" + serviceYAML(name: "bad", clusterIP: "10.96.0.999") + "\n"
        store.update(path: "a.yaml", text: Self.services(2) + bad)
        let first = try #require(store.issues.first { $0.name == "bad" })
        // Two more lines in the first document: the reused document's issue moves with it.
        let longer = Self.services(2).replacingOccurrences(of: "metadata:\n  name: svc-0", with: "metadata:\n  labels:\n    x: y\n  name: svc-0")
        store.update(path: "a.yaml", text: longer + bad)
        let moved = try #require(store.issues.first { $0.name == "bad" })
        #expect(store.documentsDecoded == 4, "only the edited document was decoded again")
        #expect(moved.line == first.line.map { $0 + 2 })
        #expect(moved.document == first.document)
        // The same issue from a full decode of the same text, for reference.
        let fresh = ManifestStore()
        fresh.update(path: "a.yaml", text: longer + bad)
        #expect(fresh.issues.first { $0.name == "bad" }?.line == moved.line)
    }

    @Test("a syntax error in one document keeps the whole previous file")
    func syntaxErrorInOneDocument() throws {
        let store = ManifestStore()
        store.update(path: "a.yaml", text: Self.services(3))
        store.update(path: "a.yaml", text: Self.services(3) + "---\nkind: Service\n  metadata: [\n")
        let snap = store.snapshot(previous: nil)
        #expect(snap.counts.services == 3)
        let issue = try #require(snap.issues.first)
        #expect(issue.code == .syntax)
        #expect(issue.keptPreviousVersion)
        #expect(issue.line.map { $0 > 3 * 10 } == true, "the line is the file's, not the document's")
    }

    @Test("a change rebuilds only its service's shard; the others are the previous state's objects")
    func changeRebuildsOneShard() throws {
        let store = ManifestStore()
        store.update(path: "a.yaml", text: Self.services(500))
        let first = store.state(previous: nil)
        #expect(first.rebuiltShards.count == RegistryShard.count)
        #expect(first.counts.services == 500)
        store.update(path: "a.yaml", text: Self.services(500) + Self.services(1, from: 500))
        let second = store.state(previous: first)
        let shard = RegistryShard.of(namespace: "prod", service: "svc-500")
        #expect(second.rebuiltShards == [shard])
        for s in 0..<RegistryShard.count where s != shard { #expect(second.shards[s] === first.shards[s]) }
        #expect(second.service(namespace: "prod", name: "svc-500") != nil)
        #expect(second.counts.services == 501)
        #expect(second.serial >= first.serial)
        #expect(!second.hasSameDNSContent(as: first))
        // Nothing changed: nothing rebuilt, same content, same serial.
        store.update(path: "a.yaml", text: Self.services(500) + Self.services(1, from: 500))
        let third = store.state(previous: second)
        #expect(third.rebuiltShards.isEmpty)
        #expect(third.hasSameDNSContent(as: second))
        #expect(third.serial == second.serial)
    }

    @Test("a namespace that appears or empties rebuilds only the shards its objects are in; the state knows every namespace")
    func namespaceChangeRebuildsItsShards() throws {
        let store = ManifestStore()
        store.update(path: "a.yaml", text: Self.services(10))
        let first = store.state(previous: nil)
        store.update(path: "b.yaml", text: Self.services(1, namespace: "fresh", from: 900))
        let second = store.state(previous: first)
        let shard = RegistryShard.of(namespace: "fresh", service: "svc-900")
        #expect(second.rebuiltShards == [shard])
        #expect(second.namespaces.map(\.name) == ["fresh", "prod"])
        #expect(second.counts.impliedNamespaces == 2)
        #expect(second.namespaceExists("fresh"))
        #expect(!second.hasSameDNSContent(as: first))
        // A shard holds the namespaces of its own objects only.
        for s in 0..<RegistryShard.count where s != shard { #expect(!second.shards[s].namespaceExists("fresh")) }
        #expect(second.shards[shard].namespaceExists("fresh"))
        // A declared namespace without objects: the list moves, no shard is rebuilt.
        store.update(path: "c.yaml", text: "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: empty\n  labels:\n    team: a\n")
        let third = store.state(previous: second)
        #expect(third.rebuiltShards.isEmpty)
        #expect(third.namespaces.map(\.name) == ["empty", "fresh", "prod"])
        #expect(third.namespaceObject(named: "empty")?.labels == Labels(["team": "a"]))
        #expect(!third.hasSameDNSContent(as: second))
        store.remove(path: "b.yaml")
        store.remove(path: "c.yaml")
        let fourth = store.state(previous: third)
        #expect(fourth.namespaces.map(\.name) == ["prod"])
        #expect(!fourth.namespaceExists("fresh"))
        #expect(!fourth.namespaceExists("empty"))
        // Nothing moved: the previous list itself is kept.
        store.update(path: "a.yaml", text: Self.services(10))
        let fifth = store.state(previous: fourth)
        #expect(fifth.namespaces == fourth.namespaces)
        #expect(fifth.hasSameDNSContent(as: fourth))
    }

    @Test("a service's slices, legacy Endpoints and subdomain pods land in its shard")
    func relatedObjectsShareAShard() throws {
        let slice = sliceYAML(name: "web-abc", service: "web", endpoints: [("10.244.0.5", "true")])
        let store = ManifestStore()
        store.update(path: "a.yaml", text: "---\n" + serviceYAML(name: "web") + "\n---\n" + slice + "\n")
        let state = store.state(previous: nil)
        let shard = state.shards[RegistryShard.of(namespace: "prod", service: "web")]
        let id = try #require(shard.serviceID(namespace: "prod", name: "web"))
        #expect(shard.endpoints(of: id).map(\.address.description) == ["10.244.0.5"])
        #expect(state.merged.counts == state.counts)
    }

    @Test("the merged view equals a whole-cluster snapshot of the same files")
    func mergedEqualsWhole() throws {
        let store = ManifestStore()
        store.update(path: "a.yaml", text: Self.services(40))
        store.update(path: "b.yaml", text: Self.services(5, namespace: "other") + "---\n" + serviceYAML(name: "svc-1") + "\n")
        let state = store.state(previous: nil)
        let whole = store.snapshot(previous: nil)
        #expect(state.merged.services.map(\.identity) == whole.services.map(\.identity))
        #expect(state.counts == whole.counts)
        #expect(state.issues.filter { $0.code == .duplicateObject }.count == 1, "svc-1 in both files, reported once")
    }

    @Test("the string interner does not grow without bound under churn of unique names")
    func internerIsBounded() throws {
        let store = ManifestStore()
        for round in 0..<80 {
            // 1 000 label values never seen before, each longer than an inline string.
            let text = (0..<10).map { k in
                "---\n" + serviceYAML(name: "svc-\(k)", extraSpec: "") .replacingOccurrences(
                    of: "  namespace: prod\n",
                    with: "  namespace: prod\n  labels:\n" + (0..<100).map { "    key\($0): value-round-\(round)-\(k)-\($0)-unique\n" }.joined())
                    + "\n"
            }.joined()
            store.update(path: "a.yaml", text: text)
        }
        #expect(store.internedCount < StringInterner.floor + 2_000)
        #expect(store.snapshot(previous: nil).counts.services == 10)
    }

    @Test("an edit keeps the object arrays of the shards it did not touch: nothing is held twice")
    func untouchedPartsAreShared() throws {
        let store = ManifestStore()
        store.update(path: "a.yaml", text: Self.services(500))
        let first = store.state(previous: nil)
        store.update(path: "a.yaml", text: Self.services(500) + Self.services(1, from: 500))
        let second = store.state(previous: first)
        let changed = RegistryShard.of(namespace: "prod", service: "svc-500")
        func base(_ state: ClusterState, _ s: Int) -> UnsafeRawPointer? {
            state.shardSources[s].first?.objects.services.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) }
        }
        var shared = 0
        for s in 0..<RegistryShard.count where s != changed && base(first, s) != nil {
            #expect(base(first, s) == base(second, s), "shard \(s)")
            shared += 1
        }
        #expect(shared > 50)
        #expect(base(first, changed) != base(second, changed))
        // Positions stay valid: a later edit that reuses those documents still finds them.
        store.update(path: "a.yaml", text: Self.services(1, from: 900) + Self.services(500) + Self.services(1, from: 500))
        let third = store.state(previous: second)
        #expect(third.counts.services == 502)
        for i in [0, 250, 499, 500, 900] { #expect(third.service(namespace: "prod", name: "svc-\(i)") != nil) }
        #expect(third.merged.services.map(\.name).sorted() == store.snapshot(previous: nil).services.map(\.name).sorted())
    }
}
