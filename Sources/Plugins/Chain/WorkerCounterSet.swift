import Synchronization

/// Every worker's counter block of one plugin configuration, kept across reloads through
/// `ServerContext.shared`, so a counter never goes backwards for a scraper when a reload rebuilds
/// the plugin: worker `i`'s new handler continues worker `i`'s block, on the same thread, so each
/// word keeps one writer. The lock is taken when a handler is made and when a scrape sums, never
/// per query.
final class WorkerCounterSet<Block: WorkerCounterBlock>: Sendable {
    private let workers = Mutex<[Int: Block]>([:])
    private let make: @Sendable () -> Block

    init(_ make: @escaping @Sendable () -> Block) { self.make = make }

    /// Worker `index`'s block, made on first use.
    func counters(forWorker index: Int) -> Block {
        workers.withLock { table in
            if let existing = table[index] { return existing }
            let made = make()
            table[index] = made
            return made
        }
    }

    /// Word `index` summed over the workers.
    func total(_ index: Int) -> UInt64 {
        workers.withLock { table in table.values.reduce(0) { $0 &+ $1.read(index) } }
    }
}
