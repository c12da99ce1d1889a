import Corefile
import DNSWire
import ZoneFile

/// `cookie [off] { secret HEX [PREVIOUS_HEX]; secret-file FILE; rotate DURATION|off }`: DNS
/// cookies (RFC 7873) with RFC 9018 server cookies. ClusterDNS's own directive (CoreDNS has no
/// cookie plugin); shaped after Knot's `mod-cookies`.
///
/// Cookies are on without the directive, with a random master key made at start and shared by
/// every worker; the secret cookies are made with is derived from it and rotates every
/// `defaultRotation` (`CookieKeyring`). Replicas behind one Service address need the same key,
/// or a client that moves between them gets a new cookie on every switch: `secret-file` reads it
/// from a file (a Kubernetes Secret mounted in each pod), and every replica derives the same
/// secret for the same epoch, so they rotate together without talking to each other. Changing
/// the key itself: put the new one on the file's first line and the old one on the second, and
/// reload; cookies made under the old one are still accepted (and renewed) until it is removed.
/// `rotate off` uses the configured secret as it is (for a fleet shared with other RFC 9018
/// servers, which do not know the derivation).
public struct CookieConfig: Sendable, Equatable {
    /// How often the secret rotates by default: a day, as Knot's `secret-lifetime` (26 hours by
    /// default); anything of an hour or more keeps every cookie valid for its whole age
    /// (`ServerCookie.maxAge`) across a rotation.
    public static let defaultRotation: UInt32 = 86_400
    /// The longest interval `rotate` takes: 36 days, as Knot allows (RFC 7873 §7.1).
    public static let maxRotation: UInt32 = 36 * 86_400

    /// False with `cookie off`: COOKIE options are ignored, as by a server without cookies.
    public var enabled = true
    /// The secret cookies are made with; nil means the process's random one.
    public var secret: CookieSecret?
    /// A secret still accepted (the one before a rotation).
    public var previous: CookieSecret?
    /// `secret-file` as given, for `clusterdns check`.
    public var secretFile: String?
    /// Seconds between rotations of the secret; nil with `rotate off`.
    public var rotation: UInt32? = CookieConfig.defaultRotation

    public init() {}

    public static let setup: PluginSetupFunction = { (directive, setup) throws(CorefileError) in
        CookiePlugin(config: try parse(directive, in: setup))
    }

    /// Reads the `cookie` directive; a secret file is read now, so a bad one fails the load (or
    /// the reload, which keeps the running secret).
    /// - Throws: `CorefileError` at the directive or the offending property.
    public static func parse(_ directive: Directive, in setup: BlockSetup) throws(CorefileError) -> CookieConfig {
        var config = CookieConfig()
        let arguments = try directive.requireArguments(max: 1)
        if let first = arguments.first {
            guard first.text == "off" else { throw directive.error("unknown argument '\(first.text)' (only 'off')", at: first) }
            try directive.noBlock()
            config.enabled = false
            return config
        }
        for property in directive.properties {
            switch property.name {
            case "secret":
                let values = try property.requireArguments(min: 1, max: 2)
                guard config.secret == nil else { throw property.error("the secret is already set") }
                var secrets: [CookieSecret] = []
                for value in values {
                    guard let secret = CookieSecret(hex: value.text) else {
                        throw property.error("a secret is 32 hex digits (128 bits)", at: value)
                    }
                    secrets.append(secret)
                }
                config.secret = secrets[0]
                config.previous = secrets.count > 1 ? secrets[1] : nil
            case "secret-file":
                let file = try property.requiredArgument(0, "a file name")
                _ = try property.requireArguments(exactly: 1)
                guard config.secret == nil else { throw property.error("the secret is already set") }
                let path = FileContents.join(setup.baseDirectory, file.text)
                let bytes: [UInt8]
                do {
                    bytes = try FileContents.read(path)
                } catch {
                    throw property.error("cannot read \(path): \(error)")
                }
                let secrets = try readSecrets(bytes, property: property, path: path)
                config.secret = secrets.current
                config.previous = secrets.previous
                config.secretFile = file.text
            case "rotate":
                let value = try property.requiredArgument(0, "a duration or 'off'")
                _ = try property.requireArguments(exactly: 1)
                if value.text == "off" {
                    config.rotation = nil
                } else {
                    let interval = try property.duration(value, in: .seconds(1) ... .seconds(Int64(maxRotation)))
                    guard interval.components.attoseconds == 0 else {
                        throw property.error("the rotation interval is whole seconds", at: value)
                    }
                    config.rotation = UInt32(interval.components.seconds)
                }
            default:
                throw property.unknownProperty()
            }
        }
        return config
    }

    /// A secret file: the current secret on its first line, optionally the previous one on the
    /// second; blank lines and `#` comments are skipped. Anything else is an error, so a
    /// half-written file fails the reload instead of splitting the replicas' secrets.
    static func readSecrets(_ bytes: [UInt8], property: Directive, path: String) throws(CorefileError)
        -> (current: CookieSecret, previous: CookieSecret?) {
        guard bytes.count <= 4096 else { throw property.error("\(path): a secret file is two lines, not \(bytes.count) octets") }
        let text = String(decoding: bytes, as: UTF8.self)
        var secrets: [CookieSecret] = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: " \t\r")
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let secret = CookieSecret(hex: line) else {
                throw property.error("\(path):\(index + 1): a secret is 32 hex digits (128 bits)")
            }
            secrets.append(secret)
        }
        guard let current = secrets.first else { throw property.error("\(path): no secret in the file") }
        guard secrets.count <= 2 else { throw property.error("\(path): at most two secrets (current, previous)") }
        return (current, secrets.count > 1 ? secrets[1] : nil)
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: String) -> Substring {
        var s = self
        while let c = s.first, set.contains(c) { s.removeFirst() }
        while let c = s.last, set.contains(c) { s.removeLast() }
        return s
    }
}
