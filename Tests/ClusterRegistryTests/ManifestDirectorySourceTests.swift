import Foundation
import DNSWire
import Synchronization
import Testing
@testable import ClusterRegistry

/// The watcher against a real directory. Waits are generous (`eventually`, 5 s); the promise
/// being checked is "served within 1 s", so a pass here with the default 50 ms debounce is
/// far from the limit.
@Suite("Manifest directory source", .serialized)
struct ManifestDirectorySourceTests {
    static let web = serviceYAML(name: "web")
    static let api = serviceYAML(name: "api", clusterIP: "10.96.0.21")

    func started(_ dir: TemporaryDirectory) throws -> ManifestDirectorySource {
        var options = ManifestDirectorySource.Options()
        options.rescanInterval = .seconds(60)  // prove inotify does the work, not the rescan
        let source = ManifestDirectorySource(path: dir.path, options: options)
        try source.start()
        return source
    }

    func names(_ source: ManifestDirectorySource) -> [String] {
        source.snapshots.load()?.services.map(\.name) ?? []
    }

    @Test("start loads everything synchronously: nested directories, .yml and .json, hidden names skipped")
    func initialLoad() throws {
        let dir = try TemporaryDirectory()
        try dir.write("a/web.yaml", Self.web)
        try dir.write("b/c/api.yml", Self.api)
        try dir.write("ns.json", #"{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "prod"}}"#)
        try dir.write(".hidden.yaml", serviceYAML(name: "hidden", clusterIP: "10.96.0.50"))
        try dir.write(".git/config.yaml", serviceYAML(name: "git", clusterIP: "10.96.0.51"))
        try dir.write("notes.txt", "kind: Service")
        let source = try started(dir)
        defer { source.stop() }
        let snap = try #require(source.snapshots.load())
        #expect(snap.services.map(\.name) == ["api", "web"])
        #expect(snap.namespace(named: "prod")?.isDeclared == true)
        #expect(snap.issues.isEmpty)
    }

    @Test("a missing directory is a startup error that names it")
    func missingDirectory() {
        let source = ManifestDirectorySource(path: "/nonexistent/clusterdns-manifests")
        #expect(throws: ManifestSourceError.directory(path: "/nonexistent/clusterdns-manifests", errno: ENOENT)) {
            try source.start()
        }
    }

    @Test("an added file is served")
    func addFile() throws {
        let dir = try TemporaryDirectory()
        try dir.write("web.yaml", Self.web)
        let source = try started(dir)
        defer { source.stop() }
        try dir.write("api.yaml", Self.api)
        #expect(eventually { names(source) == ["api", "web"] })
    }

    @Test("a file changed in place is served")
    func changeFile() throws {
        let dir = try TemporaryDirectory()
        try dir.write("web.yaml", Self.web)
        let source = try started(dir)
        defer { source.stop() }
        try dir.write("web.yaml", serviceYAML(name: "web", clusterIP: "10.96.0.77"))
        #expect(eventually {
            source.snapshots.load()?.service(namespace: "prod", name: "web").map { Array($0.clusterIPs) } == [ip("10.96.0.77")]
        })
    }

    @Test("a deleted file's objects go away")
    func deleteFile() throws {
        let dir = try TemporaryDirectory()
        try dir.write("web.yaml", Self.web)
        try dir.write("api.yaml", Self.api)
        let source = try started(dir)
        defer { source.stop() }
        try dir.remove("api.yaml")
        #expect(eventually { names(source) == ["web"] })
    }

    @Test("an atomic rename over a file (editors, kubectl-style tools) is served")
    func atomicRename() throws {
        let dir = try TemporaryDirectory()
        try dir.write("web.yaml", Self.web)
        let source = try started(dir)
        defer { source.stop() }
        try dir.writeAtomically("web.yaml", Self.web + "\n---\n" + Self.api)
        #expect(eventually { names(source) == ["api", "web"] })
        try dir.move("web.yaml", "renamed.txt")
        #expect(eventually { names(source).isEmpty }, "moving a file out of the manifest names removes it")
    }

    @Test("a ConfigMap-style volume update (..data symlink swap) is served")
    func configMapSwap() throws {
        let dir = try TemporaryDirectory()
        try dir.write("..2024_01_01_00_00_00.000000001/cluster.yaml", Self.web)
        try dir.symlink("..data", to: "..2024_01_01_00_00_00.000000001")
        try dir.symlink("cluster.yaml", to: "..data/cluster.yaml")
        let source = try started(dir)
        defer { source.stop() }
        #expect(names(source) == ["web"], "the visible link is followed, the hidden directories are not walked twice")

        // What the kubelet's atomic writer does: new timestamped dir, new link, rename over ..data.
        try dir.write("..2024_01_01_00_05_00.000000002/cluster.yaml", Self.web + "\n---\n" + Self.api)
        try dir.symlink("..data_tmp", to: "..2024_01_01_00_05_00.000000002")
        try dir.move("..data_tmp", "..data")
        try dir.remove("..2024_01_01_00_00_00.000000001")
        #expect(eventually { names(source) == ["api", "web"] })
    }

    @Test("a new subdirectory is watched too")
    func newSubdirectory() throws {
        let dir = try TemporaryDirectory()
        try dir.write("web.yaml", Self.web)
        let source = try started(dir)
        defer { source.stop() }
        try dir.write("team/api.yaml", Self.api)
        #expect(eventually { names(source) == ["api", "web"] })
        try dir.write("team/deeper/more.yaml", serviceYAML(name: "more", clusterIP: "10.96.0.22"))
        #expect(eventually { names(source) == ["api", "more", "web"] })
    }

    @Test("a broken file does not empty its namespace, and fixing it is served")
    func brokenFile() throws {
        let dir = try TemporaryDirectory()
        try dir.write("prod.yaml", Self.web + "\n---\n" + Self.api)
        let source = try started(dir)
        defer { source.stop() }
        let before = try #require(source.snapshots.load()).generation
        try dir.writeAtomically("prod.yaml", "apiVersion: v1\nkind: Service\nmetadata: [broken\n")
        #expect(eventually { (source.snapshots.load()?.generation ?? 0) > before })
        let broken = try #require(source.snapshots.load())
        #expect(broken.services.map(\.name) == ["api", "web"])
        #expect(broken.errors.first?.code == .syntax)
        #expect(broken.errors.first?.keptPreviousVersion == true)

        try dir.writeAtomically("prod.yaml", Self.web)
        #expect(eventually { names(source) == ["web"] && source.snapshots.load()?.issues.isEmpty == true })
    }

    @Test("the periodic rescan catches a change inotify cannot see (a symlink target outside DIR)")
    func periodicRescan() throws {
        let outside = try TemporaryDirectory()
        let dir = try TemporaryDirectory()
        try outside.write("web.yaml", Self.web)
        try dir.symlink("web.yaml", to: outside.url("web.yaml"))
        var options = ManifestDirectorySource.Options()
        options.rescanInterval = .milliseconds(200)
        let source = ManifestDirectorySource(path: dir.path, options: options)
        try source.start()
        defer { source.stop() }
        try outside.write("web.yaml", Self.web + "\n---\n" + Self.api)
        #expect(eventually { names(source) == ["api", "web"] })
    }

    @Test("requestRescan re-reads every file; stop ends the thread and keeps the last snapshot")
    func rescanAndStop() throws {
        let dir = try TemporaryDirectory()
        try dir.write("web.yaml", Self.web)
        let source = try started(dir)
        let generation = source.snapshots.publishedGeneration
        source.requestRescan()
        #expect(eventually { source.snapshots.publishedGeneration > generation })
        source.stop()
        source.stop()  // idempotent
        try dir.write("api.yaml", Self.api)
        usleep(200_000)
        #expect(names(source) == ["web"], "nothing is watched after stop")
    }

    @Test("a change to the whole cluster is published in waves of shards, each service old or new, never half")
    func wholeClusterChangeInWaves() throws {
        let dir = try TemporaryDirectory()
        func cluster(_ third: Int) -> String {
            (0..<300).map { i in serviceYAML(name: "svc-\(i)", clusterIP: "10.96.\(third).\(i % 250 + 1)") }
                .joined(separator: "\n---\n")
        }
        try dir.write("all.yaml", cluster(1))
        var options = ManifestDirectorySource.Options()
        options.rescanInterval = .seconds(60)
        options.partGap = .zero
        let source = ManifestDirectorySource(path: dir.path, options: options)
        try source.start()
        defer { source.stop() }
        let published = Mutex<[ClusterState]>([])
        let token = source.snapshots.subscribe { state in published.withLock { $0.append(state) } }
        defer { source.snapshots.unsubscribe(token) }

        try dir.write("all.yaml", cluster(2))
        #expect(eventually {
            guard let state = source.snapshots.load() else { return false }
            return (0..<300).allSatisfy { i in
                state.service(namespace: "prod", name: "svc-\(i)")?.clusterIPs.first?.description == "10.96.2.\(i % 250 + 1)"
            }
        })
        let states = published.withLock { $0 }
        #expect(states.count >= RegistryShard.count / ManifestDirectoryWatcher.shardsPerWave - 1)
        for state in states {
            // Per shard: every service of it old, or every one new.
            var seen: [Int: Set<String>] = [:]
            for i in 0..<300 {
                guard let ip = state.service(namespace: "prod", name: "svc-\(i)")?.clusterIPs.first?.description else {
                    Issue.record("svc-\(i) missing from a wave"); continue
                }
                seen[RegistryShard.of(namespace: "prod", service: "svc-\(i)"), default: []].insert(String(ip.split(separator: ".")[2]))
            }
            #expect(seen.values.allSatisfy { $0.count == 1 })
        }
        for i in 0..<300 {
            #expect(source.snapshots.load()?.service(namespace: "prod", name: "svc-\(i)")?.clusterIPs.first?.description == "10.96.2.\(i % 250 + 1)")
        }
    }

    @Test("a relist of most of the directory's bytes is read in parts; the first load and small changes in one")
    func largeChangesAreReadInParts() {
        var sizes: [String: FileFingerprint] = [:]
        var st = stat()
        for k in 0..<16 {
            st.st_size = 2 << 20
            st.st_ino = ino_t(k)
            sizes["f\(k).yaml"] = FileFingerprint(st)
        }
        let paths = sizes.keys.sorted()
        #expect(ManifestDirectoryWatcher.batches(paths, sizes: sizes, afterFirstLoad: false) == [paths])
        #expect(ManifestDirectoryWatcher.batches(["f0.yaml"], sizes: sizes, afterFirstLoad: true) == [["f0.yaml"]])
        // 32 MiB in all: parts of an eighth, 4 MiB (two files).
        let parts = ManifestDirectoryWatcher.batches(paths, sizes: sizes, afterFirstLoad: true)
        #expect(parts.count == 8)
        #expect(parts.allSatisfy { $0.count == 2 })
        #expect(parts.flatMap { $0 } == paths)
    }

    @Test("a burst of writes is published as few snapshots, ending in the final state")
    func debounce() throws {
        let dir = try TemporaryDirectory()
        let source = try started(dir)
        defer { source.stop() }
        let before = source.snapshots.publishedGeneration
        for i in 0..<20 {
            try dir.write("svc-\(i).yaml", serviceYAML(name: "svc-\(i)", clusterIP: "10.96.1.\(i)"))
        }
        #expect(eventually { names(source).count == 20 })
        #expect(source.snapshots.publishedGeneration - before < 20)
    }
}
