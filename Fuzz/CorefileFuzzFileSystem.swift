// The corefile fuzz target's stand-in for Sources/Corefile/FileSystem.swift: Fuzz/run.sh compiles
// the Corefile module with this file in place of that one, so `import` expands against a small
// tree held in memory and the fuzzer never touches the machine's file system.
//
// Why: with the real file system, `import` of an absolute path or a glob (`import /*n/x*`, which
// the fuzzer found) globbed the machine's directories and read what matched (every /usr/bin/x*
// binary, up to 16 MiB each, lexed as a Corefile). One such input took 11 s; the RSS grew to
// 500 MB; and a result depended on the machine's files. Here every path resolves in the tree
// below, which also lets imports succeed (nested, relative, cyclic, globbed), which they could not
// against a directory that did not exist.
//
// Same interface as the real `FileSystem`; `directory(of:)` and `join` are copies of the real ones
// (pure string functions), kept identical so paths are formed as in production.

#if canImport(Glibc)
import Glibc
#endif

enum FileSystem {
    struct Failure: Error {
        let reason: String
    }

    static let maximumFileSize = 16 << 20

    /// Where the fuzz target parses its input (`baseDirectory`), and the files under it.
    static let root = "/fuzz"
    static let files: [String: String] = [
        "/fuzz/Corefile": ". {\n    whoami\n}\n",
        "/fuzz/plugins.conf": "log\nerrors\ncache 30\n",
        "/fuzz/zones/a.conf": "a.example:53 {\n    whoami\n}\n",
        "/fuzz/zones/b.conf": "import ../zones/a.conf\nb.example {\n    import ../plugins.conf\n}\n",
        "/fuzz/zones/env.conf": "{$X}.example {\n    forward . 10.0.0.1:{$Y}\n}\n",
        "/fuzz/loop": "import loop\n",
        "/fuzz/snippet.conf": "(s) {\n    log\n}\n",
        "/fuzz/empty": "",
    ]
    static let directories: Set<String> = ["/", "/fuzz", "/fuzz/zones"]
    /// Files and directories, sorted, as glob(3) returns its matches.
    static let entries: [String] = (Array(files.keys) + Array(directories)).sorted()

    static func readFile(_ path: String) throws(Failure) -> String {
        let normalized = normalize(path)
        if let text = files[normalized] { return text }
        if directories.contains(normalized) { throw Failure(reason: "is a directory") }
        throw Failure(reason: "No such file or directory")
    }

    static func isDirectory(_ path: String) -> Bool {
        directories.contains(normalize(path))
    }

    /// Matches `pattern` against the tree with fnmatch(3) (no file system call): `*`, `?`, `[…]`
    /// and `\` as glob(3), a `/` matched only by a `/`, a leading dot only by a dot. A pattern
    /// without wildcards names itself when it exists, as glob(3) returns it.
    static func glob(_ pattern: String) throws(Failure) -> [String] {
        if !pattern.contains(where: { "*?[\\".contains($0) }) {
            let normalized = normalize(pattern)
            return files[normalized] != nil || directories.contains(normalized) ? [pattern] : []
        }
        return entries.filter { entry in
            pattern.withCString { p in entry.withCString { fnmatch(p, $0, FNM_PATHNAME | FNM_PERIOD) == 0 } }
        }
    }

    static func resolvedPath(_ path: String) -> String? {
        let normalized = normalize(path)
        return files[normalized] != nil || directories.contains(normalized) ? normalized : nil
    }

    /// `path` made absolute (against the root of the tree) with `.`, `..` and empty components
    /// removed, as realpath(3) would without symlinks.
    static func normalize(_ path: String) -> String {
        var components: [Substring] = []
        let absolute = path.hasPrefix("/") ? path : root + "/" + path
        for component in absolute.split(separator: "/", omittingEmptySubsequences: true) {
            switch component {
            case ".": continue
            case "..": _ = components.popLast()
            default: components.append(component)
            }
        }
        return "/" + components.joined(separator: "/")
    }

    // Copies of the real FileSystem's pure functions.

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    static func join(_ directory: String, _ relative: String) -> String {
        if relative.hasPrefix("/") || directory.isEmpty || directory == "." { return relative }
        return directory.hasSuffix("/") ? directory + relative : directory + "/" + relative
    }

    /// The fuzz target always passes its own environment; this is never the machine's.
    static func processEnvironment() -> [String: String] { [:] }
}
