/// Why a Corefile (or one plugin's part of it) was rejected, and where.
///
/// Every error names a location, so a person can jump to it: `Zones/Corefile:7: plugin/kubernetes:
/// unexpected '}' — expected a directive`. Plugin configuration parsers build these through the
/// `Directive` helpers (`requireArguments`, `integer`, `unknownProperty()`…), never by hand, so all
/// messages share this shape.
public struct CorefileError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The broad class of defect, for callers that react differently (for example a reload that
    /// keeps the old configuration on any error but logs I/O failures differently).
    public enum Kind: Sendable, Equatable {
        /// Tokens in the wrong place: braces, missing block, unterminated quote, empty file.
        case syntax
        /// An `import` that names nothing, reads a directory, or forms a cycle.
        case importFailure
        /// A server block key with a bad scheme, zone or port.
        case serverKey
        /// Two server blocks that would serve the same zone on the same port.
        case conflict
        /// A directive or property with the wrong arguments (raised by plugin config parsers).
        case argument
        /// A file that could not be read.
        case io
    }

    public let kind: Kind
    public let location: SourceLocation
    /// The plugin (top-level directive) the error belongs to, if any; printed as `plugin/<name>: `.
    public let directive: String?
    /// What was wrong and what was expected, without the location prefix.
    public let message: String

    public init(_ kind: Kind, at location: SourceLocation, directive: String? = nil, _ message: String) {
        self.kind = kind
        self.location = location
        self.directive = directive
        self.message = message
    }

    public var description: String {
        if let directive {
            return "\(location): plugin/\(directive): \(message)"
        }
        return "\(location): \(message)"
    }
}
