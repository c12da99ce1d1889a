import Foundation
import Testing
@testable import ClusterRegistry

@Suite("Last good state")
struct ManifestStoreTests {
    static let two = serviceYAML(name: "web") + "\n---\n" + serviceYAML(name: "api", clusterIP: "10.96.0.21") + "\n"

    @Test("a file that stops parsing keeps all its previous objects, and says so")
    func syntaxErrorKeepsFile() throws {
        let store = ManifestStore()
        store.update(path: "prod.yaml", text: Self.two)
        store.update(path: "prod.yaml", text: "apiVersion: v1\nkind: Service\n  metadata: [\n")
        let snap = store.snapshot(previous: nil)
        #expect(snap.services.map(\.name) == ["api", "web"])
        let issue = try #require(snap.issues.first)
        #expect(issue.code == .syntax)
        #expect(issue.keptPreviousVersion)
        #expect(issue.description.hasSuffix("; previous version kept"))
    }

    @Test("an object that becomes invalid keeps its previous version; valid edits beside it are taken")
    func invalidObjectKeepsPreviousVersion() throws {
        let store = ManifestStore()
        store.update(path: "prod.yaml", text: Self.two)
        let edited = serviceYAML(name: "web", clusterIP: "10.96.0.999") + "\n---\n" + serviceYAML(name: "api", clusterIP: "10.96.0.31") + "\n"
        store.update(path: "prod.yaml", text: edited)
        let snap = store.snapshot(previous: nil)
        let web = try #require(snap.service(namespace: "prod", name: "web"))
        #expect(Array(web.clusterIPs) == [ip("10.96.0.20")], "the last good web is still served")
        let api = try #require(snap.service(namespace: "prod", name: "api"))
        #expect(Array(api.clusterIPs) == [ip("10.96.0.31")], "the valid edit is taken")
        let issue = try #require(snap.errors.first)
        #expect(issue.code == .invalidAddress)
        #expect(issue.name == "web")
        #expect(issue.keptPreviousVersion)
    }

    @Test("a bad edit never empties a namespace: all of its objects invalid keeps them all")
    func badEditKeepsNamespace() throws {
        let store = ManifestStore()
        store.update(path: "prod.yaml", text: Self.two)
        let broken = Self.two.replacingOccurrences(of: "port: 80", with: "port: 99999")
        store.update(path: "prod.yaml", text: broken)
        let snap = store.snapshot(previous: nil)
        #expect(snap.serviceIDs(inNamespace: "prod").count == 2)
        #expect(snap.errors.count == 2)
        #expect(snap.errors.allSatisfy { $0.keptPreviousVersion })
    }

    @Test("an invalid object with no previous version is simply skipped")
    func invalidNewObjectSkipped() throws {
        let store = ManifestStore()
        store.update(path: "prod.yaml", text: serviceYAML(name: "web", clusterIP: "bad"))
        let snap = store.snapshot(previous: nil)
        #expect(snap.counts.services == 0)
        #expect(snap.errors.first?.keptPreviousVersion == false)
    }

    @Test("an object removed from a file that parses is removed")
    func removedObjectRemoved() throws {
        let store = ManifestStore()
        store.update(path: "prod.yaml", text: Self.two)
        store.update(path: "prod.yaml", text: serviceYAML(name: "web"))
        #expect(store.snapshot(previous: nil).services.map(\.name) == ["web"])
    }

    @Test("a deleted file removes its objects")
    func deletedFile() throws {
        let store = ManifestStore()
        store.update(path: "a.yaml", text: serviceYAML(name: "web"))
        store.update(path: "b.yaml", text: serviceYAML(name: "api", clusterIP: "10.96.0.21"))
        store.remove(path: "a.yaml")
        let snap = store.snapshot(previous: nil)
        #expect(snap.services.map(\.name) == ["api"])
        #expect(snap.issues.isEmpty)
    }

    @Test("the same object in two files: the lexicographically later path wins, with a warning naming both")
    func duplicateAcrossFiles() throws {
        let store = ManifestStore()
        store.update(path: "b/web.yaml", text: serviceYAML(name: "web", clusterIP: "10.96.0.2"))
        store.update(path: "a/web.yaml", text: serviceYAML(name: "web", clusterIP: "10.96.0.1"))
        let snap = store.snapshot(previous: nil)
        #expect(snap.counts.services == 1)
        #expect(snap.service(namespace: "prod", name: "web").map { Array($0.clusterIPs) } == [ip("10.96.0.2")])
        let warning = try #require(snap.issues.first)
        #expect(warning.severity == .warning)
        #expect(warning.code == .duplicateObject)
        #expect(warning.description == "b/web.yaml Service/prod/web: also defined in a/web.yaml; this later file wins")
    }

    @Test("the same object twice in one file: the later document wins")
    func duplicateInFile() throws {
        let text = serviceYAML(name: "web", clusterIP: "10.96.0.1") + "\n---\n" + serviceYAML(name: "web", clusterIP: "10.96.0.2") + "\n"
        let snap = snapshot([("x.yaml", text)])
        #expect(snap.service(namespace: "prod", name: "web").map { Array($0.clusterIPs) } == [ip("10.96.0.2")])
        #expect(snap.issues.map(\.code) == [.duplicateObject])
    }

    @Test("an unreadable file keeps its previous objects")
    func unreadableKeeps() throws {
        let store = ManifestStore()
        store.update(path: "a.yaml", text: serviceYAML(name: "web"))
        store.markUnreadable(path: "a.yaml", reason: "open: Permission denied")
        let snap = store.snapshot(previous: nil)
        #expect(snap.counts.services == 1)
        #expect(snap.issues.first?.code == .unreadable)
        #expect(snap.issues.first?.keptPreviousVersion == true)
    }

    @Test("fixing a broken file clears its issues")
    func fixClearsIssues() throws {
        let store = ManifestStore()
        store.update(path: "a.yaml", text: "kind: [")
        #expect(!store.issues.isEmpty)
        store.update(path: "a.yaml", text: serviceYAML(name: "web"))
        #expect(store.issues.isEmpty)
    }
}
