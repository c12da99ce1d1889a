import DNSWire

/// One record as read from a master file, with where it was written, so that validation errors
/// can name the line of the record they are about.
public struct SourceRecord: Sendable, Equatable {
    public var record: ResourceRecord
    public var file: String
    public var line: Int

    public init(_ record: ResourceRecord, file: String, line: Int) {
        self.record = record
        self.file = file
        self.line = line
    }
}
