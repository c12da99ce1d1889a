import Dispatch
import Foundation
import Synchronization

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
/// **Changes cost what changed.** A file is cut into its YAML documents (`ManifestDocuments`);
/// a document whose bytes are unchanged since the file was last read is not decoded again (its
/// objects are taken over from the previous version), so appending one Service to a 5 MB file
/// decodes one document. Each file keeps its objects split by registry shard, and the store
/// remembers which shards any change touched, so the next `ClusterState` rebuilds only those.
///
/// Owned by one control-plane thread (the directory source's); not thread-safe.
public final class ManifestStore {
    /// Where an object of a file lives: its shard, its kind, its position in that shard's
    /// array of that kind. 8 bytes per object.
    struct Location: Sendable {
        var shard: UInt8
        var kind: ObjectKind
        var index: UInt32
    }

    /// One YAML document of a file as last decoded. A file has one per Service, slice or pod
    /// in the usual layout (240 000 at 100 000 services), so it is kept to 32 bytes: its
    /// objects are a range of the file's `locations`, not an array of their own (a heap block
    /// per document), and its rare issues and unknown kinds are in the file's `notes` (they
    /// made it 48 bytes, 7 bytes per object at that size, nearly always empty).
    struct Document: Sendable {
        var hash: UInt64
        var byteCount: Int32
        /// Newlines in the document, for the line numbers of the documents after it.
        var lines: Int32
        /// Documents the YAML parser saw in it (0 for comments only, 1 otherwise).
        var documents: Int32
        /// `locations[objectStart ..< objectStart + objectCount]` of its file.
        var objectStart: Int32 = 0
        var objectCount: Int32 = 0
    }

    /// What a document reported besides its objects, with lines and document numbers relative
    /// to the document.
    struct DocumentNotes: Sendable {
        var issues: [ManifestIssue]
        var unknownKinds: [String: Int]

        /// Nil when there is nothing to note.
        static func of(issues: [ManifestIssue], unknownKinds: [String: Int]) -> DocumentNotes? {
            issues.isEmpty && unknownKinds.isEmpty ? nil : DocumentNotes(issues: issues, unknownKinds: unknownKinds)
        }
    }

    struct FileState: Sendable {
        /// Per shard (`RegistryShard.count` entries), the file's objects there.
        var parts: [ClusterObjects]
        var partDigests: [UInt64]
        var namespaces: [Namespace]
        var issues: [ManifestIssue]
        var unknownKinds: [String: Int]
        /// The decoded documents, in file order; empty when the file never parsed.
        var documents: [Document]
        /// The notes of the documents that have any, by index in `documents`.
        var notes: [Int32: DocumentNotes]
        /// Every document's objects, document after document.
        var locations: [Location]

        static var empty: FileState {
            FileState(
                parts: [ClusterObjects](repeating: ClusterObjects(), count: RegistryShard.count),
                partDigests: [UInt64](repeating: ClusterObjects().dnsDigest(), count: RegistryShard.count),
                namespaces: [], issues: [], unknownKinds: [:], documents: [], notes: [:], locations: [])
        }

        var isEmpty: Bool { namespaces.isEmpty && parts.allSatisfy { $0.isEmpty } }

        /// Every object of the file (namespaces first, then shard by shard).
        var objects: ClusterObjects {
            var all = ClusterObjects()
            all.namespaces = namespaces
            for part in parts {
                all.services += part.services
                all.endpointSlices += part.endpointSlices
                all.endpoints += part.endpoints
                all.pods += part.pods
            }
            return all
        }

        /// Where `document`'s objects are.
        func objects(of document: Document) -> ArraySlice<Location> {
            locations[Int(document.objectStart)..<Int(document.objectStart + document.objectCount)]
        }

        func object(at location: Location) -> ClusterObject {
            let part = Int(location.shard)
            let i = Int(location.index)
            switch location.kind {
            case .namespace: return .namespace(namespaces[i])
            case .service: return .service(parts[part].services[i])
            case .endpointSlice: return .endpointSlice(parts[part].endpointSlices[i])
            case .endpoints: return .endpoints(parts[part].endpoints[i])
            case .pod: return .pod(parts[part].pods[i])
            }
        }

        /// Appends `object` and returns where it went.
        mutating func append(_ object: ClusterObject) -> Location {
            guard let shard = RegistryShard.of(object) else {
                if case .namespace(let n) = object { namespaces.append(n) }
                return Location(shard: 0, kind: .namespace, index: UInt32(namespaces.count - 1))
            }
            switch object {
            case .namespace: break
            case .service(let o): parts[shard].services.append(o)
            case .endpointSlice(let o): parts[shard].endpointSlices.append(o)
            case .endpoints(let o): parts[shard].endpoints.append(o)
            case .pod(let o): parts[shard].pods.append(o)
            }
            let count: Int
            switch object.kind {
            case .namespace: count = namespaces.count
            case .service: count = parts[shard].services.count
            case .endpointSlice: count = parts[shard].endpointSlices.count
            case .endpoints: count = parts[shard].endpoints.count
            case .pod: count = parts[shard].pods.count
            }
            return Location(shard: UInt8(shard), kind: object.kind, index: UInt32(count - 1))
        }
    }

    private var files: [String: FileState] = [:]
    private var interner = StringInterner()
    /// Shards touched since `takeChangedShards()`; nil: all of them.
    private var changed: Set<Int>? = nil
    /// Documents decoded and reused by the updates so far (for tests and measurements).
    public private(set) var documentsDecoded = 0
    public private(set) var documentsReused = 0
    /// Values in the string interner (for tests of its bound).
    var internedCount: Int { interner.count }

    public init() {}

    /// Paths of the files the store holds objects or issues for, sorted.
    public var paths: [String] { files.keys.sorted() }

    /// Decodes `text` as the new content of `path` and applies the last-good-state rules.
    public func update(path: String, text: String) {
        commit(Self.prepare(path: path, bytes: Array(text.utf8), previous: files[path], interner: interner))
    }

    /// Decodes many files at once, on every core (the first load of a large directory is
    /// bounded by YAML decoding), then applies them in path order. `read` returns a file's
    /// UTF-8 bytes (validated: see `ManifestDirectoryWatcher.readText`) or why it cannot be read;
    /// bytes, not a `String`, so a 5 MB file is not copied again to be cut into documents.
    /// - Returns: the paths left alone because another process has them open for writing.
    @discardableResult
    public func update(paths: [String], read: @Sendable (String) -> Result<[UInt8], ManifestSourceError>) -> [String] {
        let lanes = max(1, min(paths.count, ProcessInfo.processInfo.activeProcessorCount))
        guard lanes > 1 else {
            return paths.filter { path in !apply(path, read(path)) }
        }
        let previous = files
        let results = Mutex<[Int: Result<Prepared, ManifestSourceError>]>([:])
        DispatchQueue.concurrentPerform(iterations: lanes) { lane in
            // One interner per lane: it is not thread-safe, and a value shared by two lanes
            // is kept twice at most.
            let interner = StringInterner()
            for k in stride(from: lane, to: paths.count, by: lanes) {
                let result = read(paths[k]).map { Self.prepare(path: paths[k], bytes: $0, previous: previous[paths[k]], interner: interner) }
                results.withLock { $0[k] = result }
            }
        }
        let prepared = results.withLock { $0 }
        var deferred: [String] = []
        for k in paths.indices {
            switch prepared[k] {
            case .success(let file): commit(file)
            case .failure(.beingWritten): deferred.append(paths[k])
            case .failure(let error): markUnreadable(path: paths[k], reason: error.description)
            case nil: markUnreadable(path: paths[k], reason: "not read")
            }
        }
        return deferred
    }

    /// Applies one read; false when the file is being written (nothing applied).
    private func apply(_ path: String, _ bytes: Result<[UInt8], ManifestSourceError>) -> Bool {
        switch bytes {
        case .success(let bytes): commit(Self.prepare(path: path, bytes: bytes, previous: files[path], interner: interner))
        case .failure(.beingWritten): return false
        case .failure(let error): markUnreadable(path: path, reason: error.description)
        }
        return true
    }

    /// A file decoded against its previous version, ready to replace it.
    struct Prepared: Sendable {
        var path: String
        /// The new state, or nil after a syntax error (the previous objects stay).
        var state: FileState?
        var syntax: ManifestSyntaxError?
        var touched: Set<Int>
        var decoded = 0
        var reused = 0
    }

    private func commit(_ prepared: Prepared) {
        documentsDecoded += prepared.decoded
        documentsReused += prepared.reused
        guard let state = prepared.state else {
            if let syntax = prepared.syntax { keepPreviousAfterSyntaxError(path: prepared.path, previous: files[prepared.path], syntax) }
            return
        }
        files[prepared.path] = state
        noteChanged(prepared.touched)
        boundInterner()
    }

    /// The interner only grows (every new pod name, label set or service name stays in it), so
    /// under churn it would keep what no object uses any more. When it holds far more values
    /// than there are documents, it starts afresh: objects keep the buffers they share, and new
    /// objects share among themselves again.
    private func boundInterner() {
        let documents = files.values.reduce(0) { $0 + $1.documents.count }
        if interner.count > max(StringInterner.floor, 3 * documents) { interner = StringInterner() }
    }

    /// Cuts `text` into documents, takes over the unchanged ones from `previous` and decodes the
    /// rest. Pure: safe to run for several files on several threads (each with its interner).
    static func prepare(path: String, bytes: [UInt8], previous: FileState?, interner: StringInterner) -> Prepared {
        let chunks = bytes.withUnsafeBufferPointer { ManifestDocuments.split($0) }
        var next = FileState.empty
        // The previous documents by hash: the first with each hash, then a chain through the
        // others with the same hash (identical documents), without an array per entry.
        let previousDocuments = previous?.documents ?? []
        var reusable: [UInt64: Int] = [:]
        reusable.reserveCapacity(previousDocuments.count)
        var sameHash = [Int32](repeating: -1, count: previousDocuments.count)
        for (i, document) in previousDocuments.enumerated().reversed() {
            if let later = reusable.updateValue(i, forKey: document.hash) { sameHash[i] = Int32(later) }
        }
        var previousByIdentity: [ObjectIdentity: Location]? = nil
        var touched = Set<Int>()
        var usedPrevious = [Bool](repeating: false, count: previousDocuments.count)
        var lastReused = -1
        var line = 1
        var documentNumber = 0
        var decodedCount = 0
        var reusedCount = 0
        let decoder = ManifestDecoder(interner: interner)

        // Pass 1: which documents are reused, which are decoded, and which shards that touches.
        enum Step {
            case reused(Document, DocumentNotes?)
            case decoded(Document, DocumentNotes?, [ClusterObject])
        }
        var steps: [Step] = []
        steps.reserveCapacity(chunks.count)
        for chunk in chunks {
            var candidate = reusable[chunk.hash] ?? -1
            while candidate >= 0 && (usedPrevious[candidate] || Int(previousDocuments[candidate].byteCount) != chunk.range.count) {
                candidate = Int(sameHash[candidate])
            }
            if let previous, candidate >= 0 {
                // Unchanged bytes: the objects are taken over without decoding.
                let k = candidate
                usedPrevious[k] = true
                let old = previousDocuments[k]
                // Out of order: its shards' object order changes (it decides duplicates).
                if k < lastReused {
                    for location in previous.objects(of: old) where location.kind != .namespace { touched.insert(Int(location.shard)) }
                }
                lastReused = max(lastReused, k)
                reusedCount += 1
                steps.append(.reused(old, previous.notes[Int32(k)]))
                line += chunk.lines
                continue
            }
            let decodedChunk = bytes.withUnsafeBufferPointer { decoder.decode(UnsafeBufferPointer(rebasing: $0[chunk.range]), file: path) }
            switch decodedChunk {
            case .failure(var syntax):
                syntax.line = syntax.line.map { $0 + line - 1 }
                return Prepared(path: path, state: nil, syntax: syntax, touched: [], decoded: decodedCount, reused: reusedCount)
            case .success(let decoded):
                decodedCount += 1
                let document = Document(
                    hash: chunk.hash, byteCount: Int32(chunk.range.count), lines: Int32(chunk.lines),
                    documents: Int32(decoded.documentCount))
                var issues = decoded.issues
                var objects = decoded.objects
                // An invalid object keeps its previous version, if the file had one.
                if !decoded.rejected.isEmpty, let previous {
                    let taken = Set(decoded.objects.map(\.identity))
                    if previousByIdentity == nil { previousByIdentity = Self.identities(of: previous) }
                    for (identity, issueIndex) in decoded.rejected where !taken.contains(identity) {
                        guard let old = previousByIdentity?[identity] else { continue }
                        objects.append(previous.object(at: old))
                        issues[issueIndex].keptPreviousVersion = true
                    }
                }
                for object in objects { if let shard = RegistryShard.of(object) { touched.insert(shard) } }
                steps.append(.decoded(document, .of(issues: issues, unknownKinds: decoded.unknownKinds), objects))
            }
            line += chunk.lines
        }
        // Documents that went away take their objects' shards with them.
        if let previous {
            for (k, old) in previousDocuments.enumerated() where !usedPrevious[k] {
                for location in previous.objects(of: old) where location.kind != .namespace { touched.insert(Int(location.shard)) }
            }
        }

        // Pass 2: the new file. A shard no change touched keeps the previous array itself (the
        // snapshots of unchanged shards share it, so nothing is held twice) and its objects keep
        // their positions; touched shards are filled again in document order.
        if let previous {
            for s in 0..<RegistryShard.count where !touched.contains(s) {
                next.parts[s] = previous.parts[s]
                next.partDigests[s] = previous.partDigests[s]
            }
        }
        line = 1
        next.locations.reserveCapacity(previous?.locations.count ?? 0)
        next.documents.reserveCapacity(steps.count)
        for step in steps {
            var document: Document
            let notes: DocumentNotes?
            let start = next.locations.count
            switch step {
            case .reused(let old, let oldNotes):
                document = old
                notes = oldNotes
                if let previous {
                    for location in previous.objects(of: old) {
                        if location.kind != .namespace && !touched.contains(Int(location.shard)) {
                            next.locations.append(location)
                        } else {
                            next.locations.append(next.append(previous.object(at: location)))
                        }
                    }
                }
            case .decoded(let fresh, let freshNotes, let objects):
                document = fresh
                notes = freshNotes
                for object in objects { next.locations.append(next.append(object)) }
            }
            document.objectStart = Int32(start)
            document.objectCount = Int32(next.locations.count - start)
            if let notes {
                next.notes[Int32(next.documents.count)] = notes
                for var issue in notes.issues {
                    issue.line = issue.line.map { $0 + line - 1 }
                    issue.document = issue.document.map { $0 + documentNumber }
                    next.issues.append(issue)
                }
                for (kind, n) in notes.unknownKinds { next.unknownKinds[kind, default: 0] += n }
            }
            line += Int(document.lines)
            documentNumber += Int(document.documents)
            next.documents.append(document)
        }
        // A touched shard whose objects were decoded again to exactly what the file held before
        // (a file rewritten or reformatted, a tool touching every document) keeps the previous
        // array: the fresh copies are dropped here rather than held beside the old ones by the
        // published snapshots, and the shard is neither rebuilt nor re-indexed. Equal arrays
        // put every object at the same position, so the locations stay valid.
        if let previous {
            for s in touched.sorted() where next.parts[s] == previous.parts[s] {
                next.parts[s] = previous.parts[s]
                next.partDigests[s] = previous.partDigests[s]
                touched.remove(s)
            }
        }
        // A new file touches every shard it has objects in (the empty ones keep the empty digest).
        if previous == nil { for s in 0..<RegistryShard.count where !next.parts[s].isEmpty { touched.insert(s) } }
        for s in touched {
            next.parts[s].trimCapacity()
            next.partDigests[s] = next.parts[s].dnsDigest()
        }
        return Prepared(path: path, state: next, syntax: nil, touched: touched, decoded: decodedCount, reused: reusedCount)
    }

    /// The identity of every object of a file, for the rejected-object rule.
    private static func identities(of file: FileState) -> [ObjectIdentity: Location] {
        var result: [ObjectIdentity: Location] = [:]
        for location in file.locations { result[file.object(at: location).identity] = location }
        return result
    }

    private func keepPreviousAfterSyntaxError(path: String, previous: FileState?, _ syntax: ManifestSyntaxError) {
        let kept = !(previous?.isEmpty ?? true)
        let issue = ManifestIssue(
            code: .syntax, file: path, line: syntax.line, column: syntax.column,
            message: "YAML/JSON syntax error: \(syntax.message)", keptPreviousVersion: kept)
        var state = previous ?? .empty
        state.issues = [issue]
        files[path] = state
    }

    /// Records that `path` exists but could not be read; its previous objects stay.
    public func markUnreadable(path: String, reason: String) {
        let previous = files[path]
        let issue = ManifestIssue(
            code: .unreadable, file: path, message: "cannot read: \(reason)",
            keptPreviousVersion: !(previous?.isEmpty ?? true))
        var state = previous ?? .empty
        state.issues = [issue]
        files[path] = state
    }

    /// Forgets `path` and its objects (the file was deleted).
    public func remove(path: String) {
        guard let old = files.removeValue(forKey: path) else { return }
        noteChanged(Set(old.parts.indices.filter { !old.parts[$0].isEmpty }))
    }

    /// Forgets every file; also drops the string intern tables.
    public func removeAll() {
        files = [:]
        interner = StringInterner()
        changed = nil
    }

    private func noteChanged(_ shards: Set<Int>) {
        if changed != nil { changed?.formUnion(shards) }
    }

    /// The shards changed since the last call (nil: every shard, as before the first call).
    public func takeChangedShards() -> Set<Int>? {
        defer { changed = [] }
        return changed
    }

    /// Every file's current objects, in path order (the snapshot builder's precedence order).
    public var sources: [ObjectSource] {
        files.sorted { $0.key < $1.key }.map { path, state in
            ObjectSource(name: path, objects: state.objects)
        }
    }

    /// Per shard, the files with objects there, in path order.
    var shardSources: [[ObjectSource]] {
        var result = [[ObjectSource]](repeating: [], count: RegistryShard.count)
        for (path, state) in files.sorted(by: { $0.key < $1.key }) {
            for s in 0..<RegistryShard.count where !state.parts[s].isEmpty {
                result[s].append(ObjectSource(name: path, objects: state.parts[s], digest: state.partDigests[s]))
            }
        }
        return result
    }

    /// The files that declare Namespaces, in path order.
    var namespaceSources: [ObjectSource] {
        files.sorted { $0.key < $1.key }.compactMap { path, state in
            guard !state.namespaces.isEmpty else { return nil }
            var objects = ClusterObjects()
            objects.namespaces = state.namespaces
            return ObjectSource(name: path, objects: objects)
        }
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

    /// The next registry state: the shards changed since the last call rebuilt, the others
    /// shared with `previous`.
    public func state(previous: ClusterState?, now: Date = Date()) -> ClusterState {
        state(previous: previous, changed: takeChangedShards(), now: now)
    }

    /// The next registry state with only `changed` rebuilt (nil: every shard); the caller has
    /// taken the changed shards and publishes them in parts.
    func state(previous: ClusterState?, changed: Set<Int>?, now: Date = Date()) -> ClusterState {
        ClusterState.build(
            shardSources: shardSources, namespaceSources: namespaceSources, changed: changed,
            issues: issues, unknownKinds: unknownKinds, previous: previous, now: now)
    }

    /// The whole registry as one snapshot (every object indexed together).
    public func snapshot(previous: ClusterSnapshot?, now: Date = Date()) -> ClusterSnapshot {
        ClusterSnapshot.build(sources: sources, issues: issues, unknownKinds: unknownKinds, previous: previous, now: now)
    }
}
