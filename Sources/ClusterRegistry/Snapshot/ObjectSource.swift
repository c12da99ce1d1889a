/// A named batch of objects given to the snapshot builder: one manifest file (named by its
/// path), or everything a generator or an API watch produced.
///
/// Sources are given in precedence order: when two sources define the same object, the later
/// one wins and a `duplicateObject` warning names both (for manifests: the lexicographically
/// later path wins).
public struct ObjectSource: Sendable {
    public var name: String
    public var objects: ClusterObjects
    /// The DNS content digest of `objects`, when the producer already computed it (the
    /// manifest store does so once per file change, so a rebuild after one edit hashes only
    /// that file). Nil: the builder computes it.
    var digest: UInt64?

    public init(name: String, objects: ClusterObjects) {
        self.name = name
        self.objects = objects
    }

    init(name: String, objects: ClusterObjects, digest: UInt64) {
        self.name = name
        self.objects = objects
        self.digest = digest
    }
}

/// Where an object lives inside a snapshot: which source, which position in that source's
/// per-kind array. Packed in 8 bytes so the sorted per-kind orders cost little.
struct ObjectRef: Hashable, Sendable {
    let source: UInt32
    let index: UInt32

    init(source: Int, index: Int) {
        self.source = UInt32(truncatingIfNeeded: source)
        self.index = UInt32(truncatingIfNeeded: index)
    }
}
