/// Groups tokens into server blocks, directives and nested blocks, expanding `import`s and
/// snippets on the way, as CoreDNS's Caddy parser does (`coredns/caddy` `caddyfile/parse.go`).
///
/// Grammar (a "line" is tokens whose first one `startsLine`):
/// ```
/// corefile    := ( import | snippet | serverBlock )*
/// snippet     := "(" NAME ")" "{" tokens-with-balanced-braces "}"
/// serverBlock := KEY ( [","] KEY )* "{" directive* "}"     -- keys on one line, or continued
///                                                          -- after a trailing comma; "{" may
///                                                          -- start the next line
/// directive   := import | NAME ARG* [ "{" directive* "}" ] -- NAME and ARGs on one line; a
///                                                          -- nested "{" on that same line
/// import      := "import" PATTERN                          -- alone on its line
/// ```
/// Imports are expanded by splicing the imported tokens in place of `import PATTERN`, so an
/// imported file or snippet may hold anything that fits where the import stands (directives in a
/// block, whole server blocks at top level).
///
/// Stricter than CoreDNS where CoreDNS accepts nonsense or fails later: a brace-less single
/// server block (`.:53` then directives to the end of file) is refused; a `}` must start its
/// line unless it closes an empty `{ }`; nothing may follow a nested block's `}` on its line;
/// keys may also be comma-separated inside one word (`a,b`).
struct Parser {
    struct Snippet {
        let tokens: [Token]
        let location: SourceLocation
    }

    /// CoreDNS caps snippet expansions at 10 000; the cap also bounds file imports here, since
    /// cycles are detected separately and only a deliberately exponential import tree reaches it.
    static let maximumImportExpansions = 10_000
    /// Deeper nesting is never meaningful and would risk the stack on hostile input.
    static let maximumNesting = 32
    static let maximumTokens = 2_000_000

    private(set) var files: [String] = []
    private(set) var warnings: [CorefileWarning] = []
    private var tokens: [Token]
    private var index = 0
    private var snippets: [String: Snippet] = [:]
    private var expansions = 0
    private let root: SourceFile
    private let rootIdentity: String?
    private let options: CorefileParseOptions

    init(tokens: [Token], root: SourceFile, rootIdentity: String?, options: CorefileParseOptions) {
        self.tokens = tokens
        self.root = root
        self.rootIdentity = rootIdentity
        self.options = options
    }

    mutating func recordFile(_ path: String) {
        if !files.contains(path) { files.append(path) }
    }

    // MARK: Top level

    mutating func parseAll() throws(CorefileError) -> [ServerBlock] {
        var blocks: [ServerBlock] = []
        while index < tokens.count {
            let token = tokens[index]
            if token.isImportKeyword {
                try expandImport(at: index, plugin: nil)
                continue
            }
            if token.isCloseBrace {
                throw syntax(at: token, "unexpected '}' — no block is open here")
            }
            if token.isOpenBrace {
                throw syntax(at: token, "unexpected '{' — expected server block keys such as '.:53' before it")
            }
            if let block = try parseServerBlockOrSnippet() {
                blocks.append(block)
            }
        }
        if blocks.isEmpty {
            let start = SourceLocation(file: root.name, line: 1)
            let message = snippets.isEmpty
                ? "the Corefile is empty — expected at least one server block such as '.:53 { … }'"
                : "the Corefile defines only snippets — expected at least one server block such as '.:53 { … }'"
            throw CorefileError(.syntax, at: start, message)
        }
        return blocks
    }

    /// Parses the keys and the block after them; a snippet definition returns `nil`.
    private mutating func parseServerBlockOrSnippet() throws(CorefileError) -> ServerBlock? {
        let firstIndex = index
        let first = tokens[index]
        var keys: [(text: String, token: Token)] = []
        var expectingAnother = false

        func shownKeys() -> String {
            keys.isEmpty ? first.shown : keys.map(\.text).joined(separator: " ")
        }

        while true {
            guard index < tokens.count else {
                if expectingAnother {
                    throw syntax(at: tokens[index - 1], "unexpected end of file — expected another key after ','")
                }
                throw syntax(at: first, "server block '\(shownKeys())' has no block — expected '{' after its keys")
            }
            let token = tokens[index]
            if token.isOpenBrace {
                if expectingAnother {
                    throw syntax(at: token, "expected another key after ',' but found '{' — check for an extra comma")
                }
                break
            }
            if index > firstIndex, token.startsLine, !expectingAnother {
                throw syntax(
                    at: first,
                    "server block '\(shownKeys())' has no block — expected '{' after its keys, found '\(token.shown)' on line \(token.line)")
            }
            if token.isCloseBrace {
                throw syntax(at: token, "unexpected '}' among server block keys")
            }
            let text = substitute(token.text)
            expectingAnother = text.hasSuffix(",")
            for part in text.split(separator: ",") {
                keys.append((String(part), token))
            }
            index += 1
        }
        let open = tokens[index]

        if keys.count == 1, let name = Self.snippetName(keys[0].text) {
            try defineSnippet(name, at: keys[0].token, openedBy: open)
            return nil
        }
        if let snippetKey = keys.first(where: { Self.snippetName($0.text) != nil }) {
            throw syntax(at: snippetKey.token, "snippet '\(snippetKey.text)' must be the only name before its '{'")
        }
        if keys.isEmpty {
            throw syntax(at: first, "server block has no keys ('\(first.shown)' is empty after environment substitution) — expected a zone such as '.:53'")
        }

        index += 1
        let directives = try parseBlock(openedBy: open, plugin: nil, depth: 1)
        var serverKeys: [ServerKey] = []
        for (text, token) in keys {
            serverKeys += try ServerKey.parse(text, at: token.location, defaultPort: options.defaultPort)
        }
        return ServerBlock(keys: serverKeys, directives: directives, location: first.location)
    }

    /// `(name)` → `name`: CoreDNS's snippet syntax, a single key in parentheses.
    private static func snippetName(_ key: String) -> String? {
        // Octets, not Characters: a Prepend scalar before `)` would join it in one grapheme.
        let utf8 = key.utf8
        guard utf8.count >= 2, utf8.first == UInt8(ascii: "("), utf8.last == UInt8(ascii: ")") else { return nil }
        return String(decoding: utf8.dropFirst().dropLast(), as: UTF8.self)
    }

    /// Stores the tokens between the braces, unparsed: they are parsed where they are imported.
    private mutating func defineSnippet(_ name: String, at nameToken: Token, openedBy open: Token) throws(CorefileError) {
        if name.isEmpty {
            throw syntax(at: nameToken, "a snippet needs a name between the parentheses")
        }
        if let existing = snippets[name] {
            throw syntax(at: nameToken, "snippet '\(name)' is already defined at \(existing.location)")
        }
        index += 1
        var depth = 1
        var body: [Token] = []
        while index < tokens.count {
            let token = tokens[index]
            index += 1
            if token.isCloseBrace {
                depth -= 1
                if depth == 0 {
                    snippets[name] = Snippet(tokens: body, location: nameToken.location)
                    return
                }
            } else if token.isOpenBrace {
                depth += 1
            }
            body.append(token)
        }
        throw syntax(at: open, "snippet '(\(name))': the '{' opened here is not closed before the end of the file — expected '}'")
    }

    // MARK: Blocks and directives

    /// Directives up to and including the `}` that matches `open` (which is already consumed).
    private mutating func parseBlock(openedBy open: Token, plugin: String?, depth: Int) throws(CorefileError) -> [Directive] {
        if depth > Self.maximumNesting {
            throw syntax(at: open, plugin: plugin, "blocks are nested more than \(Self.maximumNesting) deep")
        }
        var directives: [Directive] = []
        while true {
            guard index < tokens.count else {
                throw syntax(at: open, plugin: plugin, "the '{' opened here is not closed before the end of the file — expected '}'")
            }
            let token = tokens[index]
            if token.isCloseBrace {
                index += 1
                return directives
            }
            if token.isOpenBrace {
                throw syntax(
                    at: token, plugin: plugin,
                    "unexpected '{' — expected a directive (a block opens at the end of its directive's line)")
            }
            if token.isImportKeyword {
                try expandImport(at: index, plugin: plugin)
                continue
            }
            directives.append(try parseDirective(plugin: plugin, depth: depth))
        }
    }

    /// One directive: its name, the rest of its line, and a nested block opened on that line.
    private mutating func parseDirective(plugin: String?, depth: Int) throws(CorefileError) -> Directive {
        let nameToken = tokens[index]
        index += 1
        let name = substitute(nameToken.text)
        let owner = plugin ?? name
        if name.isEmpty {
            throw syntax(
                at: nameToken, plugin: plugin,
                "empty directive name ('\(nameToken.shown)' is empty after environment substitution) — expected a directive")
        }
        var arguments: [Argument] = []
        while index < tokens.count, !tokens[index].startsLine, !tokens[index].isBrace {
            let token = tokens[index]
            arguments.append(Argument(text: substitute(token.text), location: token.location))
            index += 1
        }
        var block: [Directive]?
        if index < tokens.count, !tokens[index].startsLine {
            let brace = tokens[index]
            guard brace.isOpenBrace else {
                throw syntax(at: brace, plugin: owner, "unexpected '}' at the end of a line — '}' must start its own line")
            }
            index += 1
            block = try parseBlock(openedBy: brace, plugin: owner, depth: depth + 1)
            if index < tokens.count, !tokens[index].startsLine {
                let extra = tokens[index]
                throw syntax(at: extra, plugin: owner, "unexpected '\(extra.shown)' after '}' — expected a new line")
            }
        }
        return Directive(name: name, arguments: arguments, block: block, location: nameToken.location, nestedIn: plugin)
    }

    // MARK: Imports

    /// Replaces `import PATTERN` at `position` by the tokens of the snippet or files it names.
    private mutating func expandImport(at position: Int, plugin: String?) throws(CorefileError) {
        let importToken = tokens[position]
        guard position + 1 < tokens.count, !tokens[position + 1].startsLine, !tokens[position + 1].isBrace else {
            throw importFailure(at: importToken, plugin: plugin, "import: expected a file path, glob or snippet name after 'import'")
        }
        let patternToken = tokens[position + 1]
        if position + 2 < tokens.count, !tokens[position + 2].startsLine {
            throw importFailure(
                at: tokens[position + 2], plugin: plugin,
                "import takes one argument (a file path, glob or snippet name) — found '\(tokens[position + 2].shown)' after '\(patternToken.shown)'")
        }
        let pattern = substitute(patternToken.text)
        if pattern.isEmpty {
            throw importFailure(at: importToken, plugin: plugin, "import: the file path or snippet name is empty")
        }
        expansions += 1
        if expansions > Self.maximumImportExpansions {
            throw importFailure(at: importToken, plugin: plugin, "import: more than \(Self.maximumImportExpansions) imports expanded")
        }

        var imported: [Token]
        if let snippet = snippets[pattern] {
            let trail = try extendTrail(of: importToken, with: .snippet(pattern), plugin: plugin)
            imported = snippet.tokens
            for offset in imported.indices {
                imported[offset].trail = trail
            }
        } else {
            imported = try importFiles(pattern, for: importToken, plugin: plugin)
        }
        if !imported.isEmpty {
            imported[0].startsLine = true
        }
        tokens.replaceSubrange(position..<(position + 2), with: imported)
        if tokens.count > Self.maximumTokens {
            throw importFailure(at: importToken, plugin: plugin, "import: the expanded Corefile exceeds \(Self.maximumTokens) words")
        }
    }

    /// The tokens of every file `pattern` names, relative to the importing file's directory.
    private mutating func importFiles(_ pattern: String, for importToken: Token, plugin: String?) throws(CorefileError) -> [Token] {
        let path = FileSystem.join(importToken.source.directory, pattern)
        let matches: [String]
        do {
            matches = try FileSystem.glob(path)
        } catch {
            throw importFailure(at: importToken, plugin: plugin, "cannot expand import '\(pattern)': \(error.reason)")
        }
        if matches.isEmpty {
            // CoreDNS: only a warning for a glob, an error for a plain path.
            if path.contains(where: { "*?[]".contains($0) }) {
                warnings.append(CorefileWarning(at: importToken.location, "no files match import glob '\(pattern)'"))
                return []
            }
            throw importFailure(
                at: importToken, plugin: plugin,
                "cannot import '\(pattern)': no such file (\(path)) and no snippet of that name defined before this line")
        }
        var result: [Token] = []
        for match in matches {
            let target = ImportTrail.Target.file(identity: FileSystem.resolvedPath(match) ?? match, name: match)
            let trail = try extendTrail(of: importToken, with: target, plugin: plugin)
            let text: String
            do {
                text = try FileSystem.readFile(match)
            } catch {
                throw importFailure(at: importToken, plugin: plugin, "cannot import '\(match)': \(error.reason)")
            }
            recordFile(match)
            var fileTokens = try Lexer.tokenize(text, source: SourceFile(name: match, directory: FileSystem.directory(of: match)))
            for offset in fileTokens.indices {
                fileTokens[offset].trail = trail
            }
            result += fileTokens
        }
        return result
    }

    /// The trail of tokens imported by `importToken`, or an error if `target` is already on it.
    private func extendTrail(of importToken: Token, with target: ImportTrail.Target, plugin: String?) throws(CorefileError) -> ImportTrail {
        var cyclic = false
        if case .file(let identity, _) = target, identity == rootIdentity {
            cyclic = true
        }
        var node = importToken.trail
        while let current = node, !cyclic {
            cyclic = current.target.isSame(as: target)
            node = current.parent
        }
        if cyclic {
            let chain = [root.name] + (importToken.trail?.targetsOutermostFirst.map(\.displayName) ?? []) + [target.displayName]
            throw importFailure(at: importToken, plugin: plugin, "import cycle: \(chain.joined(separator: " → "))")
        }
        return ImportTrail(target: target, importedAt: importToken.location, parent: importToken.trail)
    }

    // MARK: Helpers

    private func substitute(_ text: String) -> String {
        EnvironmentSubstitution.substitute(text, environment: options.environment)
    }

    private func syntax(at token: Token, plugin: String? = nil, _ message: String) -> CorefileError {
        CorefileError(.syntax, at: token.location, directive: plugin, message)
    }

    private func importFailure(at token: Token, plugin: String?, _ message: String) -> CorefileError {
        CorefileError(.importFailure, at: token.location, directive: plugin, message)
    }
}
