import ClusterRegistry
import DNSWire
import Foundation
import Testing
@testable import Plugins

/// One `KubernetesIndexSet.Builder` fed successive registry states, as the server feeds it: the
/// shards a change did not touch keep their indexes, yet answers that depend on the whole
/// cluster's namespaces (NODATA for a namespace, `namespace_labels`, `pods verified`, autopath)
/// follow every state.
@Suite struct KubernetesIndexSetTests {
    /// A store, one builder and a harness whose plugin gets every new set.
    final class Fixture {
        let store = ManifestStore()
        let builder: KubernetesIndexSet.Builder
        let harness: KubernetesHarness
        var state: ClusterState?
        private(set) var last: KubernetesIndexSet?

        init(options: String) throws {
            harness = try KubernetesHarness(snapshot: ClusterSnapshot.empty(), options: options)
            builder = KubernetesIndexSet.Builder(config: try KubernetesHarness.config(options), localAddresses: [])
        }

        /// Applies `files` (nil text: the file is removed) and publishes the next set.
        func apply(_ files: [String: String?]) {
            for (path, text) in files {
                if let text { store.update(path: path, text: text) } else { store.remove(path: path) }
            }
            let next = store.state(previous: state)
            state = next
            let set = builder.build(next, loaded: true, localAddresses: [])
            last = set
            harness.plugin.indexes.publish(set)
        }

        var rebuilt: Int { builder.lastRebuilt }

        func rcode(_ name: String, _ type: RecordType = .a) throws -> ResponseCode {
            try harness.query(name, type).rcode
        }

        func addresses(_ name: String) throws -> [String] {
            try harness.query(name, .a).answers.compactMap { record in
                if case .a(let a) = record.rdata { return a.description }
                return nil
            }
        }
    }

    static func namespace(_ name: String, labels: String = "{}") -> String {
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: \(name), labels: \(labels)}\n"
    }

    static func services(_ count: Int, ns: String, from: Int = 0) -> String {
        (from..<(from + count)).map { i in
            "---\napiVersion: v1\nkind: Service\nmetadata: {name: svc-\(i), namespace: \(ns)}\n"
                + "spec: {clusterIP: 10.96.\(i / 250).\(i % 250 + 1), ports: [{port: 80}]}\n"
        }.joined()
    }

    @Test("a new namespace rebuilds its service's shard only; its name and the old ones answer")
    func newNamespace() throws {
        let f = try Fixture(options: "")
        f.apply(["a.yaml": Self.services(200, ns: "prod")])
        #expect(f.rebuilt == RegistryShard.count)
        #expect(try f.rcode("prod.svc.cluster.local.") == .noError)
        #expect(try f.rcode("fresh.svc.cluster.local.") == .nameError)
        f.apply(["b.yaml": Self.services(1, ns: "fresh", from: 900)])
        #expect(f.rebuilt == 1)
        #expect(try f.rcode("fresh.svc.cluster.local.") == .noError)
        #expect(try f.addresses("svc-900.fresh.svc.cluster.local.") == ["10.96.3.151"])
        #expect(try f.rcode("prod.svc.cluster.local.") == .noError)
        #expect(try f.addresses("svc-7.prod.svc.cluster.local.") == ["10.96.0.8"])
        // A declared namespace with no objects exists, and no shard is rebuilt for it.
        f.apply(["c.yaml": Self.namespace("quiet")])
        #expect(f.rebuilt == 0)
        #expect(try f.rcode("quiet.svc.cluster.local.") == .noError)
        f.apply(["b.yaml": nil, "c.yaml": nil])
        #expect(try f.rcode("fresh.svc.cluster.local.") == .nameError)
        #expect(try f.rcode("quiet.svc.cluster.local.") == .nameError)
        #expect(try f.rcode("svc-900.fresh.svc.cluster.local.") == .nameError)
        // PTR routes follow: the removed cluster IP has no name, the others keep theirs.
        #expect(try f.rcode("151.3.96.10.in-addr.arpa.", .ptr) == .nameError)
        #expect(try f.harness.query("8.0.96.10.in-addr.arpa.", .ptr).answers.count == 1)
    }

    @Test("namespace_labels: relabelling a namespace exposes or hides its services in untouched shards")
    func relabel() throws {
        let f = try Fixture(options: "namespace_labels env=prod")
        f.apply(["ns.yaml": Self.namespace("shop", labels: "{env: dev}"), "a.yaml": Self.services(100, ns: "shop")])
        #expect(try f.rcode("svc-3.shop.svc.cluster.local.") == .nameError)
        #expect(try f.rcode("shop.svc.cluster.local.") == .nameError)
        f.apply(["ns.yaml": Self.namespace("shop", labels: "{env: prod}")])
        #expect(try f.addresses("svc-3.shop.svc.cluster.local.") == ["10.96.0.4"])
        #expect(try f.addresses("svc-99.shop.svc.cluster.local.") == ["10.96.0.100"])
        #expect(try f.rcode("shop.svc.cluster.local.") == .noError)
        f.apply(["ns.yaml": Self.namespace("shop", labels: "{env: dev}")])
        #expect(try f.rcode("svc-3.shop.svc.cluster.local.") == .nameError)
    }

    @Test("pods verified and autopath: namespace numbers stay right when a namespace is added before the others")
    func podsVerifiedAcrossNamespaceChanges() throws {
        let f = try Fixture(options: "pods verified")
        let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: prod}\nstatus: {phase: Running, podIP: 10.244.0.9}\n"
        f.apply(["p.yaml": pod, "a.yaml": Self.services(50, ns: "prod")])
        #expect(try f.rcode("10-244-0-9.prod.pod.cluster.local.") == .noError)
        #expect(f.harness.plugin.searchPath(forClient: .v4(IPv4Address(10, 244, 0, 9)))?.first?.description == "prod.svc.cluster.local.")
        // "aaa" sorts first: every namespace number moves.
        f.apply(["b.yaml": Self.services(1, ns: "aaa", from: 600)])
        #expect(try f.rcode("10-244-0-9.prod.pod.cluster.local.") == .noError)
        #expect(try f.rcode("10-244-0-9.aaa.pod.cluster.local.") == .nameError)
        #expect(f.harness.plugin.searchPath(forClient: .v4(IPv4Address(10, 244, 0, 9)))?.first?.description == "prod.svc.cluster.local.")
    }

    @Test("shards rebuilt with the same DNS content keep their indexes and let go of the replaced snapshots")
    func sameContentShardsKeepIndexes() throws {
        let f = try Fixture(options: "")
        f.apply(["a.yaml": Self.services(100, ns: "prod")])
        weak var replaced = f.state?.shards.first { $0.counts.services > 0 }
        #expect(replaced != nil)
        // Every shard is rebuilt from new snapshots (the file is read afresh into a new store)
        // whose DNS content is the old one's: no index is rebuilt, and the builder no longer
        // holds the old snapshots (and the objects they were built from).
        let next = Self.freshState(Self.services(100, ns: "prod"))
        let set = f.builder.build(next, loaded: true, localAddresses: [])
        #expect(f.rebuilt == 0)
        f.harness.plugin.indexes.publish(set)
        f.state = next
        #expect(replaced == nil)
        #expect(try f.addresses("svc-7.prod.svc.cluster.local.") == ["10.96.0.8"])

        // The plugin's shortcut for a whole state with the same content adopts it the same way.
        let plugin = f.harness.plugin
        weak var adopted: ClusterSnapshot?
        do {
            let first = Self.freshState(Self.services(100, ns: "prod"))
            plugin.rebuild(first, loaded: true)
            adopted = first.shards.first { $0.counts.services > 0 }
        }
        #expect(adopted != nil)
        plugin.rebuild(Self.freshState(Self.services(100, ns: "prod")), loaded: true)
        #expect(adopted == nil)
        #expect(try f.addresses("svc-7.prod.svc.cluster.local.") == ["10.96.0.8"])
    }

    /// `text` read into a store of its own: new snapshots of the same content.
    static func freshState(_ text: String) -> ClusterState {
        let store = ManifestStore()
        store.update(path: "a.yaml", text: text)
        return store.state(previous: nil)
    }

    @Test("an idle worker lets go of a replaced index at its refresh, without a query")
    func idleWorkerReleasesReplacedIndex() throws {
        let f = try Fixture(options: "pods verified")
        f.apply(["a.yaml": Self.services(20, ns: "prod")])
        #expect(try f.rcode("svc-1.prod.svc.cluster.local.") == .noError)   // the worker now holds this set
        weak var replaced = f.last
        f.apply(["a.yaml": Self.services(21, ns: "prod")])
        #expect(replaced != nil, "still held by the worker's reader, which has not seen the new set")
        f.harness.engine.refreshHandlers()
        #expect(replaced == nil)
        #expect(try f.rcode("svc-20.prod.svc.cluster.local.") == .noError)
    }
}
