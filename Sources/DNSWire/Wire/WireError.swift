/// Why octets are not a well-formed DNS message. Every defect the parser can meet is one of these;
/// none of them traps. The server maps them to FORMERR (when a header could be read) or a drop.
public enum WireError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The message ends before a field that must be there (`needed` octets at `offset`).
    case truncated(offset: Int, needed: Int)
    /// A label starts with the reserved 0b01/0b10 prefixes (RFC 6891 §5 retired extended labels).
    case badLabelType(offset: Int)
    /// A compression pointer that does not point strictly before the name containing it:
    /// the rule that makes pointer loops impossible.
    case badPointer(offset: Int, target: Int)
    /// A decompressed name longer than 255 octets.
    case nameTooLong(offset: Int)
    /// A record's RDLENGTH disagrees with what its type's fields take.
    case rdataLength(type: RecordType, offset: Int)
    /// A TXT character-string or other field runs past the RDATA.
    case badRData(type: RecordType, offset: Int)
    /// More than one OPT record (RFC 6891 §6.1.1).
    case multipleOPT
    /// An OPT record outside the additional section, or with an owner other than the root.
    case misplacedOPT(offset: Int)
    /// An EDNS option runs past the OPT RDATA.
    case badEDNSOption(offset: Int)

    public var description: String {
        switch self {
        case .truncated(let o, let n): "message truncated: \(n) octets needed at offset \(o)"
        case .badLabelType(let o): "unsupported label type at offset \(o)"
        case .badPointer(let o, let t): "compression pointer at offset \(o) to \(t) does not point backwards"
        case .nameTooLong(let o): "name at offset \(o) is longer than 255 octets"
        case .rdataLength(let t, let o): "\(t) RDATA at offset \(o) does not match RDLENGTH"
        case .badRData(let t, let o): "malformed \(t) RDATA at offset \(o)"
        case .multipleOPT: "more than one OPT record"
        case .misplacedOPT(let o): "OPT record at offset \(o) is not a root-owned additional record"
        case .badEDNSOption(let o): "EDNS option at offset \(o) runs past the OPT RDATA"
        }
    }
}

/// The writer ran into its size limit. Carries nothing, so throwing it costs nothing: the caller
/// rolls back to its last checkpoint (a whole RRset) and sets TC.
public struct WriterFull: Error, Hashable, Sendable {
    public init() {}
}
