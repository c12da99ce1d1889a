import Foundation

/// A value guarded by a lock, for the API source's control-plane tasks.
///
/// `Synchronization.Mutex` requires what crosses into its closure to be sendable, and the YAML
/// nodes handed to the store are not (Yams' `Tag` is a class). They are freshly parsed, owned by
/// the calling task, and never escape the critical section, so a plain lock is sound here.
final class LockedState<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) {
        self.value = value
    }

    func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
