/// Splits a JSON byte stream into values as bytes arrive, whatever the chunk boundaries, so a
/// LIST of 100 000 objects or an endless watch never has to be held whole.
///
/// Two shapes, the two the Kubernetes API sends:
/// - `.stream`: a watch body, one top-level object after another (`{"type":…,"object":…}`),
///   usually newline-separated, but nothing here relies on the newline. Each top-level value is
///   emitted as `.value`.
/// - `.list`: a LIST body, one top-level object whose `items` array may be huge. Every element
///   of `items` is emitted as `.item` as soon as it is complete; every other top-level member
///   (`kind`, `apiVersion`, `metadata`) is emitted as `.member(name, bytes)`.
///
/// Only structure is tracked here (nesting depth, strings and their escapes); values are not
/// validated: `JSONNodeParser` reads each emitted value and reports what is malformed in it.
/// Structural errors that would make everything after them unframeable (a stray `]`, a value
/// larger than `maxValueBytes`) fail the stream with a `JSONFramingError`.
public struct JSONStreamFramer {
    public enum Shape: Sendable { case stream, list }

    public enum Output: Equatable {
        case value([UInt8])
        case item([UInt8])
        case member(String, [UInt8])
    }

    public let shape: Shape
    /// The largest value (watch event or list item) accepted: the API caps objects at about
    /// 1.5 MiB in etcd, so a bigger value means the stream is not what we think it is.
    public let maxValueBytes: Int

    // Where we are at the top level (list shape only).
    private enum ListState {
        case beforeObject          // waiting for the opening `{`
        case expectKey             // inside the top object, before a member name (or `}`)
        case inKey                 // reading a member name
        case expectColon
        case expectValue           // after `:`
        case inMemberValue         // capturing a non-`items` member's value
        case expectItemsArray      // after `"items":`, waiting for `[`
        case expectItem            // inside `items`, before an element (or `]`)
        case inItem                // capturing one element
        case afterItem             // after an element: `,` or `]`
        case afterMember           // after a member's value: `,` or `}`
        case done                  // after the closing `}`
    }

    private var listState = ListState.beforeObject
    private var key: [UInt8] = []
    private var keyEscaped = false
    /// The value being captured (a stream value, a list item, or a member's value).
    private var capture: [UInt8] = []
    private var depth = 0
    private var inString = false
    private var escaped = false
    /// True while capturing a scalar (number, literal, string) at the top of a capture.
    private var scalarCapture = false
    private var capturing = false

    public init(shape: Shape, maxValueBytes: Int = 16 << 20) {
        self.shape = shape
        self.maxValueBytes = maxValueBytes
    }

    /// True once a list's closing `}` was read (always false for a stream).
    public var isComplete: Bool { listState == .done }

    /// True when no value is half-read: the end of the body here is a clean end.
    public var isAtBoundary: Bool {
        switch shape {
        case .stream: return !capturing
        case .list: return listState == .done
        }
    }

    /// Consumes `bytes`, calling `emit` for every value completed by them.
    public mutating func feed(_ bytes: some Collection<UInt8>, emit: (Output) throws -> Void) throws {
        for byte in bytes {
            if capturing {
                if let finished = try captureByte(byte) {
                    try deliver(finished, emit: emit)
                    if finished.reprocess { try structural(byte, emit: emit) }
                }
                continue
            }
            try structural(byte, emit: emit)
        }
    }

    private struct Finished {
        var bytes: [UInt8]
        /// A scalar ends at the byte after it (`,`, `}`, `]`, space), which the structure still
        /// has to see.
        var reprocess: Bool
    }

    private mutating func deliver(_ finished: Finished, emit: (Output) throws -> Void) throws {
        switch shape {
        case .stream:
            try emit(.value(finished.bytes))
        case .list:
            switch listState {
            case .inItem:
                listState = .afterItem
                try emit(.item(finished.bytes))
            case .inMemberValue:
                listState = .afterMember
                try emit(.member(String(decoding: key, as: UTF8.self), finished.bytes))
            default:
                throw JSONFramingError(message: "internal framing state")
            }
        }
    }

    private static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 }

    /// Starts capturing a value whose first byte is `b`.
    private mutating func beginCapture(_ b: UInt8) {
        capturing = true
        capture.removeAll(keepingCapacity: true)
        capture.append(b)
        depth = 0
        inString = false
        escaped = false
        scalarCapture = false
        switch b {
        case UInt8(ascii: "{"), UInt8(ascii: "["): depth = 1
        case UInt8(ascii: "\""): inString = true; scalarCapture = true
        default: scalarCapture = true
        }
    }

    /// Adds `b` to the value being captured. Returns the value when `b` completed it.
    private mutating func captureByte(_ b: UInt8) throws -> Finished? {
        if scalarCapture && !inString && (Self.isSpace(b) || b == UInt8(ascii: ",") || b == UInt8(ascii: "}") || b == UInt8(ascii: "]")) {
            // A bare scalar (number, true, false, null) ends before its delimiter; a string
            // scalar ended at its closing quote (handled below).
            capturing = false
            return Finished(bytes: capture, reprocess: true)
        }
        capture.append(b)
        if capture.count > maxValueBytes {
            throw JSONFramingError(message: "a JSON value exceeds \(maxValueBytes) bytes")
        }
        if inString {
            if escaped { escaped = false }
            else if b == UInt8(ascii: "\\") { escaped = true }
            else if b == UInt8(ascii: "\"") {
                inString = false
                if scalarCapture {
                    capturing = false
                    return Finished(bytes: capture, reprocess: false)
                }
            }
            return nil
        }
        switch b {
        case UInt8(ascii: "\""): inString = true
        case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
        case UInt8(ascii: "}"), UInt8(ascii: "]"):
            depth -= 1
            if depth == 0 {
                capturing = false
                return Finished(bytes: capture, reprocess: false)
            }
        default: break
        }
        return nil
    }

    /// Handles a byte outside any captured value.
    private mutating func structural(_ b: UInt8, emit: (Output) throws -> Void) throws {
        switch shape {
        case .stream:
            if Self.isSpace(b) { return }
            guard b == UInt8(ascii: "{") || b == UInt8(ascii: "[") else {
                throw JSONFramingError(message: "expected a JSON object in the watch stream, found '\(Self.show(b))'")
            }
            beginCapture(b)
        case .list:
            try listStructural(b)
        }
    }

    private mutating func listStructural(_ b: UInt8) throws {
        if listState == .inKey {
            if keyEscaped { keyEscaped = false; key.append(b); return }
            if b == UInt8(ascii: "\\") { keyEscaped = true; return }
            if b == UInt8(ascii: "\"") { listState = .expectColon; return }
            key.append(b)
            guard key.count <= 256 else { throw JSONFramingError(message: "a member name longer than 256 bytes") }
            return
        }
        if Self.isSpace(b) { return }
        switch listState {
        case .beforeObject:
            guard b == UInt8(ascii: "{") else { throw unexpected(b, "a JSON object (the list)") }
            listState = .expectKey
        case .expectKey:
            if b == UInt8(ascii: "}") { listState = .done; return }
            guard b == UInt8(ascii: "\"") else { throw unexpected(b, "a member name") }
            key.removeAll(keepingCapacity: true)
            listState = .inKey
        case .expectColon:
            guard b == UInt8(ascii: ":") else { throw unexpected(b, "':'") }
            listState = key == Array("items".utf8) ? .expectItemsArray : .expectValue
        case .expectValue:
            listState = .inMemberValue
            beginCapture(b)
        case .expectItemsArray:
            if b == UInt8(ascii: "n") {
                // `"items": null` — an empty list as some servers write it.
                listState = .inMemberValue
                beginCapture(b)
                return
            }
            guard b == UInt8(ascii: "[") else { throw unexpected(b, "'[' (the items array)") }
            listState = .expectItem
        case .expectItem:
            if b == UInt8(ascii: "]") { listState = .afterMember; return }
            listState = .inItem
            beginCapture(b)
        case .afterItem:
            if b == UInt8(ascii: ",") { listState = .expectItem; return }
            if b == UInt8(ascii: "]") { listState = .afterMember; return }
            throw unexpected(b, "',' or ']' after a list item")
        case .afterMember:
            if b == UInt8(ascii: ",") { listState = .expectKey; return }
            if b == UInt8(ascii: "}") { listState = .done; return }
            throw unexpected(b, "',' or '}' after a member")
        case .done:
            throw unexpected(b, "the end of the body")
        case .inKey, .inMemberValue, .inItem:
            throw JSONFramingError(message: "internal framing state")
        }
    }

    private func unexpected(_ b: UInt8, _ expected: String) -> JSONFramingError {
        JSONFramingError(message: "expected \(expected), found '\(Self.show(b))'")
    }

    private static func show(_ b: UInt8) -> String {
        (0x20..<0x7F).contains(b) ? String(UnicodeScalar(b)) : "\\x" + String(b, radix: 16)
    }
}

/// The body cannot be split into JSON values: it is not the JSON the API sends.
public struct JSONFramingError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { "malformed JSON stream: \(message)" }
}
