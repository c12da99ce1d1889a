/// Something accepted in a Corefile that is probably not what its author meant.
///
/// CoreDNS logs these at startup; we keep them in the parse result so `clusterdns check` can show
/// them and the server can log them once. Today the only warning is an import glob matching no file
/// (CoreDNS: "No files matching import glob pattern").
public struct CorefileWarning: Sendable, Equatable, CustomStringConvertible {
    public let location: SourceLocation
    public let message: String

    public init(at location: SourceLocation, _ message: String) {
        self.location = location
        self.message = message
    }

    public var description: String { "\(location): warning: \(message)" }
}
