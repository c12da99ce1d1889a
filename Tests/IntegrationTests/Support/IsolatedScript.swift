import Foundation

/// Runs a bash script in fresh network, mount and PID namespaces (`unshare`), for scenarios that
/// need port 53, bind mounts over system paths or other processes (NSD, a fake API server) that
/// must not outlive the test.
///
/// The PID namespace makes the kernel end everything the script started when it ends (NSD forks
/// servers that would otherwise linger). Output goes through a file, not a pipe, so no leftover
/// process can hold the reader open.
enum IsolatedScript {
    /// Runs `script` with `directory/output.txt` collecting its output; returns that output.
    /// A script still running after `timeout` is terminated.
    static func run(_ script: String, in directory: URL, timeout: Duration = .seconds(120)) throws -> String {
        let output = directory.appendingPathComponent("output.txt")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        let handle = try FileHandle(forWritingTo: output)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        process.arguments = ["--net", "--mount", "--pid", "--fork", "--mount-proc", "/bin/bash", "-c", script]
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        let deadline = ContinuousClock.now + timeout
        while process.isRunning && ContinuousClock.now < deadline { usleep(50_000) }
        if process.isRunning { process.terminate() }
        try handle.close()
        return (try? String(contentsOf: output, encoding: .utf8)) ?? ""
    }
}
