/// Where a token of a Corefile was written: the file it was read from and its 1-based line.
///
/// `file` is the path as it was used to open the file (the path given to `Corefile.parse(file:)`,
/// or an import resolved against the importing file's directory), so messages point at what the
/// user typed. Line 0 means "the file as a whole" (it could not be read, or it is empty).
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    public let file: String
    public let line: Int

    public init(file: String, line: Int) {
        self.file = file
        self.line = line
    }

    /// `file:line`, or just `file` when the location names the whole file (line 0).
    public var description: String {
        line > 0 ? "\(file):\(line)" : file
    }
}
