import Foundation
import Testing
@testable import ClusterRegistry

/// YAML bombs and oversized files: each ends in an issue naming the file, never a hang, a crash
/// or unbounded memory; the rest of the directory keeps loading. The same inputs are seeds of the
/// `manifest` fuzz target (Fuzz/manifest-corpus).
@Suite struct ManifestBombTests {
    static func issues(_ text: String) -> [ManifestIssue] {
        let store = ManifestStore()
        store.update(path: "bomb.yaml", text: text)
        return store.snapshot(previous: nil).issues
    }

    @Test("deep nesting stops at libyaml's nesting limit with a syntax issue", arguments: [2_000, 100_000])
    func deepNesting(depth: Int) {
        let issues = Self.issues("a: " + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "\n")
        #expect(issues.count == 1)
        #expect(issues.first?.code == .syntax)
        #expect(issues.first?.file == "bomb.yaml")
        #expect(issues.first?.message.contains("nesting") == true)
    }

    @Test("alias fan-out (a billion laughs) is reported at the field, not expanded")
    func billionLaughs() {
        var lines = ["apiVersion: v1", "kind: Service", "metadata: {name: bomb, namespace: default}",
                     "x0: &a0 [" + Array(repeating: "\"lol\"", count: 10).joined(separator: ",") + "]"]
        for i in 1..<10 {
            lines.append("x\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ",") + "]")
        }
        lines.append("spec: {clusterIP: 10.0.0.1, ports: *a9}")
        let issues = Self.issues(lines.joined(separator: "\n") + "\n")
        #expect(issues.count == 1)
        #expect(issues.first?.message.contains("spec.ports[0]") == true)
    }

    @Test("an alias bomb used as a mapping key is rejected without hashing its expansion")
    func aliasKey() {
        var lines = ["a0: &a0 {k: [1,2,3,4,5,6,7,8,9,10]}"]
        for i in 1..<9 {
            lines.append("a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ",") + "]")
        }
        lines.append("? *a8\n: value")
        let issues = Self.issues(lines.joined(separator: "\n") + "\n")
        #expect(issues.count == 1)
        #expect(issues.first?.code == .syntax)
        #expect(issues.first?.line == 10)
        #expect(issues.first?.message.contains("alias inside a mapping key") == true)
    }

    @Test("aliases as values, and anchors on keys, are still read", arguments: [
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: &n prod, labels: {team: *n}}\n",
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  &k name: prod\n",
    ])
    func ordinaryAliases(text: String) {
        #expect(Self.issues(text).isEmpty)
    }

    @Test("an alias in a key nested in a flow mapping key is found", arguments: [
        "a: &a x\n? [*a]\n: 1\n", "a: &a x\nb: {*a : 1}\n", "a: &a x\nb: {? {k: *a} : 1}\n",
    ])
    func nestedKeys(text: String) {
        var text = text
        let composed = text.withUTF8 { YAMLComposer.compose($0) }
        guard case .failure(let error) = composed else {
            Issue.record("an alias in a key was composed")
            return
        }
        #expect(error.message == YAMLComposer.aliasInKeyMessage)
        #expect(error.line == 2)
    }

    @Test("a file over the size limit is not read past it and is reported as unreadable")
    func tooLarge() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("big-\(getpid()).yaml").path
        try String(repeating: "# padding line\n", count: 20_000).write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        switch ManifestDirectoryWatcher.readFile(path, limit: 100_000) {
        case .success: Issue.record("a 300 kB file was read whole under a 100 kB limit")
        case .failure(let error): #expect(error == .tooLarge(limit: 100_000))
        }
        if case .success(let bytes) = ManifestDirectoryWatcher.readFile(path) { #expect(bytes.count == 300_000) }
    }
}
