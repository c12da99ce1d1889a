import Corefile
import DNSWire
import Plugins
import Testing

/// The `cookie` directive's rotation settings and what they configure.
@Suite struct CookieConfigTests {
    static let secret = "e5e973e5a6b2a43f48e7dc849e37bfcf"

    static func configure(_ text: String) throws(CorefileError) -> ServerConfiguration {
        let corefile = try Corefile.parse(text: text, fileName: "Corefile", baseDirectory: "/nonexistent-clusterdns-tests",
                                          options: CorefileParseOptions(environment: [:], checksServeConflicts: false))
        return try ServerConfiguration.build(corefile, manifestsDirectory: nil, baseDirectory: "/nonexistent-clusterdns-tests")
    }

    static func cookies(_ body: String) throws -> CookieSecrets? {
        try configure(".:1053 {\n    cookie {\n\(body)\n    }\n    whoami\n}\n").cookies
    }

    @Test("without the directive, the process's random master key rotates every day")
    func defaultRotates() throws {
        let cookies = try #require(try Self.configure(".:1053 {\n    whoami\n}\n").cookies)
        #expect(cookies === CookieSecrets.processDefault)
        #expect(cookies.rotation == 86_400)
        let keyring = cookies.keyring(now: 1_796_601_600)
        #expect(keyring.interval == 86_400)
        #expect(keyring.signing == CookieKeyring.derive(cookies.current, interval: 86_400, epoch: 1_796_601_600 / 86_400))
    }

    @Test("a configured secret is a master key: every replica derives the same secret for the same epoch")
    func configuredSecretRotates() throws {
        let cookies = try #require(try Self.cookies("        secret \(Self.secret)"))
        #expect(cookies.current == CookieSecret(hex: Self.secret))
        #expect(cookies.rotation == 86_400)
        let now: UInt32 = 1_796_601_600 + 4_000
        #expect(cookies.keyring(now: now).signing
            == CookieKeyring.derive(CookieSecret(hex: Self.secret)!, interval: 86_400, epoch: now / 86_400))
    }

    @Test("rotate sets the interval", arguments: [("1h", UInt32(3_600)), ("30m", 1_800), ("2s", 2), ("864h", 3_110_400)])
    func rotateInterval(text: String, seconds: UInt32) throws {
        #expect(try Self.cookies("        rotate \(text)")?.rotation == seconds)
    }

    @Test("rotate off uses the configured secret as it is (RFC 9018 interoperability), or a fixed random one")
    func rotateOff() throws {
        let fixed = try #require(try Self.cookies("        secret \(Self.secret)\n        rotate off"))
        #expect(fixed.rotation == nil)
        var keyring = fixed.keyring(now: 1_796_601_600)
        #expect(keyring.interval == 0)
        #expect(keyring.signing == CookieSecret(hex: Self.secret))
        keyring.advance(to: 1_796_601_600 + 100 * 86_400)
        #expect(keyring.signing == CookieSecret(hex: Self.secret))
        let random = try #require(try Self.cookies("        rotate off"))
        #expect(random.rotation == nil)
        #expect(random.current == CookieSecrets.processDefault.current)
    }

    @Test("bad rotate values are refused with the line", arguments: [
        ("rotate", "missing a duration or 'off'"),
        ("rotate 0s", "out of range"),
        ("rotate 865h", "out of range"),
        ("rotate 1500ms", "whole seconds"),
        ("rotate 1h 2h", "argument"),
        ("rotate often", ""),
    ])
    func badRotate(line: String, message: String) {
        do {
            _ = try Self.configure(".:1053 {\n    cookie {\n        \(line)\n    }\n    whoami\n}\n")
            Issue.record("'\(line)' was accepted")
        } catch {
            #expect(error.description.contains("Corefile:3"), "\(error)")
            #expect(error.description.contains(message), "\(error)")
        }
    }

    @Test("blocks that set cookie must agree on the rotation too")
    func serverWide() {
        let text = ".:1053 {\n    cookie {\n        rotate 1h\n    }\n    whoami\n}\n"
            + "example.org:1053 {\n    cookie {\n        rotate 2h\n    }\n    whoami\n}\n"
        do {
            _ = try Self.configure(text)
            Issue.record("differing rotations were accepted")
        } catch {
            #expect(error.description.contains("cookies are server-wide"), "\(error)")
        }
    }
}
