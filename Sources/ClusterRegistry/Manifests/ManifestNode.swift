/// Why one object could not be decoded: the field path, the reason, and the line.
struct ObjectDecodingError: Error {
    var code: ManifestIssue.Code
    var message: String
    var line: Int?
}

/// A YAML/JSON node together with its path from the object root (`spec.ports[1].port`), so every
/// error can name the field and the line it came from.
///
/// All accessors treat an explicit YAML null (`~`, `null`, an empty value) as absent, as the
/// Kubernetes decoder does.
struct ManifestNode {
    let value: ManifestValue
    /// The path of the parent; this node's own path adds `component` to it only when asked
    /// (an error message, or a child's path): most nodes read are leaves that never fail, and
    /// formatting every field's path was a tenth of decoding.
    private let parentPath: String
    private let component: Component

    private enum Component {
        case none
        case key(String)
        case index(Int)
    }

    init(_ value: ManifestValue, path: String) {
        self.value = value
        self.parentPath = path
        self.component = .none
    }

    private init(_ value: ManifestValue, parentPath: String, component: Component) {
        self.value = value
        self.parentPath = parentPath
        self.component = component
    }

    /// `spec.ports[1].port`; empty at the object's root.
    var path: String {
        switch component {
        case .none: parentPath
        case .key(let key): parentPath.isEmpty ? key : "\(parentPath).\(key)"
        case .index(let index): "\(parentPath)[\(index)]"
        }
    }

    var line: Int? { value.line }

    var isNull: Bool { value.isNull }

    /// YAML's null: a plain (unquoted, untagged) empty scalar, `~` or `null`.
    static func isNull(_ value: ManifestValue) -> Bool { value.isNull }

    func fail(_ code: ManifestIssue.Code, _ reason: String) -> ObjectDecodingError {
        ObjectDecodingError(code: code, message: path.isEmpty ? reason : "\(path): \(reason)", line: line)
    }

    private func wrongType(_ expected: String) -> ObjectDecodingError {
        fail(.wrongType, "expected \(expected), found \(shape)")
    }

    private var shape: String {
        switch value.kind {
        case .scalar: "a scalar"
        case .mapping: "a mapping"
        case .sequence: "a list"
        }
    }

    private func childPath(_ key: String) -> String { ManifestNode(value, parentPath: path, component: .key(key)).path }

    /// The value under `key` when this node is a mapping and the value is not null.
    func optional(_ key: String) throws(ObjectDecodingError) -> ManifestNode? {
        guard value.kind == .mapping else { throw wrongType("a mapping") }
        guard let member = value.member(key), !member.isNull else { return nil }
        return ManifestNode(member, parentPath: path, component: .key(key))
    }

    func required(_ key: String) throws(ObjectDecodingError) -> ManifestNode {
        guard let value = try optional(key) else {
            throw ObjectDecodingError(code: .missingField, message: "\(childPath(key)): required field is missing", line: line)
        }
        return value
    }

    func string() throws(ObjectDecodingError) -> String {
        guard let text = value.string else { throw wrongType("a string") }
        return text
    }

    func optionalString(_ key: String) throws(ObjectDecodingError) -> String? {
        // The common case without forming the child's path.
        if value.kind == .mapping, let member = value.member(key) {
            if member.isNull { return nil }
            if let text = member.string { return text }
        }
        return try optional(key)?.string()
    }

    /// A non-negative decimal integer (YAML ints; quoted digits are accepted too).
    func integer() throws(ObjectDecodingError) -> Int {
        guard let text = value.string else { throw wrongType("a number") }
        guard let number = Int(text) else { throw fail(.wrongType, "expected a number, found \"\(text)\"") }
        return number
    }

    /// A port number in 1…65535.
    func port() throws(ObjectDecodingError) -> UInt16 {
        let value = try integer()
        guard (1...65535).contains(value) else { throw fail(.invalidPort, "\(value) is out of range 1…65535") }
        return UInt16(value)
    }

    /// `true`/`false` as Kubernetes' YAML (1.1) reads them, `yes`/`no`/`on`/`off` included.
    func bool() throws(ObjectDecodingError) -> Bool {
        guard let text = value.string else { throw wrongType("true or false") }
        switch text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw fail(.wrongType, "expected true or false, found \"\(text)\"")
        }
    }

    func optionalBool(_ key: String) throws(ObjectDecodingError) -> Bool? {
        // `true` and `false` as written, without forming a path or a lowercased copy.
        if value.kind == .mapping, let member = value.member(key) {
            if member.isNull { return nil }
            if member.isScalar("true") { return true }
            if member.isScalar("false") { return false }
        }
        return try optional(key)?.bool()
    }

    /// The items of a list; a null or absent list reads as empty through `optional`.
    func list() throws(ObjectDecodingError) -> [ManifestNode] {
        guard value.kind == .sequence else { throw wrongType("a list") }
        let path = self.path
        return value.items.enumerated().map { ManifestNode($0.element, parentPath: path, component: .index($0.offset)) }
    }

    func optionalList(_ key: String) throws(ObjectDecodingError) -> [ManifestNode] {
        try optional(key)?.list() ?? []
    }

    /// A mapping of strings to strings (labels, annotations, selectors); scalar values of any
    /// YAML type are read as their text, as `kubectl` would reject them anyway.
    func stringMap() throws(ObjectDecodingError) -> [String: String] {
        guard value.kind == .mapping else { throw wrongType("a mapping of strings") }
        var result: [String: String] = [:]
        for (key, item) in value.pairs {
            guard let k = key.string else { throw wrongType("a mapping of strings") }
            if item.isNull {
                result[k] = ""
                continue
            }
            guard let v = item.string else {
                throw ManifestNode(item, path: childPath(k)).wrongType("a string")
            }
            result[k] = v
        }
        return result
    }
}
