import Foundation
import Glibc

/// A fresh directory under /tmp, removed when the value is deinitialised.
final class TemporaryDirectory {
    let path: String

    init() throws {
        var template = Array("/tmp/clusterdns-registry-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        path = String(cString: made)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func url(_ relative: String) -> String { path + "/" + relative }

    /// Writes `text` to `relative` in place (creating directories), as `cat >` would.
    func write(_ relative: String, _ text: String) throws {
        let target = url(relative)
        try FileManager.default.createDirectory(
            atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: target))
    }

    /// Writes `text` to a temporary name, then renames it over `relative`, as editors and
    /// `kubectl`-style tools do.
    func writeAtomically(_ relative: String, _ text: String) throws {
        let temporary = url(".\((relative as NSString).lastPathComponent).tmp-\(UUID().uuidString)")
        try Data(text.utf8).write(to: URL(fileURLWithPath: temporary))
        guard rename(temporary, url(relative)) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    }

    func remove(_ relative: String) throws { try FileManager.default.removeItem(atPath: url(relative)) }

    func move(_ from: String, _ to: String) throws {
        guard rename(url(from), url(to)) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    }

    func symlink(_ relative: String, to destination: String) throws {
        try FileManager.default.createSymbolicLink(atPath: url(relative), withDestinationPath: destination)
    }
}

/// Polls `condition` every 10 ms for up to `seconds` (a generous wait, not a timing assertion).
func eventually(within seconds: Double = 5, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        usleep(10_000)
    }
    return condition()
}
