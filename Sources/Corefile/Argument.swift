/// One argument of a directive, after environment substitution, with the line it was written on.
///
/// Whether the word was quoted only mattered to the lexer (a quoted `"{"` is a word, not a brace),
/// so it is not kept. Equality compares the text only: two Corefiles that differ in layout or
/// comments are equal.
public struct Argument: Sendable, Equatable, CustomStringConvertible {
    public let text: String
    public let location: SourceLocation

    public init(text: String, location: SourceLocation) {
        self.text = text
        self.location = location
    }

    public static func == (lhs: Argument, rhs: Argument) -> Bool {
        lhs.text == rhs.text
    }

    /// The argument as it would be written in a Corefile, quoted when it must be.
    public var description: String { CorefileText.word(text) }
}
