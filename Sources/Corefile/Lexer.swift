/// Splits Corefile text into words, the way Caddy's (and so CoreDNS's) lexer does.
///
/// Rules, all from `coredns/caddy` `caddyfile/lexer.go`:
/// - words are separated by Unicode white space; `\r` is ignored; a leading byte-order mark is
///   dropped;
/// - an unquoted `#` starts a comment that runs to the end of the line, even inside a word
///   (`foo#bar` is the word `foo`);
/// - a word that *starts* with `"` is quoted: it runs to the next unescaped `"`, may span lines,
///   and `\"` is its only escape (any other `\x` stays as the two characters). A `"` later in an
///   unquoted word is an ordinary character, and so is `\`;
/// - `{` and `}` get no special treatment here: `{1}` is one word; the parser treats a word that is
///   exactly `{` or `}` (unquoted) as a brace.
///
/// One difference: Caddy silently accepts a quoted word left open at the end of the file; we
/// reject it, since it swallows the rest of the file.
enum Lexer {
    static func tokenize(_ text: String, source: SourceFile) throws(CorefileError) -> [Token] {
        var tokens: [Token] = []
        var line = 1
        var lastTokenEndLine = 0
        var word = String.UnicodeScalarView()
        var inWord = false
        var quoted = false
        var escaped = false
        var inComment = false
        var wordLine = 0

        func emit() {
            tokens.append(Token(
                text: String(word), quoted: quoted, line: wordLine,
                startsLine: wordLine > lastTokenEndLine, source: source, trail: nil))
            lastTokenEndLine = line
            word.removeAll(keepingCapacity: true)
            inWord = false
            quoted = false
        }

        var scalars = text.unicodeScalars[...]
        if scalars.first == "\u{FEFF}" { scalars = scalars.dropFirst() }

        for scalar in scalars {
            if quoted {
                if escaped {
                    escaped = false
                    if scalar != "\"" { word.append("\\") }
                } else if scalar == "\\" {
                    escaped = true
                    continue
                } else if scalar == "\"" {
                    emit()
                    continue
                }
                if scalar == "\n" { line += 1 }
                word.append(scalar)
                continue
            }
            if scalar == "\n" {
                if inWord { emit() }
                line += 1
                inComment = false
                continue
            }
            if inComment { continue }
            if scalar.properties.isWhitespace {
                if inWord { emit() }
                continue
            }
            if scalar == "#" {
                if inWord { emit() }
                inComment = true
                continue
            }
            if !inWord {
                inWord = true
                wordLine = line
                if scalar == "\"" {
                    quoted = true
                    continue
                }
            }
            word.append(scalar)
        }
        if quoted {
            throw CorefileError(
                .syntax, at: SourceLocation(file: source.name, line: wordLine),
                "unterminated quoted string — expected a closing '\"' before the end of the file")
        }
        if inWord { emit() }
        return tokens
    }
}
