/// The entry points: a Corefile from disk, or from text already in memory.
extension Corefile {
    /// Reads, lexes and parses the Corefile at `path`, expanding imports relative to its directory.
    ///
    /// - Throws: `CorefileError` located at the defect (file:line, and the directive when inside
    ///   one): unreadable file (`.io`), syntax, import, server key and conflict errors.
    public static func parse(file path: String, options: CorefileParseOptions = .init()) throws(CorefileError) -> Corefile {
        let text: String
        do {
            text = try FileSystem.readFile(path)
        } catch {
            throw CorefileError(.io, at: SourceLocation(file: path, line: 0), "cannot read the Corefile: \(error.reason)")
        }
        let source = SourceFile(name: path, directory: FileSystem.directory(of: path))
        return try parse(text: text, source: source, identity: FileSystem.resolvedPath(path), readFrom: path, options: options)
    }

    /// Parses Corefile `text` that is not (or not only) on disk: a ConfigMap value, stdin, a test.
    ///
    /// - Parameters:
    ///   - fileName: the name shown in error messages (`Corefile`, `<stdin>`).
    ///   - baseDirectory: where relative `import` paths are looked up.
    public static func parse(
        text: String, fileName: String, baseDirectory: String, options: CorefileParseOptions = .init()
    ) throws(CorefileError) -> Corefile {
        let source = SourceFile(name: fileName, directory: baseDirectory)
        let identity = FileSystem.resolvedPath(FileSystem.join(baseDirectory, fileName))
        return try parse(text: text, source: source, identity: identity, readFrom: nil, options: options)
    }

    private static func parse(
        text: String, source: SourceFile, identity: String?, readFrom path: String?, options: CorefileParseOptions
    ) throws(CorefileError) -> Corefile {
        let tokens = try Lexer.tokenize(text, source: source)
        var parser = Parser(tokens: tokens, root: source, rootIdentity: identity, options: options)
        if let path { parser.recordFile(path) }
        let blocks = try parser.parseAll()
        let corefile = Corefile(serverBlocks: blocks, files: parser.files, warnings: parser.warnings)
        if options.checksServeConflicts {
            try corefile.checkServeConflicts { _ in ListenScope() }
        }
        return corefile
    }
}
