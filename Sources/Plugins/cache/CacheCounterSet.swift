import Synchronization

/// The counters of every worker for one cache (one server block), kept across reloads through
/// `ServerContext.shared`, so that counters never appear to go backwards to a scraper when a
/// reload rebuilds the plugin: worker `i`'s new handler continues worker `i`'s words. Both the old
/// and the new handler of a worker run on that worker's thread, so each word keeps one writer.
final class CacheCounterSet: Sendable {
    private let workers = Mutex<[Int: CacheCounters]>([:])

    /// Worker `index`'s counters, made on first use.
    func counters(forWorker index: Int) -> CacheCounters {
        workers.withLock { table in
            if let existing = table[index] { return existing }
            let made = CacheCounters()
            table[index] = made
            return made
        }
    }

    /// The sum of a word over all workers.
    func total(_ word: CacheCounters.Word) -> UInt64 {
        workers.withLock { table in table.values.reduce(0) { $0 &+ $1.read(word) } }
    }
}
