import DNSWire

extension ResponseType {
    /// The class a type belongs to (CoreDNS's `Classify`).
    public var responseClass: LogClass {
        switch self {
        case .noError, .delegation: .success
        case .nameError, .noData: .denial
        default: .error
        }
    }
}

/// The `log` plugin's `class` values: success, denial (NXDOMAIN or NODATA), error (the rest).
public enum LogClass: UInt8, Sendable, CaseIterable {
    case all, success, denial, error

    public var name: StaticString {
        switch self {
        case .all: "all"
        case .success: "success"
        case .denial: "denial"
        case .error: "error"
        }
    }

    /// Parses a class as written in a Corefile.
    public init?(_ text: String) {
        switch text {
        case "all": self = .all
        case "success": self = .success
        case "denial": self = .denial
        case "error": self = .error
        default: return nil
        }
    }
}

/// Sorts a response by reading its header and, for an empty NOERROR answer, the types in its
/// authority section — in place, without parsing the message.
///
/// CoreDNS also calls a DNSSEC response with an expired signature an error; this server signs
/// nothing, so that case is not looked for.
public enum ResponseClassifier {
    /// The type of the response in `bytes` to a query of `queryType`.
    /// - Complexity: O(records before the authority section's end). Allocation-free.
    public static func type(of bytes: UnsafeRawBufferPointer, queryType: RecordType) -> ResponseType {
        guard bytes.count >= Header.size else { return .otherError }
        let opcode = (bytes[2] >> 3) & 0x0F
        if opcode == 5 { return .update }
        if opcode == 4 { return .meta }
        if queryType == .axfr || queryType == .ixfr { return .meta }
        let rcode = bytes[3] & 0x0F
        let answers = Int(bytes[6]) << 8 | Int(bytes[7])
        if answers > 0 && rcode == 0 { return .noError }
        if answers > 0 && rcode == 3 { return .otherError }
        var soa = false
        var ns = 0
        if let (authority, offset) = authorityStart(bytes, answers: answers) {
            var position = offset
            for _ in 0..<authority {
                guard let end = skipName(bytes, at: position), end + 10 <= bytes.count else { break }
                let type = UInt16(bytes[end]) << 8 | UInt16(bytes[end + 1])
                if type == RecordType.soa.rawValue { soa = true } else if type == RecordType.ns.rawValue { ns += 1 }
                let rdLength = Int(bytes[end + 8]) << 8 | Int(bytes[end + 9])
                position = end + 10 + rdLength
            }
        }
        if soa && rcode == 0 { return .noData }
        if rcode == 3 { return .nameError }
        if rcode == 2 || rcode == 4 { return .serverError }
        if ns > 0 && rcode == 0 { return .delegation }
        if rcode == 0 { return .noError }
        return .otherError
    }

    /// The authority section's record count and offset, after skipping question and answers.
    static func authorityStart(_ bytes: UnsafeRawBufferPointer, answers: Int) -> (count: Int, offset: Int)? {
        let questions = Int(bytes[4]) << 8 | Int(bytes[5])
        let authority = Int(bytes[8]) << 8 | Int(bytes[9])
        guard authority > 0 else { return nil }
        var position = Header.size
        for _ in 0..<questions {
            guard let end = skipName(bytes, at: position) else { return nil }
            position = end + 4
        }
        for _ in 0..<answers {
            guard let end = skipName(bytes, at: position), end + 10 <= bytes.count else { return nil }
            let rdLength = Int(bytes[end + 8]) << 8 | Int(bytes[end + 9])
            position = end + 10 + rdLength
        }
        return position <= bytes.count ? (authority, position) : nil
    }

    /// The offset just after the (possibly compressed) name at `offset`; nil when it runs out.
    static func skipName(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Int? {
        var i = offset
        while i < bytes.count {
            let length = bytes[i]
            if length == 0 { return i + 1 }
            if length & 0xC0 == 0xC0 { return i + 2 <= bytes.count ? i + 2 : nil }
            if length & 0xC0 != 0 { return nil }
            i += 1 + Int(length)
        }
        return nil
    }
}
