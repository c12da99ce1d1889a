/// Writes Corefile values back as Corefile text (canonical form), and quotes words that need it.
///
/// Canonical form: one directive per line, four spaces per nesting level, `{` at the end of the
/// opening line, `}` alone on its line, keys as normalized `zone:port`. Words are written bare
/// unless the lexer would split, drop or reinterpret them (whitespace, `#`, a leading `"`, a lone
/// brace, the empty word); quoted words escape `"` as `\"`, the only escape the lexer knows.
/// A word that still holds `{%…%}` or `{$…}` after substitution (`{{%Y%\0%}%Y%}` leaves
/// `{%Y%}`) is written so that substitution gives it back (see `keepingReferences`).
enum CorefileText {
    static let indentUnit = "    "

    static func write(_ block: ServerBlock, to out: inout String) {
        // A zone that itself contains "://" would read back as a scheme: spell out the default.
        out += block.keys.map { key in
            word(key.zone.contains("://") ? "dns://\(key.description)" : key.description)
        }.joined(separator: " ")
        out += " {\n"
        for directive in block.directives {
            write(directive, indent: 1, to: &out)
        }
        out += "}\n"
    }

    /// Appends `directive` and its nested block, every line ending in a newline.
    static func write(_ directive: Directive, indent: Int, to out: inout String) {
        let padding = String(repeating: indentUnit, count: indent)
        out += padding
        // An unquoted `import` at the start of a line would be read as the import keyword.
        out += directive.name == "import" ? quoted(directive.name) : word(directive.name)
        for argument in directive.arguments {
            out += " "
            out += word(argument.text)
        }
        if let block = directive.block {
            out += " {\n"
            for child in block {
                write(child, indent: indent + 1, to: &out)
            }
            out += padding + "}"
        }
        out += "\n"
    }

    /// `text` as Corefile text that the lexer and environment substitution read back as `text`.
    static func word(_ text: String) -> String {
        let kept = keepingReferences(text)
        return needsQuotes(kept) ? quotedKeepingBackslashes(kept) : kept
    }

    /// `text` quoted so that the lexer and substitution read it back whole. Inside quotes a `\`
    /// right before a `"` (or before the closing quote) would be read as an escape, and the
    /// syntax has no way to write one there: such a backslash is followed by `{$=}`, an always
    /// empty reference (see `keepingReferences`) that the lexer keeps (`\{` is no escape) and
    /// substitution removes. A word gets a `\` before a `"` from an unquoted word split at
    /// commas (server keys) or a reference that substitutes to nothing.
    static func quotedKeepingBackslashes(_ text: String) -> String {
        var out = "\""
        let scalars = Array(text.unicodeScalars)
        for (i, scalar) in scalars.enumerated() {
            if scalar == "\"" { out += "\\" }
            out.unicodeScalars.append(scalar)
            if scalar == "\\" && (i + 1 == scalars.count || scalars[i + 1] == "\"") { out += "{$=}" }
        }
        out += "\""
        return out
    }

    /// `text` with a reference that always substitutes to nothing put between every `{` and a
    /// `%` or `$` after it, so that no part of `text` is read as a reference: `{%Y%}` becomes
    /// `{{%=%}%Y%}`, `{$X}` becomes `{{$=}$X}`. The Corefile has no escape for `{%`/`{$`, and
    /// quoting does not stop substitution (CoreDNS substitutes every word, quoted or not).
    ///
    /// This relies on how `EnvironmentSubstitution` reads a word: left to right, the Windows
    /// form first, never rescanning what it replaced. The Windows pass then sees only the
    /// inserted `{%=%}` (each closes at once) and the Unix pass only the inserted `{$=}`. `=`
    /// cannot be the name of a process environment variable (`environ` entries are `NAME=value`),
    /// so both always substitute to the empty string.
    static func keepingReferences(_ text: String) -> String {
        guard text.utf8.contains(UInt8(ascii: "{")) else { return text }
        var out = ""
        var previousWasOpen = false
        for scalar in text.unicodeScalars {
            if previousWasOpen {
                if scalar == "%" { out += "{%=%}" } else if scalar == "$" { out += "{$=}" }
            }
            out.unicodeScalars.append(scalar)
            previousWasOpen = scalar == "{"
        }
        return out
    }

    /// `text` bare when the lexer reads it back as the same single word, else quoted.
    static func quotedIfNeeded(_ text: String) -> String {
        needsQuotes(text) ? quoted(text) : text
    }

    static func needsQuotes(_ text: String) -> Bool {
        if text.isEmpty || text == "{" || text == "}" { return true }
        // A leading byte-order mark would be dropped if the word started the file.
        if let first = text.unicodeScalars.first, first == "\"" || first == "\u{FEFF}" { return true }
        return text.unicodeScalars.contains { $0 == "#" || $0.properties.isWhitespace }
    }

    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            if scalar == "\"" { out += "\\" }
            out.unicodeScalars.append(scalar)
        }
        out += "\""
        return out
    }
}
