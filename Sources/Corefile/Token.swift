/// One word of a Corefile as the lexer found it.
///
/// Braces are words too (`{`, `}`); they are structural only when unquoted and alone, as in
/// Caddy (`{1}` or `{$VAR}` are ordinary words). `startsLine` records whether the word is the
/// first on its line; the parser decides where a directive's arguments end from it, so it must
/// survive import splicing (the first word of an imported file or snippet starts a line).
struct Token: Sendable {
    var text: String
    var quoted: Bool
    var line: Int
    var startsLine: Bool
    var source: SourceFile
    var trail: ImportTrail?

    var location: SourceLocation { SourceLocation(file: source.name, line: line) }
    var isOpenBrace: Bool { !quoted && text == "{" }
    var isCloseBrace: Bool { !quoted && text == "}" }
    var isBrace: Bool { isOpenBrace || isCloseBrace }
    /// `import` is a keyword only unquoted and only where a directive or key may start.
    var isImportKeyword: Bool { !quoted && text == "import" }

    /// How the word is shown in messages: quoted words keep their quotes.
    var shown: String { quoted ? CorefileText.quoted(text) : text }
}
