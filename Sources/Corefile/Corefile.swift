/// A parsed Corefile: its server blocks in file order, after imports, snippets and environment
/// substitution, with every key normalized and checked.
///
/// Build one with `Corefile.parse(file:)` or `Corefile.parse(text:fileName:baseDirectory:)`.
/// `description` prints it back in canonical form; parsing that text gives an equal `Corefile`
/// (equality compares the server blocks, not locations, `files` or `warnings`).
public struct Corefile: Sendable, Equatable, CustomStringConvertible {
    public let serverBlocks: [ServerBlock]
    /// Every file read, the main one first, then imports in the order first read, without
    /// duplicates. A reload watches or checksums exactly these. Text handed to
    /// `parse(text:…)` is not a file and is not listed.
    public let files: [String]
    /// Accepted oddities worth telling the operator (an import glob matching nothing).
    public let warnings: [CorefileWarning]

    public init(serverBlocks: [ServerBlock], files: [String] = [], warnings: [CorefileWarning] = []) {
        self.serverBlocks = serverBlocks
        self.files = files
        self.warnings = warnings
    }

    public static func == (lhs: Corefile, rhs: Corefile) -> Bool {
        lhs.serverBlocks == rhs.serverBlocks
    }

    /// The whole Corefile in canonical form: blocks separated by a blank line, four-space indents,
    /// normalized keys, words quoted only where they must be.
    public var description: String {
        var out = ""
        for (index, block) in serverBlocks.enumerated() {
            if index > 0 { out += "\n" }
            CorefileText.write(block, to: &out)
        }
        return out
    }
}
