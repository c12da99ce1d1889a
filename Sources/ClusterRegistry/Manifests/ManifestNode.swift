import Yams

/// Why one object could not be decoded: the field path, the reason, and the line.
struct ObjectDecodingError: Error {
    var code: ManifestIssue.Code
    var message: String
    var line: Int?
}

/// A YAML node together with its path from the object root (`spec.ports[1].port`), so every
/// error can name the field and the line it came from.
///
/// All accessors treat an explicit YAML null (`~`, `null`, an empty value) as absent, as the
/// Kubernetes decoder does.
struct ManifestNode {
    let node: Node
    let path: String

    init(_ node: Node, path: String) {
        self.node = node
        self.path = path
    }

    var line: Int? { node.mark?.line }

    var isNull: Bool { Self.isNull(node) }

    /// YAML's null: a plain (unquoted) empty scalar, `~` or `null`. Checked by hand because
    /// Yams resolves tags with regular expressions, which dominated decoding time.
    static func isNull(_ node: Node) -> Bool {
        guard case .scalar(let scalar) = node, scalar.style == .plain || scalar.style == .any else { return false }
        switch scalar.string {
        case "", "~", "null", "Null", "NULL": return true
        default: return false
        }
    }

    /// The value of `key` in `mapping`, comparing key text directly (Yams' own subscript
    /// compares whole nodes, tags included, which resolves tags by regular expression).
    static func value(_ mapping: Node.Mapping, _ key: String) -> Node? {
        for (k, v) in mapping {
            if case .scalar(let scalar) = k, scalar.string == key { return v }
        }
        return nil
    }

    func fail(_ code: ManifestIssue.Code, _ reason: String) -> ObjectDecodingError {
        ObjectDecodingError(code: code, message: path.isEmpty ? reason : "\(path): \(reason)", line: line)
    }

    private func wrongType(_ expected: String) -> ObjectDecodingError {
        fail(.wrongType, "expected \(expected), found \(shape)")
    }

    private var shape: String {
        switch node {
        case .scalar: "a scalar"
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .alias: "an alias"
        }
    }

    private func childPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// The value under `key` when this node is a mapping and the value is not null.
    func optional(_ key: String) throws(ObjectDecodingError) -> ManifestNode? {
        guard case .mapping(let mapping) = node else { throw wrongType("a mapping") }
        guard let value = Self.value(mapping, key), !Self.isNull(value) else { return nil }
        return ManifestNode(value, path: childPath(key))
    }

    func required(_ key: String) throws(ObjectDecodingError) -> ManifestNode {
        guard let value = try optional(key) else {
            throw ObjectDecodingError(code: .missingField, message: "\(childPath(key)): required field is missing", line: line)
        }
        return value
    }

    func string() throws(ObjectDecodingError) -> String {
        guard case .scalar(let scalar) = node else { throw wrongType("a string") }
        return scalar.string
    }

    func optionalString(_ key: String) throws(ObjectDecodingError) -> String? {
        try optional(key)?.string()
    }

    /// A non-negative decimal integer (YAML ints; quoted digits are accepted too).
    func integer() throws(ObjectDecodingError) -> Int {
        guard case .scalar(let scalar) = node else { throw wrongType("a number") }
        guard let value = Int(scalar.string) else { throw fail(.wrongType, "expected a number, found \"\(scalar.string)\"") }
        return value
    }

    /// A port number in 1…65535.
    func port() throws(ObjectDecodingError) -> UInt16 {
        let value = try integer()
        guard (1...65535).contains(value) else { throw fail(.invalidPort, "\(value) is out of range 1…65535") }
        return UInt16(value)
    }

    /// `true`/`false` as Kubernetes' YAML (1.1) reads them, `yes`/`no`/`on`/`off` included.
    func bool() throws(ObjectDecodingError) -> Bool {
        guard case .scalar(let scalar) = node else { throw wrongType("true or false") }
        switch scalar.string.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw fail(.wrongType, "expected true or false, found \"\(scalar.string)\"")
        }
    }

    func optionalBool(_ key: String) throws(ObjectDecodingError) -> Bool? {
        try optional(key)?.bool()
    }

    /// The items of a list; a null or absent list reads as empty through `optional`.
    func list() throws(ObjectDecodingError) -> [ManifestNode] {
        guard case .sequence(let sequence) = node else { throw wrongType("a list") }
        return sequence.enumerated().map { ManifestNode($0.element, path: "\(path)[\($0.offset)]") }
    }

    func optionalList(_ key: String) throws(ObjectDecodingError) -> [ManifestNode] {
        try optional(key)?.list() ?? []
    }

    /// A mapping of strings to strings (labels, annotations, selectors); scalar values of any
    /// YAML type are read as their text, as `kubectl` would reject them anyway.
    func stringMap() throws(ObjectDecodingError) -> [String: String] {
        guard case .mapping(let mapping) = node else { throw wrongType("a mapping of strings") }
        var result: [String: String] = [:]
        for (key, value) in mapping {
            guard case .scalar(let k) = key else { throw wrongType("a mapping of strings") }
            if Self.isNull(value) {
                result[k.string] = ""
                continue
            }
            guard case .scalar(let v) = value else {
                throw ManifestNode(value, path: childPath(k.string)).wrongType("a string")
            }
            result[k.string] = v.string
        }
        return result
    }
}
