import Glibc

/// Why the manifest directory source could not start or watch.
public enum ManifestSourceError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The directory (or a subdirectory) could not be opened or examined.
    case directory(path: String, errno: Int32)
    case notADirectory(path: String)
    /// An inotify or eventfd call failed; `call` names it.
    case system(call: String, errno: Int32)

    public var description: String {
        switch self {
        case .directory(let path, let e): "manifests directory \(path): \(describe(errno: e))"
        case .notADirectory(let path): "manifests directory \(path): not a directory"
        case .system(let call, let e): "\(call): \(describe(errno: e))"
        }
    }
}
