/// A `log` format parsed once at setup into literals and placeholders, so that writing a line is
/// a walk over this list with no parsing, lookup or allocation per query.
///
/// Parsing follows CoreDNS's `plugin/pkg/replacer`: find the first `}`, go back to the last `{`
/// before it; a known placeholder becomes a field, `{/label}` a metadata field, anything else
/// (`{foo}`, a lone `}`) stays literal text, preceding text included.
public struct LogFormat: Sendable, Equatable {
    /// One segment of a format.
    public enum Field: Sendable, Equatable {
        case literal([UInt8])
        /// `{type}`: the query type's mnemonic (`AAAA`, `TYPE65280`).
        case type
        /// `{name}`: the query name, lowercase, in presentation form with a trailing dot.
        case name
        /// `{class}`: the query class (`IN`).
        case queryClass
        /// `{proto}`: `udp` or `tcp`.
        case proto
        /// `{size}`: the query's size in octets.
        case size
        /// `{remote}`: the client's address, IPv6 in brackets.
        case remote
        /// `{port}`: the client's port.
        case port
        /// `{local}`: the server address the query was sent to, IPv6 in brackets.
        case local
        /// `{>id}`: the query ID.
        case id
        /// `{>opcode}`: the query opcode as a number.
        case opcode
        /// `{>do}`: `true` when the query set the DNSSEC OK bit.
        case dnssecOK
        /// `{>bufsize}`: the client's EDNS UDP size (at least 512; 65535 over TCP).
        case bufferSize
        /// `{rcode}`: the response code's name (`NOERROR`, `NXDOMAIN`).
        case rcode
        /// `{rsize}`: the response's size in octets.
        case responseSize
        /// `{duration}`: time from arrival to the response, in seconds (`0.000213s`).
        case duration
        /// `{>rflags}`: the response's header flags (`qr,aa,rd`).
        case responseFlags
        /// `{/log/class}`: the response's class (`success`, `denial`, `error`).
        case responseClass
        /// `{/log/type}`: the response's type (`NOERROR`, `NXDOMAIN`, `NODATA`…).
        case responseType
        /// Any other `{/label}`: metadata this server does not have, printed `-`.
        case metadata(String)
    }

    public let fields: [Field]

    /// CoreDNS's Common Log Format, the default.
    public static let common = #"{remote}:{port} - {>id} "{type} {class} {name} {proto} {size} {>do} {>bufsize}" {rcode} {>rflags} {rsize} {duration}"#
    /// The Common Log Format with the query opcode.
    public static let combined = common + #" "{>opcode}""#

    static let placeholders: [String: Field] = [
        "{type}": .type, "{name}": .name, "{class}": .queryClass, "{proto}": .proto, "{size}": .size,
        "{remote}": .remote, "{port}": .port, "{local}": .local, "{>id}": .id, "{>opcode}": .opcode,
        "{>do}": .dnssecOK, "{>bufsize}": .bufferSize, "{rcode}": .rcode, "{rsize}": .responseSize,
        "{duration}": .duration, "{>rflags}": .responseFlags,
    ]

    /// Parses `text`; `{common}` and `{combined}` are expanded first, as CoreDNS's setup does.
    public init(_ text: String) {
        let expanded = text.replacingAll("{common}", with: LogFormat.common).replacingAll("{combined}", with: LogFormat.combined)
        var fields: [Field] = []
        var rest = Substring(expanded)
        func addLiteral(_ text: Substring) {
            guard !text.isEmpty else { return }
            if case .literal(let previous)? = fields.last {
                fields[fields.count - 1] = .literal(previous + Array(text.utf8))
            } else {
                fields.append(.literal(Array(text.utf8)))
            }
        }
        while let close = rest.firstIndex(of: "}") {
            let upToClose = rest[...close]
            guard let open = upToClose.lastIndex(of: "{") else {
                addLiteral(upToClose)
                rest = rest[rest.index(after: close)...]
                continue
            }
            let token = String(rest[open...close])
            if let field = LogFormat.placeholders[token] {
                addLiteral(rest[..<open])
                fields.append(field)
            } else if token.hasPrefix("{/") {
                addLiteral(rest[..<open])
                let label = String(token.dropFirst(2).dropLast())
                switch label {
                case "log/class": fields.append(.responseClass)
                case "log/type": fields.append(.responseType)
                default: fields.append(.metadata(label))
                }
            } else {
                addLiteral(upToClose)
            }
            rest = rest[rest.index(after: close)...]
        }
        addLiteral(rest)
        self.fields = fields
    }

    /// Whether a line needs the response's class or type (which reads the authority section).
    var needsResponseClass: Bool {
        fields.contains { $0 == .responseClass || $0 == .responseType }
    }
}

extension String {
    /// Every occurrence of `target` replaced (Foundation-free).
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty, contains(target) else { return self }
        var result = ""
        var rest = Substring(self)
        while let range = rest.firstRange(of: target) {
            result += rest[..<range.lowerBound]
            result += replacement
            rest = rest[range.upperBound...]
        }
        result += rest
        return result
    }
}
