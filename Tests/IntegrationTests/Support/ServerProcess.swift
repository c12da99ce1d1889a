import DNSWire
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A real `clusterdns serve` started by a test on a free loopback port, from a Corefile the test
/// writes. The Corefile text may use `{PORT}` (the DNS port) and `{DIR}` (a fresh temporary
/// directory for the test's files). The process is stopped when the test ends.
final class ServerProcess {
    let directory: URL
    let port: UInt16
    let corefile: URL
    let process = Process()
    let logFile: URL
    private(set) var exitCode: Int32?

    /// Where the built `clusterdns` binary is: next to the test bundle (same build directory).
    static var binary: String {
        if let explicit = ProcessInfo.processInfo.environment["CLUSTERDNS_BIN"] { return explicit }
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
        // The test runner may be inside ClusterDNSPackageTests.xctest/…; walk up to the build dir.
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("clusterdns").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return ".build/debug/clusterdns"
    }

    /// A port that was free a moment ago on 127.0.0.1 for both UDP and TCP.
    static func freePort() -> UInt16 {
        for _ in 0..<50 {
            let port = UInt16.random(in: 20_000...60_000)
            if portIsFree(port, type: Int32(SOCK_DGRAM.rawValue)) && portIsFree(port, type: Int32(SOCK_STREAM.rawValue)) { return port }
        }
        return UInt16.random(in: 20_000...60_000)
    }

    static func portIsFree(_ port: UInt16, type: Int32) -> Bool {
        let fd = socket(AF_INET, type, 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = port.bigEndian
        a.sin_addr.s_addr = INADDR_ANY
        return withUnsafePointer(to: &a) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }

    /// Writes the Corefile and starts the server; waits until it answers (or fails).
    /// - Parameters:
    ///   - files: extra files (name → contents) written into the directory first.
    ///   - arguments: extra arguments to `serve`.
    ///   - waitFor: a name to query until the server answers it; nil to wait for the log line instead.
    ///   - workers: `--workers`; nil to let the server size itself (cgroup quota or online CPUs).
    ///   - environment: variables added to the server's environment.
    ///   - launcher: a command the server is started through (its arguments follow), e.g. a shell
    ///     that joins a cgroup and then `exec`s `"$0" "$@"`; empty to start the server directly.
    init(corefile text: String, files: [String: String] = [:], arguments: [String] = [], workers: Int? = 2,
         environment: [String: String] = [:], waitFor: Bool = true, launcher: [String] = []) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("clusterdns-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        port = ServerProcess.freePort()
        for (name, contents) in files {
            let url = directory.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try ServerProcess.substitute(contents, port: port, dir: directory.path).write(to: url, atomically: true, encoding: .utf8)
        }
        corefile = directory.appendingPathComponent("Corefile")
        try ServerProcess.substitute(text, port: port, dir: directory.path).write(to: corefile, atomically: true, encoding: .utf8)
        logFile = directory.appendingPathComponent("server.log")
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        let serve = ["serve", "--conf", corefile.path] + (workers.map { ["--workers", String($0)] } ?? []) + arguments
        if let command = launcher.first {
            process.executableURL = URL(fileURLWithPath: command)
            process.arguments = Array(launcher.dropFirst()) + [ServerProcess.binary] + serve
        } else {
            process.executableURL = URL(fileURLWithPath: ServerProcess.binary)
            process.arguments = serve
        }
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let handle = try FileHandle(forWritingTo: logFile)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        if waitFor { try waitUntilServing() }
    }

    static func substitute(_ text: String, port: UInt16, dir: String) -> String {
        text.replacingOccurrences(of: "{PORT}", with: String(port)).replacingOccurrences(of: "{DIR}", with: dir)
    }

    var client: DNSTestClient { DNSTestClient(port: port) }

    /// Everything the server wrote to stdout and stderr so far.
    var log: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }

    /// Waits for the "serving" log line; throws if the process exits first.
    func waitUntilServing(timeout: Duration = .seconds(30)) throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if log.contains("ClusterDNS serving") { return }
            if !process.isRunning {
                process.waitUntilExit()
                exitCode = process.terminationStatus
                throw StartupError(log: log, code: process.terminationStatus)
            }
            usleep(20_000)
        }
        throw StartupError(log: log, code: -1)
    }

    struct StartupError: Error, CustomStringConvertible {
        let log: String
        let code: Int32
        var description: String { "clusterdns did not start (exit \(code)):\n\(log)" }
    }

    /// Sends a signal to the server.
    func signal(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// Waits for the process to exit and returns its status; nil on timeout.
    @discardableResult
    func waitForExit(timeout: Duration = .seconds(20)) -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if !process.isRunning {
                process.waitUntilExit()
                exitCode = process.terminationStatus
                return exitCode
            }
            usleep(20_000)
        }
        return nil
    }

    /// Polls `condition` until it holds or `timeout` passes (for effects that take a moment).
    static func eventually(timeout: Duration = .seconds(10), _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try condition() { return true }
            usleep(50_000)
        }
        return try condition()
    }

    deinit {
        if process.isRunning {
            process.terminate()
            if waitForExit(timeout: .seconds(10)) == nil { kill(process.processIdentifier, SIGKILL) }
        }
        try? FileManager.default.removeItem(at: directory)
    }
}
