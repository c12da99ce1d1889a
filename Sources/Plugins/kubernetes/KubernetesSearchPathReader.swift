import ClusterRegistry
import DNSWire

/// `autopath @kubernetes` on one worker: the search path of the pod that sent a query, read
/// from this worker's own `SnapshotCell.Reader` of the plugin's index.
///
/// Why a reader per worker: `KubernetesPlugin.searchPath(forClient:)` reads the index with
/// `indexes.load()`, which takes the cell's mutex — shared by every worker, on every autopath
/// query. The reader costs one relaxed atomic load per query and locks only once after each
/// publish (see `SnapshotCell`), like every other reader on the query path. Used only on its
/// worker's thread.
final class KubernetesSearchPathReader: SearchPathReader {
    private var reader: SnapshotCell<KubernetesIndexSet>.Reader
    private let verified: Bool

    init(plugin: KubernetesPlugin) {
        reader = plugin.indexes.makeReader()
        verified = plugin.config.pods == .verified
    }

    /// - Complexity: one hash lookup; allocation-free (the paths are precomputed per namespace).
    func searchPath(forClient address: IPAddress) -> [DomainName]? {
        guard verified else { return nil }
        return reader.withCurrent { set in
            // The whole cluster's pod tables live in the set's `home` index.
            guard let home = set?.home, let ns = home.clientNamespaces[address] else { return nil }
            return home.searchPaths[Int(ns)]
        }
    }

    func refresh() {
        reader.withCurrent { _ in }
    }
}

extension KubernetesPlugin {
    public func makeSearchPathReader() -> any SearchPathReader { KubernetesSearchPathReader(plugin: self) }
}
