/// Why a zone file was rejected, and where: `db.example.test:12: bad A address '300.1.1.1'`.
///
/// Every defect the reader or the validator finds is one of these, located at the file (as the
/// user named it, or as `$INCLUDE` resolved it) and the line the offending record starts on.
/// Line 0 means the file as a whole (it cannot be read, or a record it must hold is missing).
public struct ZoneFileError: Error, Sendable, Equatable, CustomStringConvertible {
    public let file: String
    public let line: Int
    public let message: String

    public init(file: String, line: Int, _ message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    /// `file:line: message`, or `file: message` for line 0.
    public var description: String {
        line > 0 ? "\(file):\(line): \(message)" : "\(file): \(message)"
    }
}

/// Something in a zone file that is accepted but probably not what its author meant (a record
/// outside the zone, mismatched TTLs in an RRset). The zone loads; the server logs these.
public struct ZoneFileWarning: Sendable, Equatable, CustomStringConvertible {
    public let file: String
    public let line: Int
    public let message: String

    public init(file: String, line: Int, _ message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    public var description: String {
        line > 0 ? "\(file):\(line): \(message)" : "\(file): \(message)"
    }
}
