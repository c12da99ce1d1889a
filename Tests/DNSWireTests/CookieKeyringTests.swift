import DNSWire
import Testing

/// Rotation of the server secret (`CookieKeyring`), driven by an injected clock: every `now` here
/// is a wall-clock second chosen by the test.
@Suite struct CookieKeyringTests {
    static let master = CookieSecret(hex: "e5e973e5a6b2a43f48e7dc849e37bfcf")!
    static let otherMaster = CookieSecret(hex: "445536bcd2513298075a5d379663c962")!
    static let client: [UInt8] = [0x24, 0x64, 0xc4, 0xab, 0xcf, 0x10, 0xc9, 0x57]
    static let address = IPAddress("198.51.100.100")!
    /// The start of an epoch of a day (2026-12-07T00:00:00Z).
    static let midnight: UInt32 = 1_796_601_600

    /// Checks `option` at `now` with `keyring` (advanced in place, as a worker's is).
    static func check(_ option: [UInt8], _ keyring: inout CookieKeyring, at now: UInt32,
                      from address: IPAddress = address) -> (status: CookieStatus, cookie: [UInt8]) {
        option.withUnsafeBytes { o in
            let result = ServerCookie.check(option: o, address: address, now: now, keyring: &keyring)
            return (result.status, result.reply.bytes)
        }
    }

    @Test("the derived secret is a function of master, interval and epoch, and differs when any of them does")
    func derivation() {
        let a = CookieKeyring.derive(Self.master, interval: 86_400, epoch: 20_794)
        #expect(a == CookieKeyring.derive(Self.master, interval: 86_400, epoch: 20_794))
        #expect(a != CookieKeyring.derive(Self.master, interval: 86_400, epoch: 20_795))
        #expect(a != CookieKeyring.derive(Self.master, interval: 3_600, epoch: 20_794))
        #expect(a != CookieKeyring.derive(Self.otherMaster, interval: 86_400, epoch: 20_794))
        #expect(a != Self.master)
    }

    @Test("the keyring follows the clock: a new epoch, a new signing secret; the same epoch, the same one")
    func followsTheClock() {
        var keyring = CookieKeyring(master: Self.master, previousMaster: nil, interval: 86_400, now: Self.midnight + 10)
        let first = keyring.signing
        #expect(keyring.epoch == Self.midnight / 86_400)
        #expect(first == CookieKeyring.derive(Self.master, interval: 86_400, epoch: keyring.epoch))
        keyring.advance(to: Self.midnight + 86_399)
        #expect(keyring.signing == first)
        keyring.advance(to: Self.midnight + 86_400)
        #expect(keyring.epoch == Self.midnight / 86_400 + 1)
        #expect(keyring.signing != first)
        #expect(keyring.signing == CookieKeyring.derive(Self.master, interval: 86_400, epoch: keyring.epoch))
    }

    @Test("a cookie is echoed in its epoch, accepted and renewed after one rotation, and not valid after two")
    func acceptedAfterOneRotationNotTwo() throws {
        // Ten-minute epochs, shorter than a cookie's age limit (an hour), so the third check is
        // refused for its secret, not for its age.
        let interval: UInt32 = 600
        let t0 = Self.midnight + 590
        var keyring = CookieKeyring(master: Self.master, previousMaster: nil, interval: interval, now: t0)
        let issued = Self.check(Self.client, &keyring, at: t0)
        #expect(issued.status == .clientOnly)
        #expect(issued.cookie.count == 24)

        // Same epoch: valid and sent back as it came.
        let again = Self.check(issued.cookie, &keyring, at: t0 + 5)
        #expect(again.status == .valid)
        #expect(again.cookie == issued.cookie)

        // One rotation later (the next epoch, 15 s old): still valid, renewed with the new secret.
        let afterOne = Self.check(issued.cookie, &keyring, at: t0 + 15)
        #expect(keyring.epoch == t0 / interval + 1)
        #expect(afterOne.status == .valid)
        #expect(afterOne.cookie != issued.cookie)
        #expect(Array(afterOne.cookie.prefix(8)) == Self.client)
        // …and the renewed cookie is echoed from then on.
        #expect(Self.check(afterOne.cookie, &keyring, at: t0 + 20).cookie == afterOne.cookie)

        // Two rotations after it was made (ten minutes old, well inside the hour): not valid;
        // the query gets a fresh cookie, as any bad cookie does.
        let afterTwo = Self.check(issued.cookie, &keyring, at: t0 + 10 + interval)
        #expect(keyring.epoch == t0 / interval + 2)
        #expect(afterTwo.status == .invalid)
        #expect(Array(afterTwo.cookie.prefix(8)) == Self.client)
        #expect(afterTwo.cookie != issued.cookie)
        #expect(Self.check(afterTwo.cookie, &keyring, at: t0 + 20 + interval).status == .valid)
    }

    @Test("with the default day, a cookie made just before midnight stays valid for its whole hour")
    func dayIntervalCoversTheAgeWindow() {
        let t0 = Self.midnight - 1
        var keyring = CookieKeyring(master: Self.master, previousMaster: nil, interval: 86_400, now: t0)
        let issued = Self.check(Self.client, &keyring, at: t0).cookie
        #expect(Self.check(issued, &keyring, at: t0 + 3_600).status == .valid)
        #expect(Self.check(issued, &keyring, at: t0 + 3_601).status == .invalid)
    }

    @Test("replicas with the same master agree in every epoch and rotate together; another master's cookies are not valid")
    func replicasAgree() {
        let t0 = Self.midnight + 3_599
        var a = CookieKeyring(master: Self.master, previousMaster: nil, interval: 3_600, now: t0)
        var b = CookieKeyring(master: Self.master, previousMaster: nil, interval: 3_600, now: t0 - 3_000)
        var c = CookieKeyring(master: Self.otherMaster, previousMaster: nil, interval: 3_600, now: t0)
        let fromA = Self.check(Self.client, &a, at: t0).cookie
        // b started earlier; at the same second it is in the same epoch and echoes a's cookie.
        let atB = Self.check(fromA, &b, at: t0)
        #expect(atB.status == .valid)
        #expect(atB.cookie == fromA)
        #expect(Self.check(fromA, &c, at: t0).status == .invalid)
        // b's clock is 2 minutes ahead and has rotated already: it makes cookies with the next
        // epoch's secret, which a (still in the old epoch) accepts and renews.
        let fromB = Self.check(Self.client, &b, at: t0 + 120).cookie
        let atA = Self.check(fromB, &a, at: t0)
        #expect(atA.status == .valid)
        #expect(atA.cookie != fromB)
    }

    @Test("a previous master's cookies are accepted and renewed in every epoch of the window")
    func previousMaster() {
        let t0 = Self.midnight + 100
        var old = CookieKeyring(master: Self.otherMaster, previousMaster: nil, interval: 3_600, now: t0)
        var new = CookieKeyring(master: Self.master, previousMaster: Self.otherMaster, interval: 3_600, now: t0)
        let issued = Self.check(Self.client, &old, at: t0).cookie
        let atNew = Self.check(issued, &new, at: t0 + 10)
        #expect(atNew.status == .valid)
        #expect(atNew.cookie != issued)
        #expect(Self.check(issued, &new, at: t0 + 3_600).status == .valid)
        var newOnly = CookieKeyring(master: Self.master, previousMaster: nil, interval: 3_600, now: t0)
        #expect(Self.check(issued, &newOnly, at: t0 + 10).status == .invalid)
    }

    @Test("a fixed keyring never rotates and uses the configured secret as it is (RFC 9018 Appendix A)")
    func fixedIsTheSecretItself() {
        var keyring = CookieKeyring(fixed: Self.master, previous: nil)
        keyring.advance(to: 1_559_731_985)
        #expect(keyring.signing == Self.master)
        // RFC 9018 A.1: client 2464c4abcf10c957 at 198.51.100.100, 1559731985.
        let cookie = Self.check(Self.client, &keyring, at: 1_559_731_985).cookie
        let expected: [UInt8] = [0x01, 0x00, 0x00, 0x00, 0x5c, 0xf7, 0x9f, 0x11, 0x1f, 0x81, 0x30, 0xc3, 0xee, 0xe2, 0x94, 0x80]
        #expect(Array(cookie.suffix(16)) == expected)
        keyring.advance(to: 1_559_731_985 + 10 * 86_400)
        #expect(keyring.signing == Self.master)
    }

    @Test("the cookie is tied to the address in every epoch")
    func addressBound() {
        var keyring = CookieKeyring(master: Self.master, previousMaster: nil, interval: 600, now: Self.midnight)
        let issued = Self.check(Self.client, &keyring, at: Self.midnight).cookie
        #expect(Self.check(issued, &keyring, at: Self.midnight + 700, from: IPAddress("198.51.100.101")!).status == .invalid)
        #expect(Self.check(issued, &keyring, at: Self.midnight + 700).status == .valid)
    }
}
