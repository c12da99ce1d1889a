import Glibc

/// One composed YAML or JSON stream: every node of every document in three flat arrays, built
/// once by `YAMLComposer` (from libyaml's events) or `JSONNodeParser` and read by the decoder.
///
/// Why not Yams' `Node`: composing a document into Yams nodes cost ten times libyaml's own parse
/// of it (a `Tag` object, a resolver call and a `String` per node, an array per collection, and a
/// hash of every mapping key for the duplicate check), and the decoder reads a few fields of each
/// object. Here a scalar is a range of one byte buffer (a `String` is made only for the fields
/// the decoder reads), a collection a range of one array of node numbers, and nothing else is
/// allocated per node. An alias is the number of the node its anchor names: shared, never copied.
final class ManifestTree: Sendable {
    enum Kind: UInt8 {
        case scalar, mapping, sequence
    }

    struct Entry {
        /// A scalar: its first byte in `bytes`; a collection: its first child in `children`.
        var start: UInt32
        /// A scalar: its length in bytes; a mapping: keys plus values; a sequence: its items.
        var count: UInt32
        /// 1-based; 0 when unknown (JSON from the API carries no lines).
        var line: UInt32
        var column: UInt16
        var kind: Kind
        /// A plain scalar without an explicit tag other than `!!null`: the only scalars that can
        /// be YAML's null (`~`, `null`, empty). Quoted `"null"` or `!!str null` is text.
        var mayBeNull: Bool
    }

    let entries: [Entry]
    let bytes: [UInt8]
    let children: [Int32]

    init(entries: [Entry], bytes: [UInt8], children: [Int32]) {
        self.entries = entries
        self.bytes = bytes
        self.children = children
    }
}

/// A node of a `ManifestTree`: a scalar, a mapping or a sequence.
public struct ManifestValue: Sendable {
    let tree: ManifestTree
    let id: Int32

    var entry: ManifestTree.Entry { tree.entries[Int(id)] }
    var kind: ManifestTree.Kind { entry.kind }
    var line: Int? { let line = entry.line; return line == 0 ? nil : Int(line) }

    /// YAML's null: a plain (unquoted, untagged) empty scalar, `~` or `null`, `Null`, `NULL`.
    var isNull: Bool {
        let e = entry
        guard e.kind == .scalar, e.mayBeNull else { return false }
        switch e.count {
        case 0: return true
        case 1: return tree.bytes[Int(e.start)] == UInt8(ascii: "~")
        case 4: return Self.isNullWord(tree.bytes, Int(e.start))
        default: return false
        }
    }

    private static func isNullWord(_ b: [UInt8], _ i: Int) -> Bool {
        // null, Null, NULL
        let (n, u, l1, l2) = (b[i], b[i + 1], b[i + 2], b[i + 3])
        if n == UInt8(ascii: "n") || n == UInt8(ascii: "N"), u == UInt8(ascii: "u"), l1 == UInt8(ascii: "l"), l2 == UInt8(ascii: "l") { return true }
        return n == UInt8(ascii: "N") && u == UInt8(ascii: "U") && l1 == UInt8(ascii: "L") && l2 == UInt8(ascii: "L")
    }

    /// A scalar's text (also when it is null: `~` reads `"~"`); nil for a collection.
    var string: String? {
        let e = entry
        guard e.kind == .scalar else { return nil }
        return tree.bytes.withUnsafeBufferPointer { all in
            String(decoding: UnsafeBufferPointer(rebasing: all[Int(e.start)..<Int(e.start + e.count)]), as: UTF8.self)
        }
    }

    /// The text of a scalar that is not YAML's null.
    var text: String? { isNull ? nil : string }

    /// Whether this is a scalar whose text is `key`, compared as bytes.
    func isScalar(_ key: String) -> Bool {
        let e = entry
        guard e.kind == .scalar else { return false }
        var key = key
        return key.withUTF8 { k in
            guard k.count == Int(e.count) else { return false }
            guard let kb = k.baseAddress else { return true }
            return tree.bytes.withUnsafeBufferPointer { all in
                guard let base = all.baseAddress else { return false }
                return memcmp(base + Int(e.start), kb, k.count) == 0
            }
        }
    }

    /// The value of `key` when this is a mapping (the first, should a key repeat), comparing
    /// key text only.
    func member(_ key: String) -> ManifestValue? {
        let e = entry
        guard e.kind == .mapping else { return nil }
        var i = Int(e.start)
        let end = i + Int(e.count)
        while i < end {
            let k = ManifestValue(tree: tree, id: tree.children[i])
            if k.isScalar(key) { return ManifestValue(tree: tree, id: tree.children[i + 1]) }
            i += 2
        }
        return nil
    }

    /// A mapping's pairs in order; empty for anything else.
    var pairs: [(key: ManifestValue, value: ManifestValue)] {
        let e = entry
        guard e.kind == .mapping else { return [] }
        return stride(from: Int(e.start), to: Int(e.start + e.count), by: 2).map {
            (ManifestValue(tree: tree, id: tree.children[$0]), ManifestValue(tree: tree, id: tree.children[$0 + 1]))
        }
    }

    /// A sequence's items in order; empty for anything else.
    var items: [ManifestValue] {
        let e = entry
        guard e.kind == .sequence else { return [] }
        return (Int(e.start)..<Int(e.start + e.count)).map { ManifestValue(tree: tree, id: tree.children[$0]) }
    }
}

/// Builds a `ManifestTree` node by node, in document order: a scalar or a finished collection is
/// attached to the innermost open collection, or becomes a document's root.
struct ManifestTreeBuilder {
    private(set) var entries: [ManifestTree.Entry] = []
    /// Scalar bytes; a parser may append a scalar's bytes here itself, then call `scalar(from:…)`.
    var bytes: [UInt8] = []
    private var children: [Int32] = []
    /// The children of the open collections, innermost last.
    private var pending: [Int32] = []
    private var open: [(id: Int32, pendingStart: Int)] = []
    private(set) var roots: [Int32] = []

    init(capacityHint bytes: Int) {
        // A Kubernetes manifest has about one node per 12 bytes.
        entries.reserveCapacity(bytes / 12 + 8)
        children.reserveCapacity(bytes / 12 + 8)
        self.bytes.reserveCapacity(bytes / 2)
    }

    var depth: Int { open.count }

    /// Adds a scalar whose bytes are `bytes[start...]` (appended by the caller).
    mutating func scalar(from start: Int, mayBeNull: Bool, line: Int, column: Int) -> Int32 {
        let id = Int32(entries.count)
        entries.append(ManifestTree.Entry(
            start: UInt32(start), count: UInt32(bytes.count - start), line: UInt32(clamping: line),
            column: UInt16(clamping: column), kind: .scalar, mayBeNull: mayBeNull))
        return id
    }

    mutating func scalar(_ text: UnsafeBufferPointer<UInt8>, mayBeNull: Bool, line: Int, column: Int) -> Int32 {
        let start = bytes.count
        bytes.append(contentsOf: text)
        return scalar(from: start, mayBeNull: mayBeNull, line: line, column: column)
    }

    mutating func begin(_ kind: ManifestTree.Kind, line: Int, column: Int) {
        let id = Int32(entries.count)
        entries.append(ManifestTree.Entry(
            start: 0, count: 0, line: UInt32(clamping: line), column: UInt16(clamping: column), kind: kind, mayBeNull: false))
        open.append((id, pending.count))
    }

    /// Closes the innermost collection; returns it (not yet attached).
    mutating func end() -> Int32 {
        guard let (id, first) = open.popLast() else { return -1 }
        let start = children.count
        children.append(contentsOf: pending[first...])
        pending.removeLast(pending.count - first)  // keeps the capacity
        entries[Int(id)].start = UInt32(start)
        entries[Int(id)].count = UInt32(children.count - start)
        return id
    }

    /// The scalar keys of the finished mapping `id`.
    func scalarKeys(of id: Int32) -> [Int32] {
        let e = entries[Int(id)]
        var keys: [Int32] = []
        keys.reserveCapacity(Int(e.count) / 2)
        var i = Int(e.start)
        while i < Int(e.start + e.count) {
            if entries[Int(children[i])].kind == .scalar { keys.append(children[i]) }
            i += 2
        }
        return keys
    }

    /// Attaches a finished node (or an alias's target) to the innermost open collection, or makes
    /// it the next document's root.
    mutating func attach(_ id: Int32) {
        if open.isEmpty { roots.append(id) } else { pending.append(id) }
    }

    func entry(_ id: Int32) -> ManifestTree.Entry { entries[Int(id)] }

    /// The bytes of scalar `id`.
    func bytes(of id: Int32) -> ArraySlice<UInt8> {
        let e = entries[Int(id)]
        return bytes[Int(e.start)..<Int(e.start + e.count)]
    }

    func finish() -> (tree: ManifestTree, roots: [Int32]) {
        (ManifestTree(entries: entries, bytes: bytes, children: children), roots)
    }
}
