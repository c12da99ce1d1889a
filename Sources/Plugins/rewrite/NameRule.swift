import DNSWire

/// One `rewrite name` rule, as CoreDNS's plugin/rewrite (name.go) reads it.
///
/// Names are matched as CoreDNS does, on the question name's lowercase presentation text with a
/// trailing dot (`www.example.org.`), byte for byte: FROM and TO of exact, prefix, suffix and
/// substring rules are lowercased and get a trailing dot if they lack one (so `prefix foo`
/// matches `foo.example.org.` but not `foobar.example.org.`); a regex FROM is kept as written
/// and its TO lowercased, `{N}` standing for capture group N (`{0}` the whole match).
public struct NameRule: Sendable, Equatable {
    public enum Match: String, Sendable, Equatable {
        case exact, prefix, suffix, substring, regex
    }

    /// `stop` (the default) ends rule processing after this rule matched; `continue` goes on
    /// with the next rule, which sees the rewritten name.
    public enum Mode: String, Sendable, Equatable {
        case stop, `continue`
    }

    /// A regex rewrite of names in the response (`answer name FROM TO`, `answer value FROM TO`).
    public struct AnswerRewrite: Sendable, Equatable {
        public let pattern: String
        public let replacement: String
    }

    public let mode: Mode
    public let match: Match
    /// For non-regex rules, the normalized text; for regex, the pattern.
    public let from: String
    public let to: String
    /// `answer auto` (always on for exact rules): map the rewritten name back in the response.
    public let auto: Bool
    public let answerNames: [AnswerRewrite]
    public let answerValues: [AnswerRewrite]

    /// `from` and `to` as bytes, for matching without building strings.
    let fromBytes: [UInt8]
    let toBytes: [UInt8]

    init(mode: Mode, match: Match, from: String, to: String, auto: Bool, answerNames: [AnswerRewrite], answerValues: [AnswerRewrite]) {
        self.mode = mode
        self.match = match
        self.from = from
        self.to = to
        self.auto = auto
        self.answerNames = answerNames
        self.answerValues = answerValues
        self.fromBytes = Array(from.utf8)
        self.toBytes = Array(to.utf8)
    }

    public static func == (lhs: NameRule, rhs: NameRule) -> Bool {
        lhs.mode == rhs.mode && lhs.match == rhs.match && lhs.from == rhs.from && lhs.to == rhs.to && lhs.auto == rhs.auto
            && lhs.answerNames == rhs.answerNames && lhs.answerValues == rhs.answerValues
    }

    /// True when the (non-regex) rule matches `text`.
    /// - Complexity: O(text × from) for substring, O(from) otherwise. Allocation-free.
    func matches(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        let from = fromBytes
        switch match {
        case .exact:
            return text.elementsEqual(from)
        case .prefix:
            return text.count >= from.count && text.prefix(from.count).elementsEqual(from)
        case .suffix:
            return text.count >= from.count && text.suffix(from.count).elementsEqual(from)
        case .substring:
            return NameRule.firstIndex(of: from, in: text, from: 0) != nil
        case .regex:
            return false
        }
    }

    /// The rewritten text when the (non-regex) rule matches `text`, else nil.
    func rewrite(_ text: [UInt8]) -> [UInt8]? {
        let matched = text.withUnsafeBufferPointer { matches($0) }
        guard matched else { return nil }
        switch match {
        case .exact:
            return toBytes
        case .prefix:
            return toBytes + text[fromBytes.count...]
        case .suffix:
            return text[..<(text.count - fromBytes.count)] + toBytes
        case .substring:
            // Go's strings.ReplaceAll: non-overlapping occurrences, left to right.
            var out: [UInt8] = []
            var i = 0
            text.withUnsafeBufferPointer { buffer in
                while let found = NameRule.firstIndex(of: fromBytes, in: buffer, from: i) {
                    out += buffer[i..<found]
                    out += toBytes
                    i = found + fromBytes.count
                }
            }
            out += text[i...]
            return out
        case .regex:
            return nil
        }
    }

    static func firstIndex(of needle: [UInt8], in haystack: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        guard !needle.isEmpty, haystack.count >= needle.count else { return nil }
        var i = start
        while i + needle.count <= haystack.count {
            if haystack[i] == needle[0] {
                var k = 1
                while k < needle.count && haystack[i + k] == needle[k] { k += 1 }
                if k == needle.count { return i }
            }
            i += 1
        }
        return nil
    }
}
