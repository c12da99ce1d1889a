/// Presentation (master-file) text for names, RFC 1035 §5.1: `\.` for a dot inside a label,
/// `\DDD` for any octet, and a trailing dot for absolute names.
extension DomainName {
    /// Parses presentation text. Names are always taken as absolute: a missing trailing dot is
    /// added (this server has no `$ORIGIN` outside zone files, which libldns parses). `.`, `@`-free.
    /// - Throws: `NameError` for empty labels (`a..b`), bad escapes, or length limits.
    public init(_ text: some StringProtocol) throws(NameError) {
        let utf8 = Array(text.utf8)
        if utf8.isEmpty || utf8 == [UInt8(ascii: ".")] {
            self = .root
            return
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count + 2)
        var label: [UInt8] = []
        var i = 0
        func flush() throws(NameError) {
            guard !label.isEmpty else { throw .emptyLabel }
            guard label.count <= DomainName.maxLabelLength else { throw .labelTooLong(label.count) }
            bytes.append(UInt8(label.count))
            bytes.append(contentsOf: label)
            label.removeAll(keepingCapacity: true)
        }
        while i < utf8.count {
            let c = utf8[i]
            if c == UInt8(ascii: "\\") {
                guard i + 1 < utf8.count else { throw .badEscape("\\") }
                let d = utf8[i + 1]
                if d >= UInt8(ascii: "0") && d <= UInt8(ascii: "9") {
                    guard i + 3 < utf8.count else {
                        throw .badEscape(String(decoding: utf8[i...], as: UTF8.self))
                    }
                    let digits = utf8[(i + 1)...(i + 3)]
                    guard digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
                        throw .badEscape(String(decoding: utf8[i...(i + 3)], as: UTF8.self))
                    }
                    let value = digits.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
                    guard value <= 255 else { throw .badEscape(String(decoding: utf8[i...(i + 3)], as: UTF8.self)) }
                    label.append(UInt8(value))
                    i += 4
                } else {
                    label.append(d)
                    i += 2
                }
            } else if c == UInt8(ascii: ".") {
                try flush()
                i += 1
                if i == utf8.count { break }
            } else {
                label.append(c)
                i += 1
            }
        }
        if !label.isEmpty { try flush() }
        bytes.append(0)
        guard bytes.count <= DomainName.maxWireLength else { throw .nameTooLong(bytes.count) }
        wire = bytes
    }

    /// Presentation text with a trailing dot; special and non-printable octets escaped as `dig` does.
    public var description: String {
        if isRoot { return "." }
        var out: [UInt8] = []
        out.reserveCapacity(wire.count + 4)
        var i = 0
        while wire[i] != 0 {
            let length = Int(wire[i])
            for byte in wire[(i + 1)...(i + length)] {
                DomainName.appendEscaped(byte, to: &out)
            }
            out.append(UInt8(ascii: "."))
            i += 1 + length
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends one label octet in presentation form.
    static func appendEscaped(_ byte: UInt8, to out: inout [UInt8]) {
        switch byte {
        case UInt8(ascii: "."), UInt8(ascii: "\\"), UInt8(ascii: "\""), UInt8(ascii: "("), UInt8(ascii: ")"),
             UInt8(ascii: ";"), UInt8(ascii: "@"), UInt8(ascii: "$"):
            out.append(UInt8(ascii: "\\"))
            out.append(byte)
        case 0x21...0x7E:
            out.append(byte)
        default:
            out.append(UInt8(ascii: "\\"))
            out.append(UInt8(ascii: "0") + byte / 100)
            out.append(UInt8(ascii: "0") + (byte / 10) % 10)
            out.append(UInt8(ascii: "0") + byte % 10)
        }
    }
}

extension DomainName: ExpressibleByStringLiteral {
    /// For literals in code and tests only: an invalid literal is a programming error and traps.
    /// Input from users, files and packets must use `init(_:) throws`.
    public init(stringLiteral value: String) {
        do {
            try self.init(value)
        } catch {
            preconditionFailure("invalid domain name literal '\(value)': \(error)")
        }
    }
}
