import Synchronization

/// Every worker's autopath counters for one server block, kept across reloads through
/// `ServerContext.shared` so the counter never goes backwards for a scraper (worker `i`'s new
/// handler continues worker `i`'s word, on the same thread).
final class AutopathCounterSet: Sendable {
    private let workers = Mutex<[Int: AutopathCounters]>([:])

    func counters(forWorker index: Int) -> AutopathCounters {
        workers.withLock { table in
            if let existing = table[index] { return existing }
            let made = AutopathCounters()
            table[index] = made
            return made
        }
    }

    var successes: UInt64 { workers.withLock { $0.values.reduce(0) { $0 &+ $1.successes } } }
}
