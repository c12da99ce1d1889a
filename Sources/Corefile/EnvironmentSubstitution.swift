/// Replaces `{$NAME}` and `{%NAME%}` in one word with the value of the environment variable
/// `NAME`, as CoreDNS does.
///
/// CoreDNS (coredns/caddy `replaceEnvVars`) substitutes *per word, after lexing*: a value with
/// spaces stays one word ("each environment variable is inserted into the Corefile as a single
/// token", CoreDNS README), and a value cannot open a block. An unset variable becomes the empty
/// string. The Windows form is replaced first, then the Unix form. There is no default syntax:
/// `{$NAME:x}` looks up a variable literally named `NAME:x`, as in CoreDNS (Caddy 2 added
/// defaults; CoreDNS's fork of Caddy 1 did not).
///
/// Differences from CoreDNS, only in pathological input: a substituted value is not scanned again
/// (CoreDNS rescans, and loops forever on `A='{$A}'`).
enum EnvironmentSubstitution {
    static func substitute(_ word: String, environment: [String: String]) -> String {
        // Fast path: almost every word has no reference.
        guard word.utf8.contains(UInt8(ascii: "{")) else { return word }
        let windows = replace(in: word, start: "{%", end: "%}", environment: environment)
        return replace(in: windows, start: "{$", end: "}", environment: environment)
    }

    private static func replace(in word: String, start: String, end: String, environment: [String: String]) -> String {
        var result = ""
        var rest = Substring(word)
        while let open = rest.firstRange(of: start) {
            let afterOpen = rest[open.upperBound...]
            // Caddy stops at the first reference without an end, or with an empty name.
            guard let close = afterOpen.firstRange(of: end), close.lowerBound > afterOpen.startIndex else { break }
            result += rest[..<open.lowerBound]
            result += environment[String(afterOpen[..<close.lowerBound])] ?? ""
            rest = afterOpen[close.upperBound...]
        }
        result += rest
        return result
    }
}
