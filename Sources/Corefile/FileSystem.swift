#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The few file-system calls the parser needs (read a file, expand a glob, resolve a path),
/// on libc directly so the module needs no Foundation.
///
/// Failures come back as `FileSystem.Failure` carrying the errno text; the parser turns them into
/// `CorefileError`s located at the `import` (or at the main file).
enum FileSystem {
    struct Failure: Error {
        let reason: String
    }

    /// Files larger than this are refused: a Corefile is a few kilobytes, and a mistaken
    /// `import /dev/zero` or a huge log must not exhaust memory.
    static let maximumFileSize = 16 << 20

    /// The whole file as text; invalid UTF-8 becomes U+FFFD, as Go's reader does.
    static func readFile(_ path: String) throws(Failure) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw Failure(reason: errnoText(errno)) }
        defer { _ = close(fd) }
        var status = stat()
        if fstat(fd, &status) != 0 { throw Failure(reason: errnoText(errno)) }
        if (status.st_mode & S_IFMT) == S_IFDIR { throw Failure(reason: "is a directory") }

        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw Failure(reason: errnoText(errno))
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
            if bytes.count > maximumFileSize {
                throw Failure(reason: "larger than \(maximumFileSize >> 20) MiB")
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Whether `path` names a directory (false when it does not exist).
    static func isDirectory(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFDIR
    }

    /// The paths matching `pattern`, sorted (`glob(3)` without flags, as Go's `filepath.Glob`:
    /// `*`, `?`, `[…]`, and `\` to escape). No match is an empty list, not an error.
    static func glob(_ pattern: String) throws(Failure) -> [String] {
        var result = glob_t()
        defer { globfree(&result) }
        let status = pattern.withCString { systemGlob($0, 0, nil, &result) }
        switch status {
        case 0:
            break
        case GLOB_NOMATCH:
            return []
        case GLOB_NOSPACE:
            throw Failure(reason: "out of memory expanding the pattern")
        default:
            throw Failure(reason: "cannot read a directory of the pattern")
        }
        var paths: [String] = []
        for index in 0..<Int(result.gl_pathc) {
            if let path = result.gl_pathv[index] {
                paths.append(String(cString: path))
            }
        }
        return paths
    }

    /// The absolute path with symlinks resolved, or `nil` when it does not exist; used to tell
    /// whether two imports name the same file.
    static func resolvedPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// The directory part of `path` (`.` when there is none), as Go's `filepath.Dir` for the
    /// cases that matter here.
    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    /// `relative` resolved against `directory`; an absolute `relative` is returned unchanged.
    static func join(_ directory: String, _ relative: String) -> String {
        if relative.hasPrefix("/") || directory.isEmpty || directory == "." { return relative }
        return directory.hasSuffix("/") ? directory + relative : directory + "/" + relative
    }

    /// The process environment, for `{$VAR}` substitution.
    static func processEnvironment() -> [String: String] {
        var environment: [String: String] = [:]
        // `environ` is only read here, once per parse, never written by this process's Swift code.
        guard var entry = Optional(environ) else { return environment }
        while let pointer = entry.pointee {
            let pair = String(cString: pointer)
            if let equals = pair.firstIndex(of: "=") {
                let name = String(pair[..<equals])
                if environment[name] == nil {
                    environment[name] = String(pair[pair.index(after: equals)...])
                }
            }
            entry += 1
        }
        return environment
    }

    #if canImport(Glibc)
    private static let systemGlob = Glibc.glob
    #elseif canImport(Musl)
    private static let systemGlob = Musl.glob
    #elseif canImport(Darwin)
    private static let systemGlob = Darwin.glob
    #endif

    static func errnoText(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "errno \(code)" }
        return String(cString: text)
    }
}
