#if canImport(Glibc)
import Glibc
#endif

/// The one way the server reads a small file whole (the Corefile and its imports, a resolv.conf,
/// cgroup and /proc files), through `Syscall` and its errno policy.
///
/// Control plane only: it allocates the returned bytes.
public enum FileReader {
    /// What was read: the file's first octets, and whether it holds more than the limit.
    public struct Contents: Sendable {
        /// At most `limit` octets from the start of the file.
        public var bytes: [UInt8]
        /// True when the file goes on after `limit` octets (`bytes` then stops there).
        public var truncated: Bool

        /// The octets as text; invalid UTF-8 becomes U+FFFD.
        public var text: String { String(decoding: bytes, as: UTF8.self) }
    }

    /// Reads the file at `path` from its start, up to `limit` octets.
    /// - Throws: `SystemError` of `open`, `fstat` or `read`; `EISDIR` (call `read`) for a directory.
    public static func read(path: String, limit: Int) throws(SystemError) -> Contents {
        let fd = try Syscall.open(path: path, flags: O_RDONLY | O_CLOEXEC)
        defer { Syscall.close(fd: fd) }
        return try read(fd: fd, limit: limit)
    }

    /// Reads an open descriptor from its current offset, up to `limit` octets.
    /// - Throws: `SystemError` of `fstat` or `read`; `EISDIR` (call `read`) for a directory.
    public static func read(fd: Int32, limit: Int) throws(SystemError) -> Contents {
        if (try Syscall.fstat(fd: fd).st_mode & S_IFMT) == S_IFDIR { throw SystemError(errno: EISDIR, call: "read") }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let want = min(chunk.count, limit + 1 - bytes.count)
            let result = chunk.withUnsafeMutableBytes { raw in
                Result { () throws(SystemError) in try Syscall.read(fd: fd, buffer: UnsafeMutableRawBufferPointer(rebasing: raw[0..<want])) }
            }
            // A descriptor opened blocking never reports EAGAIN; `.wouldBlock` ends the file too.
            guard case .processed(let count) = try result.get(), count > 0 else { break }
            bytes.append(contentsOf: chunk[0..<count])
            if bytes.count > limit {
                bytes.removeLast(bytes.count - limit)
                return Contents(bytes: bytes, truncated: true)
            }
        }
        return Contents(bytes: bytes, truncated: false)
    }
}
