/// How a token came to be in the token stream: which imports (files or snippets) were expanded,
/// innermost first, to bring it there.
///
/// Import cycles are found by walking this list: importing a file or snippet already on the trail
/// of the `import` token itself would expand forever. CoreDNS only caps expansions; naming the
/// cycle is kinder. Immutable linked list shared by all tokens of one expansion, hence `Sendable`.
final class ImportTrail: Sendable {
    enum Target: Sendable, Equatable {
        /// `identity` is the resolved path (symlinks resolved), `name` the path shown to people.
        case file(identity: String, name: String)
        case snippet(String)

        var displayName: String {
            switch self {
            case .file(_, let name): name
            case .snippet(let name): "snippet '\(name)'"
            }
        }

        /// Same file or same snippet; two paths to one file are the same file.
        func isSame(as other: Target) -> Bool {
            switch (self, other) {
            case (.file(let a, _), .file(let b, _)): a == b
            case (.snippet(let a), .snippet(let b)): a == b
            default: false
            }
        }
    }

    let target: Target
    /// Where the `import` that expanded `target` was written.
    let importedAt: SourceLocation
    let parent: ImportTrail?

    init(target: Target, importedAt: SourceLocation, parent: ImportTrail?) {
        self.target = target
        self.importedAt = importedAt
        self.parent = parent
    }

    /// The targets from the outermost import to this one.
    var targetsOutermostFirst: [Target] {
        var targets: [Target] = []
        var node: ImportTrail? = self
        while let current = node {
            targets.append(current.target)
            node = current.parent
        }
        return targets.reversed()
    }
}
