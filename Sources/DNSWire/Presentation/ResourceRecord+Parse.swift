/// Why a line of master-file text is not a record this codec can read.
public struct PresentationError: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension ResourceRecord {
    /// Parses one record in master-file form: `owner [TTL] [CLASS] TYPE RDATA` (TTL and class in
    /// either order). Typed RDATA for the types `RData` knows, RFC 3597 `\# len hex` for any
    /// type. Owner names are absolute. Used for tests, `hosts` entries and the CLI; zone files
    /// go through libldns instead.
    public init(presentation text: String, defaultTTL: UInt32 = 3600) throws(PresentationError) {
        var tokens = try ResourceRecord.tokenize(text)
        guard tokens.count >= 3 else { throw PresentationError("'\(text)': too few fields for a record") }
        let owner: DomainName
        do { owner = try DomainName(tokens.removeFirst().text) } catch {
            throw PresentationError("'\(text)': bad owner name: \(error)")
        }
        var ttl: UInt32? = nil
        var rclass: RecordClass? = nil
        var type: RecordType? = nil
        while let token = tokens.first, type == nil {
            tokens.removeFirst()
            if ttl == nil, let value = UInt32(token.text) {
                ttl = value
            } else if rclass == nil, !token.quoted, let c = RecordClass(mnemonic: token.text) {
                rclass = c
            } else if !token.quoted, let t = RecordType(mnemonic: token.text) {
                type = t
            } else {
                throw PresentationError("'\(text)': unknown type '\(token.text)'")
            }
        }
        guard let type else { throw PresentationError("'\(text)': no record type") }
        let rdata = try RData(presentation: tokens, type: type, line: text)
        self.init(name: owner, type: type, recordClass: rclass ?? .in, ttl: ttl ?? defaultTTL, rdata: rdata)
    }

    struct Token {
        var text: String
        var quoted: Bool
    }

    /// Splits on blanks, keeping `"quoted strings"` (with `\"`/`\\`/`\DDD` escapes) whole and
    /// dropping `(`, `)` and `; comments`.
    static func tokenize(_ text: String) throws(PresentationError) -> [Token] {
        var tokens: [Token] = []
        var current: [UInt8] = []
        var inQuotes = false
        var hasToken = false
        var quoted = false
        let bytes = Array(text.utf8)
        var i = 0
        func flush() {
            if hasToken { tokens.append(Token(text: String(decoding: current, as: UTF8.self), quoted: quoted)) }
            current.removeAll()
            hasToken = false
            quoted = false
        }
        while i < bytes.count {
            let c = bytes[i]
            if inQuotes {
                if c == UInt8(ascii: "\\"), i + 1 < bytes.count {
                    current.append(c)
                    current.append(bytes[i + 1])
                    i += 2
                    continue
                }
                if c == UInt8(ascii: "\"") { inQuotes = false } else { current.append(c) }
                i += 1
                continue
            }
            switch c {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"),
                 UInt8(ascii: "("), UInt8(ascii: ")"):
                flush()
            case UInt8(ascii: ";"):
                flush()
                i = bytes.count
                continue
            case UInt8(ascii: "\""):
                flush()
                inQuotes = true
                hasToken = true
                quoted = true
            case UInt8(ascii: "\\") where i + 1 < bytes.count:
                current.append(c)
                current.append(bytes[i + 1])
                hasToken = true
                i += 2
                continue
            default:
                current.append(c)
                hasToken = true
            }
            i += 1
        }
        guard !inQuotes else { throw PresentationError("'\(text)': unterminated quoted string") }
        flush()
        return tokens
    }
}

extension RData {
    init(presentation tokens: [ResourceRecord.Token], type: RecordType, line: String) throws(PresentationError) {
        func fail(_ why: String) -> PresentationError { PresentationError("'\(line)': \(why)") }
        func name(_ i: Int) throws(PresentationError) -> DomainName {
            guard i < tokens.count else { throw fail("missing name") }
            do { return try DomainName(tokens[i].text) } catch { throw fail("bad name '\(tokens[i].text)': \(error)") }
        }
        func number<T: FixedWidthInteger>(_ i: Int, _: T.Type) throws(PresentationError) -> T {
            guard i < tokens.count, let v = T(tokens[i].text) else { throw fail("expected a number at field \(i + 1)") }
            return v
        }
        func count(_ n: Int) throws(PresentationError) {
            guard tokens.count == n else { throw fail("\(type) takes \(n) fields, found \(tokens.count)") }
        }
        if let first = tokens.first, first.text == "\\#", !first.quoted {
            // RDATA is at most 65535 octets; the bound also keeps `length * 2` from overflowing.
            guard tokens.count >= 2, let length = Int(tokens[1].text), (0...65535).contains(length) else {
                throw fail("\\# needs a length from 0 to 65535")
            }
            let hex = tokens.dropFirst(2).map(\.text).joined()
            guard hex.utf8.count == length * 2, let bytes = RData.bytes(hex: hex) else {
                throw fail("\\# length \(length) does not match the hex data")
            }
            guard let rdata = RData(generic: bytes, type: type) else {
                throw fail("\\# data is not valid \(type) RDATA")
            }
            self = rdata
            return
        }
        switch type {
        case .a:
            try count(1)
            guard let a = IPv4Address(tokens[0].text) else { throw fail("bad IPv4 address '\(tokens[0].text)'") }
            self = .a(a)
        case .aaaa:
            try count(1)
            guard let a = IPv6Address(tokens[0].text) else { throw fail("bad IPv6 address '\(tokens[0].text)'") }
            self = .aaaa(a)
        case .ns:
            try count(1)
            self = .ns(try name(0))
        case .cname:
            try count(1)
            self = .cname(try name(0))
        case .ptr:
            try count(1)
            self = .ptr(try name(0))
        case .mx:
            try count(2)
            self = .mx(preference: try number(0, UInt16.self), exchange: try name(1))
        case .srv:
            try count(4)
            self = .srv(priority: try number(0, UInt16.self), weight: try number(1, UInt16.self),
                        port: try number(2, UInt16.self), target: try name(3))
        case .soa:
            try count(7)
            self = .soa(SOAData(primaryNameServer: try name(0), responsibleMailbox: try name(1),
                                serial: try number(2, UInt32.self), refresh: try number(3, UInt32.self),
                                retry: try number(4, UInt32.self), expire: try number(5, UInt32.self),
                                minimum: try number(6, UInt32.self)))
        case .txt:
            guard !tokens.isEmpty else { throw fail("TXT needs at least one string") }
            var strings: [[UInt8]] = []
            for token in tokens {
                let bytes = try RData.unescape(token.text, line: line)
                guard bytes.count <= 255 else { throw fail("TXT string longer than 255 octets") }
                strings.append(bytes)
            }
            self = .txt(strings)
        default:
            throw fail("\(type) must be written in RFC 3597 form (\\# length hex)")
        }
    }

    /// RFC 3597 §5: the generic form of a type this codec knows must mean the same as the
    /// type's own form, so it is decoded exactly as the same octets on the wire would be (`\\# 4
    /// 0A000001` of type A is `.a(10.0.0.1)`). Nil when the octets are not valid for the type, or
    /// hold a compression pointer (generic RDATA is never compressed, RFC 3597 §4).
    init?(generic bytes: [UInt8], type: RecordType) {
        let decoded: RData? = bytes.withUnsafeBytes { raw in
            var reader = WireReader(raw)
            do throws(WireError) { return try RData.read(&reader, type: type, length: raw.count) } catch { return nil }
        }
        guard let decoded else { return nil }
        // Written back uncompressed, the decoded data must give the same octets: that rules out
        // pointers, which would otherwise be followed inside the RDATA itself.
        var output = [UInt8](repeating: 0, count: bytes.count + 2)
        var table: [UInt16] = []
        let same: Bool = output.withUnsafeMutableBytes { out in
            table.withUnsafeMutableBufferPointer { none in
                var writer = MessageWriter(buffer: out, compression: none)
                do throws(WriterFull) { try writer.writeRData(decoded) } catch { return false }
                return writer.position == out.count
            }
        }
        guard same, output.dropFirst(2).elementsEqual(bytes) else { return nil }
        self = decoded
    }

    static func bytes(hex: String) -> [UInt8]? {
        var out: [UInt8] = []
        var high: UInt8? = nil
        for c in hex.utf8 {
            let v: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): v = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): v = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): v = c - UInt8(ascii: "A") + 10
            default: return nil
            }
            if let h = high { out.append(h << 4 | v); high = nil } else { high = v }
        }
        return high == nil ? out : nil
    }

    /// Resolves `\X` and `\DDD` escapes of a character-string.
    static func unescape(_ text: String, line: String) throws(PresentationError) -> [UInt8] {
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "\\") {
                guard i + 1 < bytes.count else { throw PresentationError("'\(line)': dangling backslash") }
                let d = bytes[i + 1]
                if d >= UInt8(ascii: "0") && d <= UInt8(ascii: "9") {
                    guard i + 3 < bytes.count,
                          let v = UInt8(String(decoding: bytes[(i + 1)...(i + 3)], as: UTF8.self)) else {
                        throw PresentationError("'\(line)': bad \\DDD escape")
                    }
                    out.append(v)
                    i += 4
                } else {
                    out.append(d)
                    i += 2
                }
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return out
    }
}
