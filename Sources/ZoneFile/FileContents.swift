#if canImport(Glibc)
import Glibc
#endif

/// Whole-file reads and path arithmetic for zone and hosts files (no Foundation on this path).
public enum FileContents {
    /// The file's bytes.
    /// - Throws: `ZoneFileError` at line 0 with the system's reason (`No such file or directory`).
    public static func read(_ path: String) throws(ZoneFileError) -> [UInt8] {
        guard let file = fopen(path, "rb") else {
            throw ZoneFileError(file: path, line: 0, "cannot open: \(String(cString: strerror(errno)))")
        }
        defer { fclose(file) }
        var info = stat()
        if fstat(fileno(file), &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR {
            throw ZoneFileError(file: path, line: 0, "is a directory")
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = fread(&chunk, 1, chunk.count, file)
            if n > 0 { bytes.append(contentsOf: chunk[0..<n]) }
            if n < chunk.count {
                if ferror(file) != 0 {
                    throw ZoneFileError(file: path, line: 0, "cannot read: \(String(cString: strerror(errno)))")
                }
                break
            }
        }
        return bytes
    }

    /// The canonical path (symlinks resolved), or `path` itself when it cannot be resolved.
    public static func resolvedPath(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// `path` taken relative to `directory` unless it is absolute.
    public static func join(_ directory: String, _ path: String) -> String {
        if path.hasPrefix("/") || directory.isEmpty || directory == "." { return path }
        return directory.hasSuffix("/") ? directory + path : directory + "/" + path
    }

    /// The directory part of `path` (`.` when there is none).
    public static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let directory = String(path[..<slash])
        return directory.isEmpty ? "/" : directory
    }

    /// Modification time and size, or nil when the file cannot be stat'ed: what reloaders
    /// compare to decide whether to re-read a file.
    public static func fingerprint(_ path: String) -> FileFingerprint? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return FileFingerprint(seconds: Int64(info.st_mtim.tv_sec), nanoseconds: Int64(info.st_mtim.tv_nsec),
                               size: Int64(info.st_size), inode: UInt64(info.st_ino))
    }
}

/// What a reloader remembers of a file to notice it changed.
public struct FileFingerprint: Sendable, Hashable {
    public let seconds: Int64
    public let nanoseconds: Int64
    public let size: Int64
    public let inode: UInt64
}
