import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Serving port 53 without root: `serve --user` binds as root and then drops to the user for
/// good, and a server started as an unprivileged user with only `CAP_NET_BIND_SERVICE` (what
/// the Deployment grants) binds port 53 itself. Each scenario runs in fresh network, mount and
/// PID namespaces, so port 53 is free and nothing leaves them; /proc/PID/status shows the
/// identity and capabilities the running server really has.
@Suite(.serialized) struct PrivilegeTests {
    static let corefile = ".:53 {\n    bind 127.0.0.1\n    whoami\n}\n"

    static var canIsolate: Bool {
        getuid() == 0
            && FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare")
            && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv")
            && FileManager.default.isExecutableFile(atPath: "/usr/bin/dig")
    }

    /// Runs `start` (a shell command line that starts the server in the background on the
    /// Corefile at `$CONF`) in fresh namespaces, queries it, and prints what a test checks.
    static func run(start: String) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("privilege-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o755])
        defer { try? FileManager.default.removeItem(at: dir) }
        try corefile.write(to: dir.appendingPathComponent("Corefile"), atomically: true, encoding: .utf8)
        let script = """
            set -u
            ip link set lo up
            export BIN="\(ServerProcess.binary)" CONF="\(dir.path)/Corefile"
            \(start) > \(dir.path)/server.log 2>&1 &
            SERVER=$!
            for i in $(seq 150); do
                # dig prints its errors on stdout too: wait for an A record, not just output.
                dig @127.0.0.1 -p 53 a.example +noall +additional +time=1 +tries=1 | awk '$4 == "A"' | grep -q . && break
                kill -0 $SERVER 2>/dev/null || break
                sleep 0.1
            done
            # whoami answers in the additional section: the client's address.
            echo "answer: $(dig @127.0.0.1 -p 53 a.example +noall +additional +time=2 +tries=1 | awk '$4 == "A" { print $5 }')"
            grep -E '^(Uid|Gid|Groups|CapEff|CapPrm|CapAmb):' /proc/$SERVER/status 2>/dev/null | tr '\\t' ' ' | tr -s ' '
            # Every thread (workers, HTTP, control), not only the main one, must have changed.
            echo "threads: $(ls /proc/$SERVER/task | wc -l)"
            echo "threads still privileged: $(grep -L -E '^Uid:[[:space:]]+[1-9][0-9]*[[:space:]]+[1-9]' /proc/$SERVER/task/*/status | wc -l)"
            kill -TERM $SERVER 2>/dev/null
            wait $SERVER
            echo "exit: $?"
            echo "--- log"
            cat \(dir.path)/server.log
            """
        return try IsolatedScript.run(script, in: dir, timeout: .seconds(60))
    }

    @Test("serve --user nobody binds port 53 as root, then runs as nobody with no capabilities and still answers",
          .enabled(if: canIsolate))
    func userDrop() throws {
        let output = try Self.run(start: "\"$BIN\" serve --conf \"$CONF\" --workers 2 --user nobody")
        #expect(output.contains("answer: 127.0.0.1"), "\(output)")
        #expect(output.contains("Uid: 65534 65534 65534 65534"), "\(output)")
        #expect(output.contains("Gid: 65534 65534 65534 65534"), "\(output)")
        #expect(output.contains("Groups: 65534"), "\(output)")
        #expect(output.contains("CapEff: 0000000000000000"), "\(output)")
        #expect(output.contains("CapPrm: 0000000000000000"), "\(output)")
        #expect(output.contains("dropped privileges"), "\(output)")
        #expect(output.contains("threads still privileged: 0"), "\(output)")
        #expect(!output.contains("threads: 0\n") && !output.contains("threads: 1\n"), "\(output)")
        #expect(output.contains("exit: 0"), "\(output)")
    }

    @Test("a numeric --user UID:GID needs no user database (as in a FROM scratch image)", .enabled(if: canIsolate))
    func numericUser() throws {
        let output = try Self.run(start: "\"$BIN\" serve --conf \"$CONF\" --workers 1 --user 4242:4343")
        #expect(output.contains("answer: 127.0.0.1"), "\(output)")
        #expect(output.contains("Uid: 4242 4242 4242 4242"), "\(output)")
        #expect(output.contains("Gid: 4343 4343 4343 4343"), "\(output)")
        #expect(output.contains("Groups: 4343"), "\(output)")
    }

    @Test("an unknown --user is refused before anything is bound", .enabled(if: canIsolate))
    func unknownUser() throws {
        let output = try Self.run(start: "\"$BIN\" serve --conf \"$CONF\" --user no-such-user-clusterdns")
        #expect(output.contains("--user no-such-user-clusterdns: no such user"), "\(output)")
        #expect(output.contains("exit: 1"), "\(output)")
    }

    @Test("a non-root user with only CAP_NET_BIND_SERVICE serves port 53", .enabled(if: canIsolate))
    func bindCapabilityOnly() throws {
        let output = try Self.run(start: """
            setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=+net_bind_service \
            --ambient-caps=+net_bind_service "$BIN" serve --conf "$CONF" --workers 2
            """)
        #expect(output.contains("answer: 127.0.0.1"), "\(output)")
        #expect(output.contains("Uid: 65534 65534 65534 65534"), "\(output)")
        // Bit 10 is CAP_NET_BIND_SERVICE, and it is the only one.
        #expect(output.contains("CapEff: 0000000000000400"), "\(output)")
        #expect(output.contains("exit: 0"), "\(output)")
    }

    @Test("without the capability a non-root user is told what is missing", .enabled(if: canIsolate))
    func noCapability() throws {
        let output = try Self.run(start: """
            setpriv --reuid=65534 --regid=65534 --clear-groups "$BIN" serve --conf "$CONF" --workers 1
            """)
        #expect(output.contains("Permission denied"), "\(output)")
        #expect(output.contains("CAP_NET_BIND_SERVICE"), "\(output)")
        #expect(!output.contains("exit: 0"), "\(output)")
    }
}
