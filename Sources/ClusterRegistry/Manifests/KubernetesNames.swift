/// The name rules the API server enforces, so manifests that a cluster would reject are
/// reported here instead of producing names DNS cannot serve.
enum KubernetesNames {
    /// RFC 1123 label (Services, namespaces, hostnames, subdomains, port names): lowercase
    /// letters, digits and `-`, starting and ending with a letter or digit, at most 63
    /// characters. Services used to need an RFC 1035 label (a letter first); the API server
    /// relaxed that (RelaxedServiceNameValidation), so a Service may start with a digit.
    static func isRFC1123Label(_ s: String) -> Bool {
        let b = Array(s.utf8)
        guard (1...63).contains(b.count), isLowerOrDigit(b[0]), isLowerOrDigit(b[b.count - 1]) else { return false }
        return b.allSatisfy { isLowerOrDigit($0) || $0 == UInt8(ascii: "-") }
    }

    /// RFC 1123 subdomain (Pod, EndpointSlice names, externalName): dot-separated 1123 labels,
    /// at most 253 characters.
    static func isRFC1123Subdomain(_ s: String) -> Bool {
        guard (1...253).contains(s.utf8.count) else { return false }
        return s.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { isRFC1123Label(String($0)) }
    }

    /// IANA service name (a named `targetPort`): at most 15 characters of lowercase letters,
    /// digits and `-`, at least one letter, no leading, trailing or doubled `-`.
    static func isIANAServiceName(_ s: String) -> Bool {
        let b = Array(s.utf8)
        guard (1...15).contains(b.count), b.contains(where: isLower) else { return false }
        guard b.first != UInt8(ascii: "-"), b.last != UInt8(ascii: "-"), !s.contains("--") else { return false }
        return b.allSatisfy { isLowerOrDigit($0) || $0 == UInt8(ascii: "-") }
    }

    private static func isLower(_ c: UInt8) -> Bool { c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z") }
    private static func isLowerOrDigit(_ c: UInt8) -> Bool {
        isLower(c) || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9"))
    }
}
