import Glibc

/// Why the manifest directory source could not start or watch.
public enum ManifestSourceError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The directory (or a subdirectory) could not be opened or examined.
    case directory(path: String, errno: Int32)
    case notADirectory(path: String)
    /// An inotify or eventfd call failed; `call` names it.
    case system(call: String, errno: Int32)
    /// A manifest file larger than `limit` octets: not read further, so a runaway file (a log
    /// written into the directory, a generated bomb) cannot take the server's memory.
    case tooLarge(limit: Int)
    /// A manifest file that is not UTF-8 text.
    case notUTF8
    /// A manifest file some process has open for writing: read once its writer closes it.
    case beingWritten

    public var description: String {
        switch self {
        case .directory(let path, let e): "manifests directory \(path): \(describe(errno: e))"
        case .notADirectory(let path): "manifests directory \(path): not a directory"
        case .system(let call, let e): "\(call): \(describe(errno: e))"
        case .notUTF8: "not valid UTF-8"
        case .tooLarge(let limit): "larger than \(limit / (1024 * 1024)) MiB, the most one manifest file may hold (split it)"
        case .beingWritten: "open for writing by another process"
        }
    }
}
