import Testing

@testable import Server

/// How `--user` is read. The drop itself needs root and a process to lose it in, so the
/// integration tests (`PrivilegeTests`) cover it on the real binary.
@Suite struct PrivilegeDropTests {
    @Test("a numeric UID takes the same GID; UID:GID sets both; the groups are the GID alone")
    func numeric() throws {
        #expect(try PrivilegeDrop.resolve("4242") == PrivilegeDrop(user: "4242", uid: 4242, gid: 4242, groups: [4242]))
        #expect(try PrivilegeDrop.resolve("4242:4343") == PrivilegeDrop(user: "4242:4343", uid: 4242, gid: 4343, groups: [4343]))
    }

    @Test("a name is looked up in the user database with its groups")
    func name() throws {
        let nobody = try PrivilegeDrop.resolve("nobody")
        #expect(nobody.uid == 65534)
        #expect(nobody.groups.contains(nobody.gid))
    }

    @Test("malformed or unknown users are refused with a message naming them", arguments: [
        ("4242:staff", "--user 4242:staff: the group after ':' must be a number"),
        ("web:80", "--user web:80: use NAME, UID or UID:GID"),
        ("no-such-user-clusterdns", "--user no-such-user-clusterdns: no such user"),
    ])
    func refused(spec: String, message: String) {
        #expect {
            try PrivilegeDrop.resolve(spec)
        } throws: { error in
            (error as? PrivilegeDrop.Failure)?.description.hasPrefix(message) == true
        }
    }
}
