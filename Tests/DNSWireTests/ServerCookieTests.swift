import DNSWire
import Testing

private func hex(_ text: String) -> [UInt8] {
    var bytes: [UInt8] = []
    var chars = Array(text.utf8)[...]
    while chars.count >= 2 {
        bytes.append(UInt8(String(decoding: chars.prefix(2), as: UTF8.self), radix: 16) ?? 0)
        chars = chars.dropFirst(2)
    }
    return bytes
}

private func hexString(_ bytes: [UInt8]) -> String {
    bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
}

/// SipHash-2-4 against the reference vectors (key 00 01 … 0f, message 00 01 … n-1).
@Suite struct SipHashTests {
    @Test("SipHash-2-4 reproduces the reference implementation's vectors", arguments: [
        (0, UInt64(0x726f_db47_dd0e_0e31)),
        (1, UInt64(0x74f8_39c5_93dc_67fd)),
        (15, UInt64(0xa129_ca61_49be_45e5)),
    ])
    func referenceVectors(length: Int, expected: UInt64) {
        let key = (0..<16).map { UInt8($0) }
        let message = (0..<length).map { UInt8($0) }
        let k = key.withUnsafeBytes { SipHash24.key($0) }
        let h = message.withUnsafeBytes { SipHash24.hash($0, k0: k?.k0 ?? 0, k1: k?.k1 ?? 0) }
        #expect(h == expected)
    }
}

/// RFC 9018 server cookies: the Appendix A examples, and RFC 7873 §5.2's handling.
@Suite struct ServerCookieTests {
    static let secret1 = CookieSecret(hex: "e5e973e5a6b2a43f48e7dc849e37bfcf")!

    static func make(_ secret: String, client: String, address: String, at time: UInt32) -> String {
        var out = [UInt8](repeating: 0, count: 16)
        let clientBytes = hex(client)
        clientBytes.withUnsafeBytes { c in
            out.withUnsafeMutableBytes { o in
                ServerCookie.write(client: c, address: IPAddress(address)!, timestamp: time,
                                   secret: CookieSecret(hex: secret)!, into: o)
            }
        }
        return hexString(out)
    }

    @Test("RFC 9018 Appendix A cookies are reproduced exactly", arguments: [
        ("e5e973e5a6b2a43f48e7dc849e37bfcf", "2464c4abcf10c957", "198.51.100.100", UInt32(1_559_731_985),
         "010000005cf79f111f8130c3eee29480"),
        ("e5e973e5a6b2a43f48e7dc849e37bfcf", "2464c4abcf10c957", "198.51.100.100", UInt32(1_559_734_385),
         "010000005cf7a871d4a564a1442aca77"),
        ("e5e973e5a6b2a43f48e7dc849e37bfcf", "fc93fc62807ddb86", "203.0.113.203", UInt32(1_559_734_700),
         "010000005cf7a9acf73a7810aca2381e"),
        ("445536bcd2513298075a5d379663c962", "22681ab97d52c298", "2001:db8:220:1:59de:d0f4:8769:82b8",
         UInt32(1_559_741_961), "010000005cf7c609a6bb79d16625507a"),
    ])
    func appendixA(secret: String, client: String, address: String, time: UInt32, expected: String) {
        #expect(Self.make(secret, client: client, address: address, at: time) == expected)
    }

    @Test("a cookie with client-set reserved octets is checked as received (RFC 9018 A.3)")
    func reservedOctetsAreHashed() {
        let option = hex("fc93fc62807ddb8601abcdef5cf78f71a314227b6679ebf5")
        option.withUnsafeBytes { o in
            #expect(ServerCookie.matches(o, address: IPAddress("203.0.113.203")!, secret: Self.secret1))
            #expect(!ServerCookie.matches(o, address: IPAddress("203.0.113.204")!, secret: Self.secret1))
        }
    }

    static func check(_ option: String, address: String = "198.51.100.100", now: UInt32,
                      current: CookieSecret = secret1, previous: CookieSecret? = nil) -> (CookieStatus, String) {
        let bytes = hex(option)
        return bytes.withUnsafeBytes { o in
            let result = ServerCookie.check(option: o, address: IPAddress(address)!, now: now, current: current, previous: previous)
            return (result.status, hexString(result.reply.bytes))
        }
    }

    static let issued = "2464c4abcf10c957010000005cf79f111f8130c3eee29480"   // A.1, at 1559731985

    @Test("a client cookie alone gets a fresh server cookie (A.1)")
    func clientOnly() {
        let (status, reply) = Self.check("2464c4abcf10c957", now: 1_559_731_985)
        #expect(status == .clientOnly)
        #expect(reply == Self.issued)
    }

    @Test("a valid cookie younger than half an hour comes back unchanged")
    func stable() {
        let (status, reply) = Self.check(Self.issued, now: 1_559_731_985 + 1799)
        #expect(status == .valid)
        #expect(reply == Self.issued)
    }

    @Test("a valid cookie older than half an hour is renewed (A.2)")
    func renewed() {
        let (status, reply) = Self.check(Self.issued, now: 1_559_734_385)
        #expect(status == .valid)
        #expect(reply == "2464c4abcf10c957010000005cf7a871d4a564a1442aca77")
    }

    @Test("a cookie older than an hour or more than five minutes ahead is invalid and replaced", arguments: [
        UInt32(1_559_731_985 + 3601), UInt32(1_559_731_985 - 301),
    ])
    func outOfWindow(now: UInt32) {
        let (status, reply) = Self.check(Self.issued, now: now)
        #expect(status == .invalid)
        #expect(reply.hasPrefix("2464c4abcf10c95701000000"))
        #expect(reply != Self.issued)
    }

    @Test("the window edges: an hour old and five minutes ahead are still valid")
    func windowEdges() {
        #expect(Self.check(Self.issued, now: 1_559_731_985 + 3600).0 == .valid)
        #expect(Self.check(Self.issued, now: 1_559_731_985 - 300).0 == .valid)
    }

    @Test("a cookie from another address, another secret or of another length is invalid")
    func notOurs() {
        #expect(Self.check(Self.issued, address: "198.51.100.101", now: 1_559_731_985).0 == .invalid)
        #expect(Self.check(Self.issued, now: 1_559_731_985, current: CookieSecret(k0: 1, k1: 2)).0 == .invalid)
        #expect(Self.check("2464c4abcf10c957" + "0011223344556677", now: 1_559_731_985).0 == .invalid)
    }

    @Test("after a rotation the previous secret's cookies are accepted and renewed with the new secret")
    func rotation() {
        let new = CookieSecret(k0: 7, k1: 9)
        let (status, reply) = Self.check(Self.issued, now: 1_559_731_990, current: new, previous: Self.secret1)
        #expect(status == .valid)
        #expect(reply != Self.issued)
        let (again, _) = Self.check(reply, now: 1_559_731_990, current: new)
        #expect(again == .valid)
    }

    @Test("only 8 and 16…40 octets are well-formed (RFC 7873 §5.2.2)")
    func wellFormedLengths() {
        for n in 0...48 {
            #expect(ServerCookie.isWellFormed(length: n) == (n == 8 || (16...40).contains(n)), "length \(n)")
        }
    }

    @Test("secrets parse from 32 hex digits only")
    func secretText() {
        #expect(CookieSecret(hex: "e5e973e5a6b2a43f48e7dc849e37bfcf")?.hex == "e5e973e5a6b2a43f48e7dc849e37bfcf")
        #expect(CookieSecret(hex: "e5e973e5a6b2a43f48e7dc849e37bfc") == nil)
        #expect(CookieSecret(hex: "g5e973e5a6b2a43f48e7dc849e37bfcf") == nil)
    }
}

/// Putting the option into finished responses.
@Suite struct CookieAttachTests {
    static func reply() -> CookieReply {
        var r = CookieReply()
        let bytes = hex(ServerCookieTests.issued)
        withUnsafeMutableBytes(of: &r.words) { $0.copyBytes(from: bytes) }
        return r
    }

    static func attach(_ message: Message) throws -> Message {
        let wire = message.encoded() ?? []
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = buffer.withUnsafeMutableBytes { out in
            out.copyBytes(from: wire)
            return reply().attach(to: out, length: wire.count, limit: 4096)
        }
        return try Message(parsing: Array(buffer[0..<n]))
    }

    @Test("an upstream's COOKIE is replaced and other options are kept")
    func replacesUpstreamCookie() throws {
        var m = Message.query(id: 1, name: try DomainName("a.example."), type: .a)
        m.header.isResponse = true
        m.answers = [ResourceRecord(name: try DomainName("a.example."), ttl: 5, rdata: .a(IPv4Address(192, 0, 2, 1)))]
        m.edns = EDNS(options: [.cookie(client: [1, 2, 3, 4, 5, 6, 7, 8], server: [UInt8](repeating: 9, count: 16)),
                                EDNSOption(code: .nsid, data: [0x41])])
        let out = try Self.attach(m)
        #expect(out.answers == m.answers)
        #expect(out.edns?.options.filter { $0.code == .cookie }.map(\.data) == [hex(ServerCookieTests.issued)])
        #expect(out.edns?.option(.nsid)?.data == [0x41])
    }

    @Test("a response without OPT gets one carrying the cookie")
    func addsOPT() throws {
        var m = Message.query(id: 1, name: try DomainName("a.example."), type: .a, edns: nil)
        m.header.isResponse = true
        let out = try Self.attach(m)
        #expect(out.edns?.option(.cookie)?.data == hex(ServerCookieTests.issued))
    }

    @Test("no room below the limit leaves the response as it was")
    func noRoom() throws {
        let m = Message.query(id: 1, name: try DomainName("a.example."), type: .a)
        let wire = m.encoded() ?? []
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = buffer.withUnsafeMutableBytes { out in
            out.copyBytes(from: wire)
            return Self.reply().attach(to: out, length: wire.count, limit: wire.count + 10)
        }
        #expect(n == wire.count)
    }

    static func removed(_ wire: [UInt8]) -> [UInt8] {
        var buffer = wire
        let n = buffer.withUnsafeMutableBytes { CookieReply.removeCookies(from: $0, length: wire.count) }
        return Array(buffer[0..<n])
    }

    @Test("removeCookies takes every COOKIE out of a query's OPT, keeps the other options and fixes RDLENGTH")
    func removesCookies() throws {
        var m = Message.query(id: 7, name: try DomainName("a.example."), type: .a)
        m.edns = EDNS(options: [.cookie(client: [1, 2, 3, 4, 5, 6, 7, 8], server: []), EDNSOption(code: .nsid, data: [0x41]),
                                .cookie(client: [8, 7, 6, 5, 4, 3, 2, 1], server: [UInt8](repeating: 3, count: 16))])
        let wire = m.encoded() ?? []
        let out = Self.removed(wire)
        #expect(out.count == wire.count - 12 - 28)
        let parsed = try Message(parsing: out)
        #expect(parsed.edns?.options == [EDNSOption(code: .nsid, data: [0x41])])
        #expect(parsed.questions == m.questions)
    }

    @Test("removeCookies leaves a message without COOKIE, without OPT, or with a broken option list as it was")
    func removeCookiesNoop() throws {
        let plain = Message.query(id: 7, name: try DomainName("a.example."), type: .a).encoded() ?? []
        #expect(Self.removed(plain) == plain)
        let noEDNS = Message.query(id: 7, name: try DomainName("a.example."), type: .a, edns: nil).encoded() ?? []
        #expect(Self.removed(noEDNS) == noEDNS)
        var m = Message.query(id: 7, name: try DomainName("a.example."), type: .a)
        m.edns = EDNS(options: [.cookie(client: [1, 2, 3, 4, 5, 6, 7, 8], server: [])])
        var broken = m.encoded() ?? []
        broken[broken.count - 9] = 0x40   // the COOKIE's length now runs past the OPT
        #expect(Self.removed(broken) == broken)
        #expect(Self.removed([]) == [] && Self.removed([1, 2, 3]) == [1, 2, 3])
    }
}
