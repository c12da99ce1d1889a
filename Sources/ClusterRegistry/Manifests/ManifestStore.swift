import Foundation

/// The last good objects of every manifest file, and the rules for what a bad edit may change.
///
/// - A file that no longer parses keeps its previous objects entirely; the syntax error is
///   reported.
/// - An invalid object in a file that parses is skipped, but if the file's previous good
///   version had an object with the same identity (kind/namespace/name), that previous object
///   is kept: a bad edit never empties a namespace.
/// - A removed file removes its objects.
/// - The same object in two files: the lexicographically later path wins, with a warning
///   (resolved by the snapshot builder, which gets the files in path order).
///
/// Owned by one control-plane thread (the directory source's); not thread-safe.
public final class ManifestStore {
    struct FileState {
        var objects: ClusterObjects
        var issues: [ManifestIssue]
        var unknownKinds: [String: Int]
        /// `objects.dnsDigest()`, computed once per change of this file.
        var digest: UInt64

        init(objects: ClusterObjects, issues: [ManifestIssue], unknownKinds: [String: Int], digest: UInt64? = nil) {
            self.objects = objects
            self.issues = issues
            self.unknownKinds = unknownKinds
            self.digest = digest ?? objects.dnsDigest()
        }
    }

    private var files: [String: FileState] = [:]
    private var interner = StringInterner()

    public init() {}

    /// Paths of the files the store holds objects or issues for, sorted.
    public var paths: [String] { files.keys.sorted() }

    /// Decodes `text` as the new content of `path` and applies the last-good-state rules.
    public func update(path: String, text: String) {
        let decoder = ManifestDecoder(interner: interner)
        let previous = files[path]
        switch decoder.decode(text, file: path) {
        case .failure(let syntax):
            let kept = !(previous?.objects.isEmpty ?? true)
            let issue = ManifestIssue(
                code: .syntax, file: path, line: syntax.line, column: syntax.column,
                message: "YAML/JSON syntax error: \(syntax.message)", keptPreviousVersion: kept)
            files[path] = FileState(
                objects: previous?.objects ?? ClusterObjects(), issues: [issue],
                unknownKinds: previous?.unknownKinds ?? [:], digest: previous?.digest)
        case .success(let decoded):
            var issues = decoded.issues
            var objects = ClusterObjects(decoded.objects)
            let taken = Set(decoded.objects.map(\.identity))
            if !decoded.rejected.isEmpty, let previous {
                for old in previous.objects.all {
                    guard let issueIndex = decoded.rejected[old.identity], !taken.contains(old.identity) else { continue }
                    objects.append(old)
                    issues[issueIndex].keptPreviousVersion = true
                }
            }
            files[path] = FileState(objects: objects, issues: issues, unknownKinds: decoded.unknownKinds)
        }
    }

    /// Records that `path` exists but could not be read; its previous objects stay.
    public func markUnreadable(path: String, reason: String) {
        let previous = files[path]
        let issue = ManifestIssue(
            code: .unreadable, file: path, message: "cannot read: \(reason)",
            keptPreviousVersion: !(previous?.objects.isEmpty ?? true))
        files[path] = FileState(
            objects: previous?.objects ?? ClusterObjects(), issues: [issue], unknownKinds: previous?.unknownKinds ?? [:],
            digest: previous?.digest)
    }

    /// Forgets `path` and its objects (the file was deleted).
    public func remove(path: String) {
        files[path] = nil
    }

    /// Forgets every file; also drops the string intern tables.
    public func removeAll() {
        files = [:]
        interner = StringInterner()
    }

    /// Every file's current objects, in path order (the snapshot builder's precedence order).
    public var sources: [ObjectSource] {
        files.sorted { $0.key < $1.key }.map { ObjectSource(name: $0.key, objects: $0.value.objects, digest: $0.value.digest) }
    }

    /// Every file's current issues, in path order.
    public var issues: [ManifestIssue] {
        files.sorted { $0.key < $1.key }.flatMap(\.value.issues)
    }

    /// Objects of unserved kinds across all files, by kind.
    public var unknownKinds: [String: Int] {
        files.values.reduce(into: [:]) { total, state in
            for (kind, n) in state.unknownKinds { total[kind, default: 0] += n }
        }
    }

    /// Builds a snapshot of the current state.
    public func snapshot(previous: ClusterSnapshot?, now: Date = Date()) -> ClusterSnapshot {
        ClusterSnapshot.build(sources: sources, issues: issues, unknownKinds: unknownKinds, previous: previous, now: now)
    }
}
