/// Parses one JSON value (a watch event, a list item) into the `ManifestTree` the manifest
/// decoder reads, so objects from the API are validated and stripped by exactly the code that
/// reads manifests.
///
/// Why not libyaml on the JSON text: it reads about 25 MB/s, and a 100 000-Service LIST is
/// hundreds of megabytes. This parser is a plain recursive descent over bytes, writing strings'
/// bytes (escapes decoded) straight into the tree's buffer: no `String`, no Yams `Node` (whose
/// `Tag`, built per parse with a default `Constructor` of three dictionaries, was 13 % of the
/// apistream fuzzer's time), nothing allocated per value.
///
/// - Strings become double-quoted scalars (so the string `"null"` is not YAML's null); numbers,
///   `true`, `false` and `null` become plain scalars with their text.
/// - `metadata.managedFields` (often the largest part of an object, never read by DNS) is
///   skipped without building nodes.
/// - Nesting deeper than `maxDepth` is an error, so a hostile body cannot exhaust the stack.
public struct JSONNodeParser {
    public static let maxDepth = 64

    /// A key whose value is skipped wherever it appears.
    static let skippedKey = "managedFields"

    private let bytes: [UInt8]
    private var index = 0
    private var builder: ManifestTreeBuilder

    public static func parse(_ bytes: [UInt8]) throws(JSONParseError) -> ManifestValue {
        // The tree's node numbers and byte offsets are 32-bit.
        guard bytes.count < Int(Int32.max) else { throw JSONParseError(message: "larger than 2 GiB", offset: 0) }
        var parser = JSONNodeParser(bytes: bytes)
        parser.skipSpace()
        let root = try parser.value(depth: 0)
        parser.skipSpace()
        guard parser.index == bytes.count else { throw parser.error("trailing bytes after the value") }
        return ManifestValue(tree: parser.builder.finish().tree, id: root)
    }

    private init(bytes: [UInt8]) {
        self.bytes = bytes
        builder = ManifestTreeBuilder(capacityHint: bytes.count)
    }

    /// A scalar of the text `bytes[start..<end]`.
    private mutating func scalar(_ start: Int, _ end: Int, mayBeNull: Bool) -> Int32 {
        let from = builder.bytes.count
        builder.bytes.append(contentsOf: bytes[start..<end])
        return builder.scalar(from: from, mayBeNull: mayBeNull, line: 0, column: 0)
    }

    private func error(_ message: String) -> JSONParseError {
        JSONParseError(message: message, offset: index)
    }

    private mutating func skipSpace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    /// Parses one value into the tree; returns its node (not attached to any collection).
    private mutating func value(depth: Int) throws(JSONParseError) -> Int32 {
        guard depth < Self.maxDepth else { throw error("nesting deeper than \(Self.maxDepth)") }
        guard index < bytes.count else { throw error("unexpected end of value") }
        let start = index
        switch bytes[index] {
        case UInt8(ascii: "{"): return try object(depth: depth)
        case UInt8(ascii: "["): return try array(depth: depth)
        case UInt8(ascii: "\""): return try string()
        case UInt8(ascii: "t"): try literal("true"); return scalar(start, index, mayBeNull: false)
        case UInt8(ascii: "f"): try literal("false"); return scalar(start, index, mayBeNull: false)
        case UInt8(ascii: "n"): try literal("null"); return scalar(start, index, mayBeNull: true)
        default:
            try number()
            return scalar(start, index, mayBeNull: false)
        }
    }

    private mutating func literal(_ text: StaticString) throws(JSONParseError) {
        let count = text.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw error("unexpected end of value") }
        let matches = text.withUTF8Buffer { expected in
            (0..<count).allSatisfy { bytes[index + $0] == expected[$0] }
        }
        guard matches else { throw error("invalid literal") }
        index += count
    }

    /// Moves past a number's characters.
    private mutating func number() throws(JSONParseError) {
        let start = index
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "+"),
                 UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"):
                index += 1
            default:
                guard index > start else { throw error("unexpected character '\(Self.show(bytes[index]))'") }
                return
            }
        }
        guard index > start else { throw error("unexpected end of value") }
    }

    private mutating func object(depth: Int) throws(JSONParseError) -> Int32 {
        index += 1  // {
        builder.begin(.mapping, line: 0, column: 0)
        skipSpace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            return builder.end()
        }
        while true {
            skipSpace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw error("expected a member name") }
            let key = try string()
            skipSpace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw error("expected ':'") }
            index += 1
            skipSpace()
            if builder.bytes(of: key).elementsEqual(Self.skippedKey.utf8) {
                // The key's bytes stay in the buffer, unreferenced: a few bytes per object.
                try skipValue(depth: depth + 1)
            } else {
                let v = try value(depth: depth + 1)
                builder.attach(key)
                builder.attach(v)
            }
            skipSpace()
            guard index < bytes.count else { throw error("unexpected end of object") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "}") { index += 1; break }
            throw error("expected ',' or '}'")
        }
        return builder.end()
    }

    private mutating func array(depth: Int) throws(JSONParseError) -> Int32 {
        index += 1  // [
        builder.begin(.sequence, line: 0, column: 0)
        skipSpace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            return builder.end()
        }
        while true {
            skipSpace()
            builder.attach(try value(depth: depth + 1))
            skipSpace()
            guard index < bytes.count else { throw error("unexpected end of array") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "]") { index += 1; break }
            throw error("expected ',' or ']'")
        }
        return builder.end()
    }

    /// Skips one value without building it (still checking its structure and depth).
    private mutating func skipValue(depth: Int) throws(JSONParseError) {
        guard depth < Self.maxDepth else { throw error("nesting deeper than \(Self.maxDepth)") }
        guard index < bytes.count else { throw error("unexpected end of value") }
        switch bytes[index] {
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            var level = 0
            var inString = false
            var escaped = false
            while index < bytes.count {
                let b = bytes[index]
                index += 1
                if inString {
                    if escaped { escaped = false } else if b == UInt8(ascii: "\\") { escaped = true } else if b == UInt8(ascii: "\"") { inString = false }
                    continue
                }
                switch b {
                case UInt8(ascii: "\""): inString = true
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    level += 1
                    guard depth + level <= Self.maxDepth else { throw error("nesting deeper than \(Self.maxDepth)") }
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    level -= 1
                    if level == 0 { return }
                default: break
                }
            }
            throw error("unexpected end of value")
        default:
            _ = try value(depth: depth)
        }
    }

    /// Reads a string starting at its opening quote into a (quoted, so never null) scalar,
    /// decoding escapes (`\uXXXX` with surrogate pairs included); leaves `index` after the
    /// closing quote.
    private mutating func string() throws(JSONParseError) -> Int32 {
        index += 1  // opening quote
        let start = index
        // Fast path: no escapes.
        while index < bytes.count {
            let b = bytes[index]
            if b == UInt8(ascii: "\"") {
                let s = scalar(start, index, mayBeNull: false)
                index += 1
                return s
            }
            if b == UInt8(ascii: "\\") { break }
            if b < 0x20 { throw error("control character in a string") }
            index += 1
        }
        let from = builder.bytes.count
        builder.bytes.append(contentsOf: bytes[start..<index])
        while index < bytes.count {
            let b = bytes[index]
            index += 1
            if b == UInt8(ascii: "\"") { return builder.scalar(from: from, mayBeNull: false, line: 0, column: 0) }
            if b < 0x20 { throw error("control character in a string") }
            guard b == UInt8(ascii: "\\") else { builder.bytes.append(b); continue }
            guard index < bytes.count else { break }
            let e = bytes[index]
            index += 1
            switch e {
            case UInt8(ascii: "\""): builder.bytes.append(0x22)
            case UInt8(ascii: "\\"): builder.bytes.append(0x5C)
            case UInt8(ascii: "/"): builder.bytes.append(0x2F)
            case UInt8(ascii: "b"): builder.bytes.append(0x08)
            case UInt8(ascii: "f"): builder.bytes.append(0x0C)
            case UInt8(ascii: "n"): builder.bytes.append(0x0A)
            case UInt8(ascii: "r"): builder.bytes.append(0x0D)
            case UInt8(ascii: "t"): builder.bytes.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if (0xD800..<0xDC00).contains(scalar) {
                    // A high surrogate must be followed by `\u` and a low one.
                    guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                        throw error("unpaired surrogate in a string")
                    }
                    index += 2
                    let low = try hex4()
                    guard (0xDC00..<0xE000).contains(low) else { throw error("unpaired surrogate in a string") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00..<0xE000).contains(scalar) {
                    throw error("unpaired surrogate in a string")
                }
                guard let unicode = Unicode.Scalar(scalar) else { throw error("invalid \\u escape") }
                builder.bytes.append(contentsOf: String(Character(unicode)).utf8)
            default:
                throw error("invalid escape '\\\(Self.show(e))'")
            }
        }
        throw error("unterminated string")
    }

    private mutating func hex4() throws(JSONParseError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw error("short \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[index]
            index += 1
            let digit: UInt32
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(b - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(b - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(b - UInt8(ascii: "A") + 10)
            default: throw error("bad hex digit in \\u escape")
            }
            v = v << 4 | digit
        }
        return v
    }

    private static func show(_ b: UInt8) -> String {
        (0x20..<0x7F).contains(b) ? String(UnicodeScalar(b)) : "\\x" + String(b, radix: 16)
    }
}

/// A JSON value that does not parse: what and at which byte.
public struct JSONParseError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public let offset: Int
    public var description: String { "invalid JSON at byte \(offset): \(message)" }
}
