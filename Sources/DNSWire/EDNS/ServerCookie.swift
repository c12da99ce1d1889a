// DNS cookies (RFC 7873) with the interoperable server cookie of RFC 9018.
//
// A server cookie is 16 octets: version (1), three reserved octets, a 32-bit timestamp in
// seconds (serial arithmetic, RFC 1982) and the first 8 octets of SipHash-2-4 over
// client cookie | version | reserved | timestamp | client address, keyed with a 128-bit secret.
// Every replica configured with the same secret makes and accepts the same cookies, which is
// the point of RFC 9018 behind an anycast or Service address. Which secret that is at a given
// moment (rotated every epoch, or fixed) is `CookieKeyring`'s business.
//
// Everything here runs on the query path: inputs are raw bytes in the packet, scratch space is
// a tuple on the stack, and nothing allocates.

/// A 128-bit server secret, kept as SipHash's two key words.
public struct CookieSecret: Hashable, Sendable {
    public let k0: UInt64
    public let k1: UInt64

    public init(k0: UInt64, k1: UInt64) {
        self.k0 = k0
        self.k1 = k1
    }

    /// Reads 32 hex digits (the form Knot and BIND print secrets in); nil for anything else.
    public init?(hex: some StringProtocol) {
        let digits = Array(hex.utf8)
        guard digits.count == 32 else { return nil }
        var bytes = [UInt8](repeating: 0, count: 16)
        for i in 0..<16 {
            guard let high = CookieSecret.nibble(digits[2 * i]), let low = CookieSecret.nibble(digits[2 * i + 1]) else {
                return nil
            }
            bytes[i] = high << 4 | low
        }
        guard let key = bytes.withUnsafeBytes({ SipHash24.key($0) }) else { return nil }
        self.init(k0: key.k0, k1: key.k1)
    }

    /// A fresh secret from the system's cryptographic generator.
    public static func random() -> CookieSecret {
        var generator = SystemRandomNumberGenerator()
        return CookieSecret(k0: generator.next(), k1: generator.next())
    }

    /// The 32 hex digits of this secret (for `clusterdns check` and tests; never logged).
    public var hex: String {
        var text = ""
        for word in [k0, k1] {
            for i in 0..<8 {
                let byte = UInt8(truncatingIfNeeded: word >> UInt64(8 * i))
                text += String(byte >> 4, radix: 16) + String(byte & 0x0F, radix: 16)
            }
        }
        return text
    }

    static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// The COOKIE option this server sends back: the client's 8 octets and a 16-octet server cookie,
/// held as three words in memory order so it is copied, not encoded.
public struct CookieReply: Hashable, Sendable {
    public var words: (UInt64, UInt64, UInt64)

    /// Octets of the option's data (client cookie and server cookie).
    public static let dataLength = 24
    /// Octets the option takes in an OPT record (code and length included).
    public static let optionLength = 4 + dataLength
    /// Octets a response may need beyond what its plugins wrote: the option, plus a whole OPT
    /// record when the response came without one (a relayed upstream answer).
    public static let reserve = optionLength + 11

    public init() { words = (0, 0, 0) }

    public static func == (a: CookieReply, b: CookieReply) -> Bool {
        a.words.0 == b.words.0 && a.words.1 == b.words.1 && a.words.2 == b.words.2
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
        hasher.combine(words.2)
    }

    /// The option data as octets (tests, logs).
    public var bytes: [UInt8] {
        var copy = words
        return withUnsafeBytes(of: &copy) { Array($0) }
    }

    /// The server cookie's timestamp (seconds, serial arithmetic).
    public var timestamp: UInt32 {
        var copy = words
        return withUnsafeBytes(of: &copy) { ServerCookie.bigEndian32($0, at: 12) }
    }
}

/// What the COOKIE option of a query amounts to (RFC 7873 §5.2).
public enum CookieStatus: Sendable, Equatable {
    /// Only a client cookie (§5.2.3): answer normally, with a fresh server cookie.
    case clientOnly
    /// A server cookie this server (or a replica with the same secret) made, in its time window.
    case valid
    /// A server cookie that is not ours, too old, from the future, or of another version
    /// (§5.2.4): answered like `clientOnly`, except for a query without a question (§5.4).
    case invalid
}

/// Making and checking RFC 9018 version-1 server cookies.
public enum ServerCookie {
    /// Octets of a version-1 server cookie.
    public static let length = 16
    public static let version: UInt8 = 1
    /// A cookie is accepted up to this many seconds after its timestamp (RFC 9018 §4.3).
    public static let maxAge: Int32 = 3600
    /// …and up to this many seconds before it (clock skew between replicas).
    public static let maxSkew: Int32 = 300
    /// Younger cookies are sent back unchanged; older ones are renewed (RFC 9018 §4.3 asks for
    /// renewal when the cookie is more than half an hour old), so a client's cookie stays
    /// stable for a while and never runs out while it keeps asking.
    public static let renewAfter: Int32 = 1800

    /// True when an option of `length` octets is a well-formed COOKIE (RFC 7873 §5.2.2: 8, or
    /// 16 to 40); anything else is answered FORMERR.
    @inlinable
    public static func isWellFormed(length: Int) -> Bool { length == 8 || (16...40).contains(length) }

    /// Checks the COOKIE option data `option` (already known to be well-formed) of a query
    /// from `address` at wall-clock second `now` against one fixed secret (and a previous one
    /// still accepted), and builds the option to send back. The fixed-secret form of
    /// `check(option:address:now:keyring:)`, for tests and benchmarks.
    /// - Complexity: at most three SipHash runs over ≤ 32 octets. Allocation-free.
    public static func check(option: UnsafeRawBufferPointer, address: IPAddress, now: UInt32,
                             current: CookieSecret, previous: CookieSecret?) -> (status: CookieStatus, reply: CookieReply) {
        var keyring = CookieKeyring(fixed: current, previous: previous)
        return check(option: option, address: address, now: now, keyring: &keyring)
    }

    /// Checks the COOKIE option data `option` (already known to be well-formed) of a query
    /// from `address` at wall-clock second `now`, and builds the option to send back.
    ///
    /// `keyring` is first moved to `now`'s epoch (a rotation). A valid cookie no older than
    /// `renewAfter` made with the signing secret is echoed as it came, so the client sees a
    /// stable cookie; otherwise a fresh one with the signing secret is made. A cookie made with a
    /// secret that is only still accepted (before the last rotation, or a previous master) is
    /// valid but always renewed.
    /// - Complexity: at most three SipHash runs over ≤ 32 octets (six more once per epoch).
    ///   Allocation-free.
    public static func check(option: UnsafeRawBufferPointer, address: IPAddress, now: UInt32,
                             keyring: inout CookieKeyring) -> (status: CookieStatus, reply: CookieReply) {
        keyring.advance(to: now)
        var reply = CookieReply()
        var status = CookieStatus.clientOnly
        var echo = false
        if option.count > 8 {
            status = .invalid
            if option.count == 8 + length, option[8] == version {
                let stamp = bigEndian32(option, at: 12)
                let age = Int32(bitPattern: now &- stamp)
                if age >= -maxSkew && age <= maxAge, let signed = keyring.verify(option, address: address, stamp: stamp) {
                    status = .valid
                    echo = signed && age >= 0 && age <= renewAfter
                }
            }
        }
        let secret = keyring.signing
        withUnsafeMutableBytes(of: &reply.words) { out in
            out.copyMemory(from: UnsafeRawBufferPointer(rebasing: option[0..<(echo ? 24 : 8)]))
            if !echo {
                let server = UnsafeMutableRawBufferPointer(rebasing: out[8..<24])
                write(client: UnsafeRawBufferPointer(rebasing: option[0..<8]), address: address, timestamp: now,
                      secret: secret, into: server)
            }
        }
        return (status, reply)
    }

    /// Writes the version-1 server cookie for `client` (8 octets) into `out` (16 octets).
    /// Allocation-free.
    public static func write(client: UnsafeRawBufferPointer, address: IPAddress, timestamp: UInt32,
                             secret: CookieSecret, into out: UnsafeMutableRawBufferPointer) {
        out[0] = version
        out[1] = 0
        out[2] = 0
        out[3] = 0
        out[4] = UInt8(truncatingIfNeeded: timestamp >> 24)
        out[5] = UInt8(truncatingIfNeeded: timestamp >> 16)
        out[6] = UInt8(truncatingIfNeeded: timestamp >> 8)
        out[7] = UInt8(truncatingIfNeeded: timestamp)
        let h = digest(client: client, header: UnsafeRawBufferPointer(out)[0..<8], address: address, secret: secret)
        for i in 0..<8 { out[8 + i] = UInt8(truncatingIfNeeded: h >> UInt64(8 * i)) }
    }

    /// True when the 24 octets of `option` (client cookie, then a version-1 server cookie) hash
    /// to the server cookie's last eight octets under `secret` for `address`. The reserved
    /// octets are hashed as received (RFC 9018 §4.2), so a cookie is checked, never rebuilt.
    public static func matches(_ option: UnsafeRawBufferPointer, address: IPAddress, secret: CookieSecret) -> Bool {
        guard option.count == 8 + length else { return false }
        let h = digest(client: UnsafeRawBufferPointer(rebasing: option[0..<8]), header: option[8..<16],
                       address: address, secret: secret)
        // Compared without early exit, so the time taken says nothing about where it differs.
        var difference: UInt8 = 0
        for i in 0..<8 { difference |= option[16 + i] ^ UInt8(truncatingIfNeeded: h >> UInt64(8 * i)) }
        return difference == 0
    }

    /// SipHash-2-4 over client | version | reserved | timestamp | address.
    static func digest(client: UnsafeRawBufferPointer, header: Slice<UnsafeRawBufferPointer>, address: IPAddress,
                       secret: CookieSecret) -> UInt64 {
        var scratch: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        return withUnsafeMutableBytes(of: &scratch) { buffer in
            for i in 0..<8 { buffer[i] = client[i] }
            var p = 8
            for byte in header {
                buffer[p] = byte
                p += 1
            }
            switch address {
            case .v4(let a):
                for shift in stride(from: 24, through: 0, by: -8) {
                    buffer[p] = UInt8(truncatingIfNeeded: a.rawValue >> UInt32(shift))
                    p += 1
                }
            case .v6(let a):
                for i in 0..<16 {
                    let word = i < 8 ? a.high : a.low
                    buffer[p] = UInt8(truncatingIfNeeded: word >> UInt64(56 - 8 * (i & 7)))
                    p += 1
                }
            }
            return SipHash24.hash(UnsafeRawBufferPointer(rebasing: buffer[0..<p]), k0: secret.k0, k1: secret.k1)
        }
    }

    @inlinable @inline(__always)
    static func bigEndian32(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> UInt32 {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }
}
