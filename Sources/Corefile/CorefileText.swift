/// Writes Corefile values back as Corefile text (canonical form), and quotes words that need it.
///
/// Canonical form: one directive per line, four spaces per nesting level, `{` at the end of the
/// opening line, `}` alone on its line, keys as normalized `zone:port`. Words are written bare
/// unless the lexer would split, drop or reinterpret them (whitespace, `#`, a leading `"`, a lone
/// brace, the empty word); quoted words escape `"` as `\"`, the only escape the lexer knows.
enum CorefileText {
    static let indentUnit = "    "

    static func write(_ block: ServerBlock, to out: inout String) {
        // A zone that itself contains "://" would read back as a scheme: spell out the default.
        out += block.keys.map { key in
            quotedIfNeeded(key.zone.contains("://") ? "dns://\(key.description)" : key.description)
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
        out += directive.name == "import" ? quoted(directive.name) : quotedIfNeeded(directive.name)
        for argument in directive.arguments {
            out += " "
            out += quotedIfNeeded(argument.text)
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
