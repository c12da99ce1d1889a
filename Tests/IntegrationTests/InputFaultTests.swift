import DNSWire
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The fault matrix of issue 17's inputs, against the real server: a manifest or Corefile that
/// is half-written, replaced by rename, 100 MB, a YAML bomb, of the wrong kind or duplicated.
/// Each time the last good state keeps answering, the problem is logged once with its file and
/// object (not again when other files change), and fixing the input is followed.
@Suite(.serialized) struct InputFaultTests {
    typealias W = KubernetesWatcherTests

    /// How many times `needle` occurs in the server's log.
    static func occurrences(_ needle: String, in server: ServerProcess) -> Int {
        server.log.components(separatedBy: needle).count - 1
    }

    /// Makes the directory source rescan `count` times by rewriting an unrelated file, and waits
    /// until the last version is served (so every rescan has happened).
    static func churnOtherFile(_ server: ServerProcess, _ directory: URL, count: Int = 4) throws {
        for i in 0..<count {
            try W.write(W.service("churn", ip: "10.0.9.\(i + 1)"), to: "churn.yaml", in: directory)
            usleep(150_000)
        }
        #expect(try ServerProcess.eventually { try W.addresses(server, "churn") == ["10.0.9.\(count)"] })
    }

    static func startWithFile(_ name: String, _ text: String) throws -> (ServerProcess, URL) {
        let (server, directory) = try W.start()
        try W.write(text, to: name, in: directory)
        return (server, directory)
    }

    // MARK: Manifests

    @Test("a manifest written in place is not served half-written while other files change; it is served once its writer closes it")
    func halfWrittenManifest() throws {
        let (server, directory) = try Self.startWithFile(
            "half.yaml", W.service("half", ip: "10.0.7.1") + "---\n" + W.service("half2", ip: "10.0.7.2"))
        #expect(try ServerProcess.eventually { try W.addresses(server, "half2") == ["10.0.7.2"] })
        let path = directory.appendingPathComponent("half.yaml").path
        let fd = open(path, O_WRONLY | O_TRUNC)
        try #require(fd >= 0)
        // The first object alone is a valid manifest: served now, it would drop half2.
        let first = Array(W.service("half", ip: "10.0.7.3").utf8)
        #expect(write(fd, first, first.count) == first.count)
        try Self.churnOtherFile(server, directory)
        #expect(try W.addresses(server, "half") == ["10.0.7.1"], "the last good version stays while the file is open for writing")
        #expect(try W.addresses(server, "half2") == ["10.0.7.2"])
        let rest = Array(("---\n" + W.service("half2", ip: "10.0.7.4")).utf8)
        #expect(write(fd, rest, rest.count) == rest.count)
        close(fd)
        #expect(try ServerProcess.eventually { try W.addresses(server, "half2") == ["10.0.7.4"] }, "served after close\n\(server.log)")
        #expect(try W.addresses(server, "half") == ["10.0.7.3"])
    }

    @Test("a 100 MB manifest replacing a good one by rename: the old objects stay, the problem is logged once, the fix is served")
    func hugeManifest() throws {
        let (server, directory) = try Self.startWithFile("big.yaml", W.service("big", ip: "10.0.7.10"))
        #expect(try ServerProcess.eventually { try W.addresses(server, "big") == ["10.0.7.10"] })
        // A valid object followed by 100 MB of spaces (sparse would read as NULs; spaces keep it YAML).
        let temporary = directory.appendingPathComponent(".big.yaml.tmp").path
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        try #require(fd >= 0)
        let head = Array(W.service("big", ip: "10.0.7.11").utf8)
        _ = write(fd, head, head.count)
        let spaces = [UInt8](repeating: UInt8(ascii: " "), count: 1 << 20)
        for _ in 0..<100 { _ = write(fd, spaces, spaces.count) }
        close(fd)
        #expect(rename(temporary, directory.appendingPathComponent("big.yaml").path) == 0)
        #expect(ServerProcess.eventually { server.log.contains("big.yaml") && server.log.contains("larger than 64 MiB") }, "\(server.log)")
        #expect(try W.addresses(server, "big") == ["10.0.7.10"], "the last good version stays")
        try Self.churnOtherFile(server, directory)
        #expect(Self.occurrences("larger than 64 MiB", in: server) == 1, "\(server.log)")
        try W.write(W.service("big", ip: "10.0.7.12"), to: "big.yaml", in: directory)
        #expect(try ServerProcess.eventually { try W.addresses(server, "big") == ["10.0.7.12"] })
    }

    @Test("a YAML bomb replacing a manifest: the server keeps answering, the old objects stay, the problem is logged once at its line")
    func yamlBomb() throws {
        let (server, directory) = try Self.startWithFile("bomb.yaml", W.service("bomb", ip: "10.0.7.20"))
        #expect(try ServerProcess.eventually { try W.addresses(server, "bomb") == ["10.0.7.20"] })
        var lines = ["a0: &a0 {k: [1,2,3,4,5,6,7,8,9,10]}"]
        for i in 1..<9 {
            lines.append("a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ",") + "]")
        }
        lines.append("? *a8\n: value")
        try W.write(lines.joined(separator: "\n") + "\n", to: "bomb.yaml", in: directory)
        #expect(ServerProcess.eventually { server.log.contains("alias inside a mapping key") }, "\(server.log)")
        #expect(try W.addresses(server, "bomb") == ["10.0.7.20"])
        try Self.churnOtherFile(server, directory)
        #expect(Self.occurrences("alias inside a mapping key", in: server) == 1, "\(server.log)")
        #expect(server.log.contains("bomb.yaml:10"), "the issue names the file and line\n\(server.log)")
        try W.write(W.service("bomb", ip: "10.0.7.21"), to: "bomb.yaml", in: directory)
        #expect(try ServerProcess.eventually { try W.addresses(server, "bomb") == ["10.0.7.21"] })
    }

    @Test("wrong kinds and versions: the object is named in one log line each, other kinds are skipped, good objects in the file are served")
    func wrongKinds() throws {
        let text = """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web, namespace: testns}
            spec: {replicas: 1}
            ---
            apiVersion: v2
            kind: Service
            metadata: {name: wrongversion, namespace: testns}
            spec: {clusterIP: 10.0.7.30, ports: [{port: 80}]}
            ---
            - not
            - an
            - object
            ---

            """ + W.service("rightkind", ip: "10.0.7.31")
        let (server, directory) = try Self.startWithFile("kinds.yaml", text)
        #expect(try ServerProcess.eventually { try W.addresses(server, "rightkind") == ["10.0.7.31"] })
        #expect(try W.addresses(server, "wrongversion") == ["NXDOMAIN"])
        #expect(ServerProcess.eventually { server.log.contains("Service/testns/wrongversion") }, "\(server.log)")
        try Self.churnOtherFile(server, directory)
        #expect(Self.occurrences("Service/testns/wrongversion", in: server) == 1, "\(server.log)")
        #expect(Self.occurrences("kinds.yaml#3", in: server) == 1, "the document that is not an object\n\(server.log)")
        #expect(!server.log.contains("Deployment/testns/web"), "a kind the registry does not serve is skipped, not an error\n\(server.log)")
    }

    @Test("the same Service in two files: the later path wins, one warning names both, removing the duplicate serves the other")
    func duplicateObjects() throws {
        let (server, directory) = try Self.startWithFile("a-dup.yaml", W.service("dup", ip: "10.0.7.40"))
        #expect(try ServerProcess.eventually { try W.addresses(server, "dup") == ["10.0.7.40"] })
        try W.write(W.service("dup", ip: "10.0.7.41"), to: "b-dup.yaml", in: directory)
        #expect(try ServerProcess.eventually { try W.addresses(server, "dup") == ["10.0.7.41"] })
        #expect(ServerProcess.eventually { server.log.contains("Service/testns/dup") }, "\(server.log)")
        try Self.churnOtherFile(server, directory)
        let warnings = server.log.split(separator: "\n").filter { $0.contains("Service/testns/dup") }
        #expect(warnings.count == 1, "\(server.log)")
        #expect(warnings.first?.contains("a-dup.yaml") == true && warnings.first?.contains("b-dup.yaml") == true, "\(warnings)")
        #expect(unlink(directory.appendingPathComponent("b-dup.yaml").path) == 0)
        #expect(try ServerProcess.eventually { try W.addresses(server, "dup") == ["10.0.7.40"] })
    }

    // MARK: Corefile

    static let corefileV1 = ".:{PORT} {\n    reload 2s 1s\n    hosts {\n        10.0.8.1 v.example\n    }\n}\n"
    static let corefileV2 = ".:{PORT} {\n    reload 2s 1s\n    hosts {\n        10.0.8.2 v.example\n    }\n}\n"

    static func version(_ server: ServerProcess) -> [String] {
        ((try? server.client.query("v.example.", .a))?.answers ?? []).map(\.rdata.presentation)
    }

    @Test("a Corefile written in place is not reloaded until its writer closes it; a broken one is refused once; the fix is loaded")
    func corefileFaults() throws {
        let server = try ServerProcess(corefile: Self.corefileV1)
        #expect(Self.version(server) == ["10.0.8.1"])
        let v2 = ServerProcess.substitute(Self.corefileV2, port: server.port, dir: server.directory.path)
        // Half written (no closing brace yet), held open across two reload intervals: read now,
        // the reload would fail; read after the close, it succeeds.
        let fd = open(server.corefile.path, O_WRONLY | O_TRUNC)
        try #require(fd >= 0)
        let cut = v2.index(v2.endIndex, offsetBy: -2)   // without the block's closing brace
        let head = Array(v2[..<cut].utf8)
        _ = write(fd, head, head.count)
        sleep(5)
        #expect(!server.log.contains("reload failed"), "\(server.log)")
        #expect(Self.version(server) == ["10.0.8.1"])
        let tail = Array(v2[cut...].utf8)
        _ = write(fd, tail, tail.count)
        close(fd)
        #expect(ServerProcess.eventually(timeout: .seconds(15)) { Self.version(server) == ["10.0.8.2"] }, "\(server.log)")

        // Replaced by rename with a broken one: refused once (not at every interval), old one serves.
        try ".:\(server.port) {\n    reload 2s 1s\n    hosts {\n        10.0.8.3 v.example\n".write(
            to: server.corefile, atomically: true, encoding: .utf8)
        #expect(ServerProcess.eventually(timeout: .seconds(15)) { server.log.contains("reload failed") }, "\(server.log)")
        sleep(5)
        #expect(Self.occurrences("reload failed", in: server) == 1, "\(server.log)")
        #expect(Self.version(server) == ["10.0.8.2"])

        // 100 MB: refused at the parser's limit, once; the running configuration serves.
        let big = server.directory.appendingPathComponent(".Corefile.big")
        let bigFD = open(big.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        try #require(bigFD >= 0)
        let spaces = [UInt8](repeating: UInt8(ascii: "\n"), count: 1 << 20)
        for _ in 0..<100 { _ = write(bigFD, spaces, spaces.count) }
        close(bigFD)
        #expect(rename(big.path, server.corefile.path) == 0)
        #expect(ServerProcess.eventually(timeout: .seconds(15)) { server.log.contains("larger than 16 MiB") }, "\(server.log)")
        sleep(5)
        #expect(Self.occurrences("larger than 16 MiB", in: server) == 1, "\(server.log)")
        #expect(Self.version(server) == ["10.0.8.2"])

        // Fixed: loaded.
        try ServerProcess.substitute(Self.corefileV1, port: server.port, dir: server.directory.path)
            .write(to: server.corefile, atomically: true, encoding: .utf8)
        #expect(ServerProcess.eventually(timeout: .seconds(15)) { Self.version(server) == ["10.0.8.1"] }, "\(server.log)")
        #expect(server.process.isRunning)
    }
}
