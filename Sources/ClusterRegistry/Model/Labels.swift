/// A set of Kubernetes labels (or a selector's match labels), kept as key-sorted pairs.
///
/// A sorted array instead of a `Dictionary`: objects carry a handful of labels, a small array is
/// a third of the size of a dictionary, and identical label sets (every pod of a ReplicaSet) are
/// interned by the decoder so they share one buffer.
public struct Labels: Sendable, Hashable, Sequence, CustomStringConvertible {
    public struct Pair: Sendable, Hashable {
        public var key: String
        public var value: String
        public init(key: String, value: String) {
            self.key = key
            self.value = value
        }
    }

    /// Sorted by key, keys unique.
    public private(set) var pairs: [Pair]

    public static let empty = Labels(sortedPairs: [])

    /// Builds a label set; a repeated key keeps its last value, as a YAML mapping would.
    public init(_ dictionary: [String: String]) {
        pairs = dictionary.map { Pair(key: $0.key, value: $0.value) }.sorted { $0.key < $1.key }
    }

    /// Wraps pairs the caller has already sorted by key with unique keys.
    init(sortedPairs: [Pair]) { pairs = sortedPairs }

    public var isEmpty: Bool { pairs.isEmpty }
    public var count: Int { pairs.count }

    /// The value of `key`, or nil. - Complexity: O(log n).
    public subscript(key: String) -> String? {
        var low = 0
        var high = pairs.count
        while low < high {
            let mid = (low + high) / 2
            if pairs[mid].key < key { low = mid + 1 } else { high = mid }
        }
        return low < pairs.count && pairs[low].key == key ? pairs[low].value : nil
    }

    /// True when every pair of `selector` is in `self` (Kubernetes `spec.selector` semantics).
    /// An empty selector matches everything.
    public func contains(all selector: Labels) -> Bool {
        selector.pairs.allSatisfy { self[$0.key] == $0.value }
    }

    public func makeIterator() -> IndexingIterator<[Pair]> { pairs.makeIterator() }

    /// `app=web,tier=frontend`, the form `kubectl get --show-labels` prints.
    public var description: String {
        pairs.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
    }
}
