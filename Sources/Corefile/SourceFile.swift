/// A file (or in-memory text) that tokens were lexed from: its display name and the directory
/// its relative imports resolve against.
///
/// A class so that the thousands of tokens of one file share one copy of the two strings.
/// Immutable after init, hence `Sendable`.
final class SourceFile: Sendable {
    /// The path as used to open it (or the name given with in-memory text); used in messages.
    let name: String
    /// Where `import some/relative/path` looks, as CoreDNS does: the importing file's directory.
    let directory: String

    init(name: String, directory: String) {
        self.name = name
        self.directory = directory
    }
}
