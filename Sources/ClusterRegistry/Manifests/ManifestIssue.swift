/// A problem found in the manifests, kept as a value for logs, metrics, `/ready` and `explain`.
///
/// Its text form names the input the way `STYLE.md` C5 asks:
/// `manifests/web.yaml#2 Service/production/web-app: spec.ports[0].port: 70000 is out of range 1…65535 (line 14)`.
/// Documents are numbered from 1 in the order they appear in the file, empty ones included, so
/// `#2` is the second `---`-separated document; an object inside a `kind: List` adds
/// ` items[i]` (from 0, as in the YAML path).
public struct ManifestIssue: Sendable, Hashable, CustomStringConvertible {
    public enum Severity: String, Sendable, Hashable {
        /// The object (or file) was not taken.
        case error
        /// Taken or skipped on purpose, but worth telling (a duplicate, an unserved field).
        case warning
    }

    /// A stable name for the kind of problem, for metrics labels and tests.
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The file (or the directory) could not be read.
        public static let unreadable = Code(rawValue: "unreadable")
        /// YAML or JSON syntax error; the file's previous objects stay.
        public static let syntax = Code(rawValue: "syntax")
        /// A document that is not a mapping.
        public static let notAnObject = Code(rawValue: "not_an_object")
        public static let missingKind = Code(rawValue: "missing_kind")
        public static let unsupportedAPIVersion = Code(rawValue: "unsupported_api_version")
        public static let missingField = Code(rawValue: "missing_field")
        /// A field of the wrong YAML type (a list where a mapping belongs, text for a number…).
        public static let wrongType = Code(rawValue: "wrong_type")
        /// A name that is not a valid DNS label or subdomain.
        public static let invalidName = Code(rawValue: "invalid_name")
        public static let invalidAddress = Code(rawValue: "invalid_address")
        public static let invalidPort = Code(rawValue: "invalid_port")
        /// Any other invalid value (an unknown service type, protocol, phase…).
        public static let invalidValue = Code(rawValue: "invalid_value")
        /// An EndpointSlice without the `kubernetes.io/service-name` label.
        public static let missingServiceName = Code(rawValue: "missing_service_name")
        /// The same object in two places; the later one wins.
        public static let duplicateObject = Code(rawValue: "duplicate_object")
        /// A valid field the registry does not serve (FQDN slices, an IP as externalName…).
        public static let unserved = Code(rawValue: "unserved")
    }

    public var severity: Severity
    public var code: Code
    /// The file, as the directory scan names it.
    public var file: String
    /// 1-based document number; nil for problems with the whole file.
    public var document: Int?
    /// Index inside a `kind: List` document's `items`.
    public var item: Int?
    /// The object, as far as it could be read (kind may be unknown to the registry).
    public var kind: String?
    public var namespace: String?
    public var name: String?
    /// 1-based line and column in the file, when the YAML parser gave one.
    public var line: Int?
    public var column: Int?
    /// What is wrong, starting with the field path when there is one.
    public var message: String
    /// True when the registry kept serving the previous good version instead.
    public var keptPreviousVersion: Bool

    public init(
        severity: Severity = .error, code: Code, file: String, document: Int? = nil, item: Int? = nil,
        kind: String? = nil, namespace: String? = nil, name: String? = nil, line: Int? = nil,
        column: Int? = nil, message: String, keptPreviousVersion: Bool = false
    ) {
        self.severity = severity
        self.code = code
        self.file = file
        self.document = document
        self.item = item
        self.kind = kind
        self.namespace = namespace
        self.name = name
        self.line = line
        self.column = column
        self.message = message
        self.keptPreviousVersion = keptPreviousVersion
    }

    /// `Service/production/web-app`, with `?` for what could not be read.
    public var subject: String? {
        guard kind != nil || name != nil else { return nil }
        let k = kind ?? "?"
        let n = name ?? "?"
        if let ns = namespace, !ns.isEmpty { return "\(k)/\(ns)/\(n)" }
        return "\(k)/\(n)"
    }

    public var description: String {
        var text = file
        if let document {
            text += "#\(document)"
            if let item { text += " items[\(item)]" }
        } else if let line {
            text += ":\(line)"
            if let column { text += ":\(column)" }
        }
        if let subject { text += " \(subject)" }
        text += ": \(message)"
        if document != nil, let line { text += " (line \(line))" }
        if keptPreviousVersion { text += "; previous version kept" }
        return text
    }
}
