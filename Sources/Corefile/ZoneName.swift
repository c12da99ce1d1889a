/// Checks and normalizes a zone written in a Corefile (`Cluster.Local`, `.`, `example.org.`).
///
/// Follows miekg/dns `IsDomainName`, which CoreDNS uses for server block keys: almost any byte is
/// allowed in a label (the DNS is 8-bit), `\DDD` and `\X` escapes count as one octet, and the
/// checks are on shape: no empty label (except the root `.` itself), labels of at most 63 octets,
/// at most 255 octets in wire form. Normalization lowercases ASCII letters (DNS names compare
/// case-insensitively in ASCII only, RFC 4343; CoreDNS lowercases all of Unicode, which differs
/// only for raw non-ASCII zones) and adds the trailing dot.
enum ZoneName {
    enum Defect: Error, Equatable {
        case empty
        case emptyLabel
        case labelTooLong(octets: Int)
        case nameTooLong(octets: Int)
        case danglingEscape

        var explanation: String {
            switch self {
            case .empty: "the zone is empty"
            case .emptyLabel: "it has an empty label (two dots in a row, or a leading dot)"
            case .labelTooLong(let octets): "a label is \(octets) octets long (at most 63)"
            case .nameTooLong(let octets): "it is \(octets) octets long in wire form (at most 255)"
            case .danglingEscape: "it ends with a lone '\\' that escapes nothing"
            }
        }
    }

    /// The lowercase fully-qualified form of `text`, or the first defect found.
    static func normalize(_ text: String) -> Result<String, Defect> {
        if let defect = validate(text) { return .failure(defect) }
        let lower = asciiLowercased(text)
        return .success(endsWithUnescapedDot(lower) ? lower : lower + ".")
    }

    static func validate(_ text: String) -> Defect? {
        if text.isEmpty { return .empty }
        if text == "." { return nil }
        let bytes = Array(text.utf8)
        var labels: [Int] = []
        var current = 0
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: ".") {
                if current == 0 { return .emptyLabel }
                labels.append(current)
                current = 0
                index += 1
                continue
            }
            if bytes[index] == UInt8(ascii: "\\") {
                // `\DDD` is one octet, `\X` is X (an escaped dot stays inside its label).
                if index + 1 == bytes.count { return .danglingEscape }
                if index + 3 < bytes.count, isDigit(bytes[index + 1]), isDigit(bytes[index + 2]), isDigit(bytes[index + 3]) {
                    index += 4
                } else {
                    index += min(2, bytes.count - index)
                }
            } else {
                index += 1
            }
            current += 1
        }
        if current > 0 { labels.append(current) }
        if let longest = labels.max(), longest > 63 { return .labelTooLong(octets: longest) }
        let wireOctets = labels.reduce(1) { $0 + $1 + 1 }
        if wireOctets > 255 { return .nameTooLong(octets: wireOctets) }
        return nil
    }

    static func endsWithUnescapedDot(_ text: String) -> Bool {
        // Octets, not Characters: a Prepend scalar (U+0600…U+0605, say) forms one grapheme
        // cluster with the dot after it, and `hasSuffix(".")` would then say no.
        guard text.utf8.last == UInt8(ascii: ".") else { return false }
        // Count the backslashes before the final dot: an odd number escapes it.
        var backslashes = 0
        for byte in text.utf8.dropLast().reversed() {
            guard byte == UInt8(ascii: "\\") else { break }
            backslashes += 1
        }
        return backslashes % 2 == 0
    }

    static func asciiLowercased(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 >= 65 && $0 <= 90 }) else { return text }
        return String(decoding: text.utf8.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }, as: UTF8.self)
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }
}
