import DNSWire

/// Where one query's autopath walk is: the base name, the client's search path, the step being
/// tried, and the reply to the first candidate (returned if every candidate fails).
///
/// Pooled by the worker's `AutopathHandler`: the buffers keep their capacity between queries.
final class AutopathState {
    /// The labels in front of the first search domain, wire form, client's case (no root).
    private(set) var prefix: [UInt8] = []
    private(set) var path: [DomainName] = []
    /// Index of the candidate being resolved: `path[step]`, then the bare base name.
    var step = 0
    private(set) var firstReply: [UInt8] = []
    private(set) var hasFirstReply = false

    init() {
        prefix.reserveCapacity(255)
        firstReply.reserveCapacity(512)
    }

    func reset(prefix bytes: UnsafeRawBufferPointer, path: [DomainName]) {
        prefix.removeAll(keepingCapacity: true)
        prefix.append(contentsOf: bytes)
        self.path = path
        step = 0
        firstReply.removeAll(keepingCapacity: true)
        hasFirstReply = false
    }

    func clear() {
        path = []
        hasFirstReply = false
    }

    /// The candidates: each search domain, then the root unless the path already ends with it.
    var stepCount: Int { path.last?.isRoot == true ? path.count : path.count + 1 }

    /// `base.<path[step]>` (or `base.` past the end); nil when the name would be too long.
    func candidate(_ step: Int) -> DomainName? {
        let suffix = step < path.count ? path[step].wire : [0]
        return try? DomainName(wire: prefix + suffix)
    }

    func keepFirstReply(_ reply: UnsafeRawBufferPointer) {
        firstReply.removeAll(keepingCapacity: true)
        firstReply.append(contentsOf: reply)
        hasFirstReply = true
    }
}
