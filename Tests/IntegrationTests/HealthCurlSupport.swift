import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `curl` against the control endpoints of a test server (loopback only), as an operator or a
/// kubelet probe would call them.
enum Curl {
    struct Answer {
        let status: Int
        let body: String
        let contentType: String
    }

    enum Failure: Error, CustomStringConvertible {
        case notLoopback(String)
        case noAnswer(String)
        var description: String {
            switch self {
            case .notLoopback(let url): "refusing to fetch \(url): loopback only"
            case .noAnswer(let output): "curl got no HTTP answer: \(output)"
            }
        }
    }

    /// GETs `url`; throws when nothing answered (connection refused, timeout).
    static func get(_ url: String) throws -> Answer {
        guard url.hasPrefix("http://127.") || url.hasPrefix("http://[::1]") || url.hasPrefix("http://localhost") else {
            throw Failure.notLoopback(url)
        }
        let (status, output) = try run("/usr/bin/env", ["curl", "-s", "--max-time", "5", "-w", "\n%{http_code}\n%{content_type}", url])
        let parts = output.components(separatedBy: "\n")
        guard status == 0, parts.count >= 3, let code = Int(parts[parts.count - 2]), code > 0 else {
            throw Failure.noAnswer(output)
        }
        return Answer(status: code, body: parts[0..<(parts.count - 2)].joined(separator: "\n"), contentType: parts[parts.count - 1])
    }

    /// Runs a program and returns its exit status and standard output (with standard error).
    static func run(_ program: String, _ arguments: [String], input: Data? = nil) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        let stdin = Pipe()
        process.standardInput = stdin
        try process.run()
        if let input { stdin.fileHandleForWriting.write(input) }
        try stdin.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

/// Free loopback TCP ports for a test's HTTP endpoints.
enum ControlPorts {
    static func make(_ count: Int) -> [UInt16] {
        var ports: [UInt16] = []
        while ports.count < count {
            let port = ServerProcess.freePort()
            if !ports.contains(port) { ports.append(port) }
        }
        return ports
    }
}
