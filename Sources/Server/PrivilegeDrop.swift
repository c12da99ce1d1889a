#if canImport(Glibc)
import Glibc
#endif

/// `serve --user NAME`: the identity the server takes once its sockets are bound, and the drop
/// itself.
///
/// Why: binding port 53 needs root (or `CAP_NET_BIND_SERVICE`), answering queries does not. A
/// server started as root binds every listener, then gives up root for good: supplementary
/// groups first (while it still may), then the group, then the user. `setuid` as root sets the
/// real, effective and saved IDs together, so nothing can switch back; the drop checks that by
/// trying, and refuses to serve if it could. Capabilities go with it: the kernel clears them
/// when a process leaves uid 0 (unless `PR_SET_KEEPCAPS` was set, which it never is here).
///
/// glibc applies `setuid`/`setgid`/`setgroups` to every thread of the process (worker and HTTP
/// threads already exist at this point), not only the calling one.
package struct PrivilegeDrop: Sendable, Equatable {
    package var user: String
    package var uid: uid_t
    package var gid: gid_t
    /// The supplementary groups the user gets: its groups in the group database, or only
    /// `gid` for a numeric user.
    package var groups: [gid_t]

    /// Why a drop could not be prepared or made, naming the user and the call.
    package struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        package var description: String
    }

    package init(user: String, uid: uid_t, gid: gid_t, groups: [gid_t]) {
        self.user = user
        self.uid = uid
        self.gid = gid
        self.groups = groups
    }

    /// Resolves `--user`: a name from the user database (`/etc/passwd`, NSS), or `UID` or
    /// `UID:GID` as numbers for systems without one (a `FROM scratch` image).
    /// - Throws: `Failure` when the name is unknown or the numbers malformed.
    package static func resolve(_ spec: String) throws(Failure) -> PrivilegeDrop {
        let parts = spec.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        if let uid = UInt32(parts[0]) {
            var gid = uid
            if parts.count == 2 {
                guard let g = UInt32(parts[1]) else {
                    throw Failure(description: "--user \(spec): the group after ':' must be a number")
                }
                gid = g
            }
            return PrivilegeDrop(user: spec, uid: uid, gid: gid, groups: [gid])
        }
        guard parts.count == 1 else {
            throw Failure(description: "--user \(spec): use NAME, UID or UID:GID")
        }
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16_384)
        let status = getpwnam_r(spec, &entry, &buffer, buffer.count, &result)
        guard status == 0, let found = result else {
            let reason = status == 0 ? "no such user" : String(cString: strerror(status))
            throw Failure(description: "--user \(spec): \(reason) in the user database (/etc/passwd); a numeric UID[:GID] needs none")
        }
        let uid = found.pointee.pw_uid
        let gid = found.pointee.pw_gid
        var count: Int32 = 64
        var groups = [gid_t](repeating: 0, count: Int(count))
        if getgrouplist(spec, gid, &groups, &count) < 0 {
            groups = [gid_t](repeating: 0, count: Int(count))
            if getgrouplist(spec, gid, &groups, &count) < 0 { count = 0 }
        }
        let list = count > 0 ? Array(groups.prefix(Int(count))) : [gid]
        return PrivilegeDrop(user: spec, uid: uid, gid: gid, groups: list)
    }

    /// Takes the identity for good.
    /// - Throws: `Failure` naming the call that failed, or saying that root could be regained.
    package func apply() throws(Failure) {
        if getuid() != 0 && geteuid() != 0 {
            // Not root: the only identity change allowed is none.
            guard getuid() == uid && geteuid() == uid else {
                throw Failure(description: "--user \(user): only root can change user (running as uid \(getuid()))")
            }
            return
        }
        guard setgroups(groups.count, groups) == 0 else { throw failure("setgroups") }
        guard setgid(gid) == 0 else { throw failure("setgid(\(gid))") }
        guard setuid(uid) == 0 else { throw failure("setuid(\(uid))") }
        guard getuid() == uid, geteuid() == uid, getgid() == gid, getegid() == gid else {
            throw Failure(description: "--user \(user): identity is uid \(getuid())/\(geteuid()) gid \(getgid())/\(getegid()) after the drop")
        }
        if uid != 0 && (setuid(0) == 0 || seteuid(0) == 0) {
            throw Failure(description: "--user \(user): root could be regained after the drop; refusing to serve")
        }
    }

    func failure(_ call: String) -> Failure {
        let code = errno
        return Failure(description: "--user \(user): \(call): \(String(cString: strerror(code))) (errno \(code))")
    }
}
