import Glibc

/// What identifies one version of a file without reading it: device, inode, size and both
/// timestamps (of the file a symlink points to). A ConfigMap update swaps the `..data` link to
/// a new directory, which changes the inode behind every file; an in-place edit changes the
/// mtime or size; `touch` changes the ctime.
struct FileFingerprint: Hashable, Sendable {
    var device: UInt64
    var inode: UInt64
    var size: Int64
    var modified: timespec
    var changed: timespec

    init(_ s: stat) {
        device = UInt64(s.st_dev)
        inode = UInt64(s.st_ino)
        size = Int64(s.st_size)
        modified = s.st_mtim
        changed = s.st_ctim
    }

    static func == (a: FileFingerprint, b: FileFingerprint) -> Bool {
        a.device == b.device && a.inode == b.inode && a.size == b.size
            && a.modified.tv_sec == b.modified.tv_sec && a.modified.tv_nsec == b.modified.tv_nsec
            && a.changed.tv_sec == b.changed.tv_sec && a.changed.tv_nsec == b.changed.tv_nsec
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(device)
        hasher.combine(inode)
        hasher.combine(size)
        hasher.combine(modified.tv_sec)
        hasher.combine(modified.tv_nsec)
    }
}

/// One walk of the manifest directory.
struct DirectoryScan {
    /// Manifest files by path (the root joined with the names walked, symlinks not resolved).
    var files: [String: FileFingerprint] = [:]
    /// Every directory walked, root first (each gets an inotify watch).
    var directories: [String] = []
    /// Entries that could not be examined (a dangling symlink, a permission error).
    var problems: [(path: String, reason: String)] = []
}

/// Lists the manifest files under a directory the way `manifests DIR` promises:
/// every `*.yaml`, `*.yml` and `*.json`, recursively, following symbolic links to files and to
/// directories, skipping hidden names (a leading `.`). Kubernetes mounts a ConfigMap as
/// `name.yaml -> ..data/name.yaml` with `..data -> ..2024_…`: the hidden directories are never
/// walked directly, but the visible links into them are followed, so each file is read once.
/// A directory reached twice (a symlink loop, or two links to one directory) is walked once.
enum ManifestDirectoryScanner {
    static let extensions: Set<String> = ["yaml", "yml", "json"]

    /// Walks `root`. - Throws: the errno text when `root` itself cannot be listed.
    static func scan(root: String) throws(ManifestSourceError) -> DirectoryScan {
        var result = DirectoryScan()
        var rootStat = stat()
        guard stat(root, &rootStat) == 0 else { throw .directory(path: root, errno: errno) }
        guard (rootStat.st_mode & S_IFMT) == S_IFDIR else { throw .notADirectory(path: root) }
        var visited: Set<[UInt64]> = [[UInt64(rootStat.st_dev), UInt64(rootStat.st_ino)]]
        var pending: [String] = [root]
        while let directory = pending.popLast() {
            result.directories.append(directory)
            let names: [String]
            do {
                names = try listDirectory(directory)
            } catch {
                if directory == root { throw error }
                result.problems.append((directory, error.description))
                continue
            }
            var subdirectories: [String] = []
            for name in names.sorted() where !name.hasPrefix(".") {
                let path = directory.hasSuffix("/") ? directory + name : directory + "/" + name
                var s = stat()
                guard stat(path, &s) == 0 else {
                    let e = errno
                    // A dangling link (ENOENT) is a file that is not there: like a deleted file,
                    // its objects go. Anything else (EACCES, ELOOP) on a manifest name is a
                    // problem, and the file's previous objects stay.
                    if e != ENOENT && isManifestName(name) { result.problems.append((path, describe(errno: e))) }
                    continue
                }
                switch s.st_mode & S_IFMT {
                case S_IFDIR:
                    if visited.insert([UInt64(s.st_dev), UInt64(s.st_ino)]).inserted { subdirectories.append(path) }
                case S_IFREG where isManifestName(name):
                    result.files[path] = FileFingerprint(s)
                default:
                    break
                }
            }
            // Depth-first, in name order.
            pending.append(contentsOf: subdirectories.reversed())
        }
        return result
    }

    static func isManifestName(_ name: String) -> Bool {
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return false }
        return extensions.contains(name[name.index(after: dot)...].lowercased())
    }

    private static func listDirectory(_ path: String) throws(ManifestSourceError) -> [String] {
        guard let dir = opendir(path) else { throw .directory(path: path, errno: errno) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: &entry.pointee.d_name) { pointer in
                pointer.withMemoryRebound(to: CChar.self, capacity: MemoryLayout.size(ofValue: entry.pointee.d_name)) {
                    String(cString: $0)
                }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}

/// `ENOENT (No such file or directory)`.
func describe(errno code: Int32) -> String {
    "\(String(cString: strerror(code)))"
}
