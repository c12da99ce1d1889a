/// Turning a server block key as written (`dns://Example.org:1053`, `10.0.0.0/15`, `.`) into
/// `ServerKey`s, following CoreDNS's `InspectServerBlocks` (core/dnsserver/register.go),
/// `parse.Transport` and `plugin.SplitHostPort` (plugin/normalize.go).
extension ServerKey {
    /// Schemes CoreDNS knows but ClusterDNS does not serve, with what they mean.
    static let unsupportedSchemes: [String: String] = [
        "tls": "DNS over TLS",
        "https": "DNS over HTTPS",
        "https3": "DNS over HTTP/3",
        "grpc": "DNS over gRPC",
        "quic": "DNS over QUIC",
        "unix": "DNS over a Unix socket",
    ]

    /// The keys that one written key stands for: one, or several for a CIDR off a label boundary.
    ///
    /// - Parameters:
    ///   - text: the key after environment substitution, without a separating comma.
    ///   - defaultPort: the port when the key names none (53, or the `-dns.port` override).
    /// - Throws: `CorefileError` of kind `.serverKey` naming the key: unsupported or unknown scheme,
    ///   empty data after `:`, a port outside 1–65535 or not a number, an empty or malformed zone.
    static func parse(_ text: String, at location: SourceLocation, defaultPort: Int) throws(CorefileError) -> [ServerKey] {
        do {
            let (zones, port) = try resolve(text, defaultPort: defaultPort)
            return zones.map { ServerKey(zone: $0, port: port, original: text, location: location) }
        } catch {
            throw CorefileError(.serverKey, at: location, "server block key '\(text)': \(error.message)")
        }
    }

    /// What is wrong with a key, without the key itself (callers add it).
    struct Defect: Error {
        let message: String
    }

    /// The normalized zones and the port of a key as written.
    static func resolve(_ text: String, defaultPort: Int) throws(Defect) -> (zones: [String], port: Int) {
        func failure(_ message: String) -> Defect { Defect(message: message) }

        var rest = Substring(text)
        if let separator = rest.firstRange(of: "://") {
            let scheme = ZoneName.asciiLowercased(String(rest[..<separator.lowerBound]))
            if let meaning = unsupportedSchemes[scheme] {
                throw failure("\(scheme):// (\(meaning)) is not supported — ClusterDNS serves plain DNS; use dns:// or no scheme")
            }
            guard scheme == "dns" else {
                throw failure("unknown scheme '\(scheme)://' — expected dns:// or no scheme")
            }
            rest = rest[separator.upperBound...]
        }

        // From the back: `:<number>` is the port. A CIDR puts its `/prefix` before the port, so an
        // IPv6 network's own colons are never mistaken for one (`fd00::/64` has no port).
        var port = defaultPort
        if let colon = rest.lastIndex(of: ":") {
            let portText = rest[rest.index(after: colon)...]
            if portText.isEmpty {
                throw failure("expected a port after the last ':'")
            }
            if let number = Int(portText) {
                guard (1...65535).contains(number) else {
                    throw failure("port \(portText) is out of range — expected 1-65535")
                }
                port = number
                rest = rest[..<colon]
            } else if !portText.contains("/") {
                throw failure("'\(portText)' is not a port number — expected [dns://]ZONE[:PORT]")
            }
        }

        let host = String(rest)
        if host.utf8.count > 255 {
            throw failure("the zone is too long: \(host.utf8.count) > 255 characters")
        }
        if let defect = ZoneName.validate(host) {
            throw failure("'\(host)' is not a valid zone: \(defect.explanation)")
        }
        switch ReverseZones.zones(forCIDR: host) {
        case .invalid:
            throw failure("invalid CIDR '\(host)'")
        case .zones(let zones):
            return (zones, port)
        case .notCIDR:
            switch ZoneName.normalize(host) {
            case .success(let zone):
                // Checked again on the normalized form: the trailing dot it adds can take a
                // 255-character key to 256, which the printed Corefile would then fail on
                // (found by the corefile fuzz target).
                guard zone.utf8.count <= 255 else {
                    throw failure("the zone is too long: \(zone.utf8.count) > 255 characters")
                }
                return ([zone], port)
            case .failure(let defect):
                throw failure("'\(host)' is not a valid zone: \(defect.explanation)")
            }
        }
    }
}
