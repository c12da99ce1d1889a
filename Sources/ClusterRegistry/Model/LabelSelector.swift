/// A Kubernetes label selector in its string form, as the `labels` and `namespace_labels`
/// directives take it: `environment in (production, qa), tier!=frontend, !canary, app`.
///
/// The requirements are ANDed. `!=` and `notin` also match objects that lack the key, as in
/// Kubernetes. The empty selector matches everything.
public struct LabelSelector: Sendable, Hashable, CustomStringConvertible {
    public enum Requirement: Sendable, Hashable, CustomStringConvertible {
        case equals(key: String, value: String)
        case notEquals(key: String, value: String)
        case `in`(key: String, values: [String])
        case notIn(key: String, values: [String])
        case exists(key: String)
        case doesNotExist(key: String)

        func matches(_ labels: Labels) -> Bool {
            switch self {
            case .equals(let k, let v): labels[k] == v
            case .notEquals(let k, let v): labels[k] != v
            case .in(let k, let vs): labels[k].map(vs.contains) ?? false
            case .notIn(let k, let vs): !(labels[k].map(vs.contains) ?? false)
            case .exists(let k): labels[k] != nil
            case .doesNotExist(let k): labels[k] == nil
            }
        }

        public var description: String {
            switch self {
            case .equals(let k, let v): "\(k)=\(v)"
            case .notEquals(let k, let v): "\(k)!=\(v)"
            case .in(let k, let vs): "\(k) in (\(vs.joined(separator: ",")))"
            case .notIn(let k, let vs): "\(k) notin (\(vs.joined(separator: ",")))"
            case .exists(let k): k
            case .doesNotExist(let k): "!\(k)"
            }
        }
    }

    public var requirements: [Requirement]

    /// Matches every object.
    public static let everything = LabelSelector(requirements: [])

    public init(requirements: [Requirement]) {
        self.requirements = requirements
    }

    /// Parses the string form.
    /// - Throws: `LabelSelectorError` naming the requirement that is malformed.
    public init(parsing text: String) throws(LabelSelectorError) {
        var requirements: [Requirement] = []
        for part in Self.splitRequirements(text) {
            let item = part.trimmingSpaces
            if item.isEmpty {
                if text.trimmingSpaces.isEmpty { break }
                throw LabelSelectorError(selector: text, reason: "empty requirement")
            }
            requirements.append(try Self.requirement(item, in: text))
        }
        self.requirements = requirements
    }

    public func matches(_ labels: Labels) -> Bool {
        requirements.allSatisfy { $0.matches(labels) }
    }

    public var description: String { requirements.map(\.description).joined(separator: ",") }

    /// Splits on commas outside parentheses.
    private static func splitRequirements(_ text: String) -> [Substring] {
        var parts: [Substring] = []
        var depth = 0
        var start = text.startIndex
        for index in text.indices {
            switch text[index] {
            case "(": depth += 1
            case ")": depth -= 1
            case "," where depth == 0:
                parts.append(text[start..<index])
                start = text.index(after: index)
            default: break
            }
        }
        parts.append(text[start...])
        return parts
    }

    private static func requirement(_ item: String, in text: String) throws(LabelSelectorError) -> Requirement {
        func fail(_ reason: String) -> LabelSelectorError { LabelSelectorError(selector: text, reason: "\"\(item)\": \(reason)") }
        func key(_ s: Substring) throws(LabelSelectorError) -> String {
            let k = String(s).trimmingSpaces
            guard isValidKey(k) else { throw fail("\"\(k)\" is not a valid label key") }
            return k
        }
        func value(_ s: Substring) throws(LabelSelectorError) -> String {
            let v = String(s).trimmingSpaces
            guard isValidValue(v) else { throw fail("\"\(v)\" is not a valid label value") }
            return v
        }
        if item.hasPrefix("!") {
            return .doesNotExist(key: try key(item.dropFirst()))
        }
        if let open = item.firstIndex(of: "(") {
            guard item.hasSuffix(")") else { throw fail("a value list must end with ')'") }
            let head = item[..<open].split(separator: " ", omittingEmptySubsequences: true)
            guard head.count == 2, head[1] == "in" || head[1] == "notin" else {
                throw fail("expected 'key in (…)' or 'key notin (…)'")
            }
            let inner = item[item.index(after: open)..<item.index(before: item.endIndex)]
            var values: [String] = []
            for v in inner.split(separator: ",", omittingEmptySubsequences: false) { values.append(try value(v)) }
            guard !values.isEmpty, !(values.count == 1 && values[0].isEmpty) else { throw fail("empty value list") }
            let k = try key(head[0])
            return head[1] == "in" ? .in(key: k, values: values) : .notIn(key: k, values: values)
        }
        if let range = item.firstRange(of: "!=") {
            return .notEquals(key: try key(item[..<range.lowerBound]), value: try value(item[range.upperBound...]))
        }
        if let range = item.firstRange(of: "==") ?? item.firstRange(of: "=") {
            return .equals(key: try key(item[..<range.lowerBound]), value: try value(item[range.upperBound...]))
        }
        if item.contains(where: { $0 == "<" || $0 == ">" }) { throw fail("'<' and '>' are for node selectors, not label selectors") }
        return .exists(key: try key(item[...]))
    }

    /// `[prefix/]name`: name of 1–63 alphanumerics with `-`, `_`, `.` inside; prefix a DNS subdomain.
    static func isValidKey(_ key: String) -> Bool {
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let name = parts.last, isValidName(name) else { return false }
        if parts.count == 2 { return KubernetesNames.isRFC1123Subdomain(String(parts[0])) }
        return true
    }

    /// Empty, or 1–63 alphanumerics with `-`, `_`, `.` inside.
    static func isValidValue(_ value: String) -> Bool { value.isEmpty || isValidName(value[...]) }

    private static func isValidName(_ s: Substring) -> Bool {
        let b = Array(s.utf8)
        func alnum(_ c: UInt8) -> Bool {
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A)
        }
        guard (1...63).contains(b.count), alnum(b[0]), alnum(b[b.count - 1]) else { return false }
        return b.allSatisfy { alnum($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") }
    }
}

/// A label selector that does not parse.
public struct LabelSelectorError: Error, Sendable, Hashable, CustomStringConvertible {
    public var selector: String
    public var reason: String
    public var description: String { "label selector \"\(selector)\": \(reason)" }
}

extension StringProtocol {
    /// Without leading and trailing spaces and tabs (Foundation-free).
    var trimmingSpaces: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
