// Server-secret rotation for DNS cookies (RFC 7873 §7.1, RFC 9018 §5).
//
// Time is cut into epochs of `interval` seconds: epoch = wall-clock seconds / interval, so every
// replica whose clock is right agrees on the epoch without talking to the others. The secret of
// an epoch is derived from a master key (random per process by default, or configured and then
// the same in every replica):
//
//     k0 = SipHash-2-4(master, "cdnscke1" | interval | epoch | 0x00)
//     k1 = SipHash-2-4(master, "cdnscke1" | interval | epoch | 0x01)
//
// (interval and epoch as 32-bit big-endian numbers). SipHash-2-4 is a pseudorandom function, so
// one epoch's secret says nothing about another's or about the master: a secret that leaks or is
// worn by the cookies made with it is retired at the end of its epoch.
//
// A server cookie is checked with the secret of the epoch its own timestamp falls in (the
// timestamp is inside the hash, so it cannot be moved), and only when that epoch is the current
// one, the previous one (cookies made before the last rotation: RFC 9018 §5's "old secret still
// accepted") or the next one (a replica whose clock runs ahead has rotated first). A cookie made
// two rotations ago is not valid and gets a fresh one. With an interval of at least an hour, the
// longest a cookie is valid for (`ServerCookie.maxAge`), every cookie in its age window is
// covered, so a rotation never invalidates a live cookie; it only renews it.
//
// Each worker keeps its own keyring and re-derives its three secrets when the clock crosses into
// a new epoch (six SipHash runs once per interval). Nothing is shared or locked: the schedule is
// a function of the clock and an immutable master key.

/// The secrets a worker makes and checks server cookies with at one moment: either one fixed
/// secret (and a previous one still accepted), or secrets rotated every `interval` seconds and
/// derived from a master key.
///
/// A value type, owned by one worker and mutated only by `advance(to:)`; reading it takes no lock.
public struct CookieKeyring: Sendable {
    /// The key secrets are derived from (rotating), or the secret itself (fixed).
    public let master: CookieSecret
    /// A master key (or fixed secret) whose cookies are still accepted, never made: the one
    /// before an operator's change of the configured key.
    public let previousMaster: CookieSecret?
    /// Seconds per epoch; 0 for a fixed secret that never rotates.
    public let interval: UInt32
    /// The epoch the secrets below are for.
    public private(set) var epoch: UInt32
    /// Secrets of epochs `epoch - 1`, `epoch` and `epoch + 1` under `master` (fixed: `master` thrice).
    var secrets: (CookieSecret, CookieSecret, CookieSecret)
    /// The same under `previousMaster` (fixed: the previous secret thrice); unused when it is nil.
    var oldSecrets: (CookieSecret, CookieSecret, CookieSecret)

    /// A fixed secret, never rotated (`cookie { rotate off }`): the RFC 9018 secret as configured,
    /// so other implementations given the same secret make and accept the same cookies.
    public init(fixed current: CookieSecret, previous: CookieSecret?) {
        master = current
        previousMaster = previous
        interval = 0
        epoch = 0
        secrets = (current, current, current)
        let old = previous ?? current
        oldSecrets = (old, old, old)
    }

    /// Secrets derived from `master` for the epochs around wall-clock second `now`, rotated every
    /// `interval` seconds (at least 1).
    public init(master: CookieSecret, previousMaster: CookieSecret?, interval: UInt32, now: UInt32) {
        self.master = master
        self.previousMaster = previousMaster
        self.interval = max(interval, 1)
        epoch = now / self.interval
        secrets = (master, master, master)
        oldSecrets = secrets
        rekey(epoch: epoch)
    }

    /// The secret new server cookies are made with: the current epoch's.
    public var signing: CookieSecret { secrets.1 }

    /// Moves to the epoch of wall-clock second `now`, deriving its secrets when it changed.
    /// Allocation-free; at most six SipHash runs, once per epoch per worker.
    @inline(__always)
    public mutating func advance(to now: UInt32) {
        guard interval != 0 else { return }
        let current = now / interval
        if current != epoch { rekey(epoch: current) }
    }

    @inline(never)
    mutating func rekey(epoch: UInt32) {
        self.epoch = epoch
        secrets = (Self.derive(master, interval: interval, epoch: epoch &- 1),
                   Self.derive(master, interval: interval, epoch: epoch),
                   Self.derive(master, interval: interval, epoch: epoch &+ 1))
        if let previousMaster {
            oldSecrets = (Self.derive(previousMaster, interval: interval, epoch: epoch &- 1),
                          Self.derive(previousMaster, interval: interval, epoch: epoch),
                          Self.derive(previousMaster, interval: interval, epoch: epoch &+ 1))
        }
    }

    /// The secret of `epoch` under `master` for epochs of `interval` seconds (see the file's header).
    /// Allocation-free.
    public static func derive(_ master: CookieSecret, interval: UInt32, epoch: UInt32) -> CookieSecret {
        // "cdnscke1" | interval | epoch | word index: 17 octets.
        var input: (UInt64, UInt64, UInt64) = (0, 0, 0)
        return withUnsafeMutableBytes(of: &input) { buffer in
            for (i, c) in "cdnscke1".utf8.enumerated() { buffer[i] = c }
            for i in 0..<4 {
                buffer[8 + i] = UInt8(truncatingIfNeeded: interval >> UInt32(24 - 8 * i))
                buffer[12 + i] = UInt8(truncatingIfNeeded: epoch >> UInt32(24 - 8 * i))
            }
            buffer[16] = 0
            let k0 = SipHash24.hash(UnsafeRawBufferPointer(rebasing: buffer[0..<17]), k0: master.k0, k1: master.k1)
            buffer[16] = 1
            let k1 = SipHash24.hash(UnsafeRawBufferPointer(rebasing: buffer[0..<17]), k0: master.k0, k1: master.k1)
            return CookieSecret(k0: k0, k1: k1)
        }
    }

    /// Whether the 24 octets of `option` (client cookie, version-1 server cookie with timestamp
    /// `stamp`) were made by this server for `address`.
    /// - Returns: nil when not; true when made with the signing secret; false when made with one
    ///   that is only still accepted (the previous or next epoch's, or a previous master's), so
    ///   the caller renews it.
    /// - Complexity: at most two SipHash runs. Allocation-free.
    public func verify(_ option: UnsafeRawBufferPointer, address: IPAddress, stamp: UInt32) -> Bool? {
        var slot = 1
        if interval != 0 {
            let made = stamp / interval
            if made == epoch &- 1 {
                slot = 0
            } else if made == epoch &+ 1 {
                slot = 2
            } else if made != epoch {
                return nil
            }
        }
        let secret = slot == 0 ? secrets.0 : slot == 1 ? secrets.1 : secrets.2
        if ServerCookie.matches(option, address: address, secret: secret) { return slot == 1 }
        if previousMaster != nil {
            let old = slot == 0 ? oldSecrets.0 : slot == 1 ? oldSecrets.1 : oldSecrets.2
            if ServerCookie.matches(option, address: address, secret: old) { return false }
        }
        return nil
    }
}
