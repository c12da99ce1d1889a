import SystemCalls

#if canImport(Glibc)
import Glibc
#endif

/// The few file-system calls the parser needs (read a file, expand a glob, resolve a path),
/// through SystemCalls (one errno policy for the whole server) so the module needs no Foundation.
///
/// Failures come back as `FileSystem.Failure` carrying the errno text; the parser turns them into
/// `CorefileError`s located at the `import` (or at the main file). `glob(3)` and the environment
/// are C library calls without an errno policy of their own, so they stay on Glibc.
enum FileSystem {
    struct Failure: Error {
        let reason: String
    }

    /// Files larger than this are refused: a Corefile is a few kilobytes, and a mistaken
    /// `import /dev/zero` or a huge log must not exhaust memory.
    static let maximumFileSize = 16 << 20

    /// The whole file as text; invalid UTF-8 becomes U+FFFD, as Go's reader does.
    static func readFile(_ path: String) throws(Failure) -> String {
        let contents: FileReader.Contents
        do {
            contents = try FileReader.read(path: path, limit: maximumFileSize)
        } catch {
            throw Failure(reason: error.errno == EISDIR ? "is a directory" : error.message)
        }
        if contents.truncated { throw Failure(reason: "larger than \(maximumFileSize >> 20) MiB") }
        return contents.text
    }

    /// Whether `path` names a directory (false when it does not exist).
    static func isDirectory(_ path: String) -> Bool {
        guard let status = try? Syscall.stat(path: path) else { return false }
        return (status.st_mode & S_IFMT) == S_IFDIR
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
        do {
            return try Syscall.realpath(path: path)
        } catch {
            return nil
        }
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

}
