import DNSWire

/// Where one query's autopath walk is: the base name, the client's search path, the step being
/// tried, and the reply to the first candidate (returned if every candidate fails).
///
/// Pooled by the worker's `AutopathHandler`: the buffers keep their capacity between queries, and
/// the base name lives in memory the state owns, so a step's query is written from it and a
/// search domain's wire bytes without building a name.
final class AutopathState {
    /// The labels in front of the first search domain, wire form, client's case (no root).
    private let prefixStorage = UnsafeMutableRawBufferPointer.allocate(byteCount: DomainName.maxWireLength, alignment: 1)
    private var prefixLength = 0
    private(set) var path: [DomainName] = []
    /// Index of the candidate being resolved: `path[step]`, then the bare base name.
    var step = 0
    private(set) var firstReply: [UInt8] = []
    private(set) var hasFirstReply = false

    init() {
        firstReply.reserveCapacity(512)
    }

    deinit { prefixStorage.deallocate() }

    /// The base name's labels (wire form, no root octet).
    var prefix: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: prefixStorage[0..<prefixLength]) }

    func reset(prefix bytes: UnsafeRawBufferPointer, path: [DomainName]) {
        prefixLength = min(bytes.count, prefixStorage.count)
        if let source = bytes.baseAddress, let target = prefixStorage.baseAddress {
            target.copyMemory(from: source, byteCount: prefixLength)
        }
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

    /// The search domain of candidate `step` (`base.<path[step]>`), or the root past the end of
    /// the path (`base.`).
    func suffix(_ step: Int) -> DomainName {
        step < path.count ? path[step] : .root
    }

    func keepFirstReply(_ reply: UnsafeRawBufferPointer) {
        firstReply.removeAll(keepingCapacity: true)
        firstReply.append(contentsOf: reply)
        hasFirstReply = true
    }
}
