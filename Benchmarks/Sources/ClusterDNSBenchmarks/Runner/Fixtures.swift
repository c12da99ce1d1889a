import Foundation

/// Helpers for benchmark setups.
enum Fixtures {
    /// A copy of `bytes` in memory that never moves and is never freed (it lives as long as the
    /// benchmark process), so a body can read it without `withUnsafeBytes` or retain traffic.
    static func stable(_ bytes: [UInt8]) -> UnsafeRawBufferPointer {
        let memory = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 16)
        memory.copyBytes(from: bytes)
        return UnsafeRawBufferPointer(rebasing: memory[0..<bytes.count])
    }

    /// Stops the run when a setup's own sanity check fails: a benchmark that measures an error
    /// path by mistake would report flattering numbers.
    static func require(_ condition: Bool, _ what: @autoclosure () -> String) {
        guard condition else {
            FileHandle.standardError.write(Data("benchmark setup check failed: \(what())\n".utf8))
            exit(3)
        }
    }
}
