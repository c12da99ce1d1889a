import Foundation

/// What running a command gave: its exit status and its standard error and output together.
package struct CommandResult: Sendable, Equatable {
    package var status: Int32
    package var output: String

    package init(status: Int32, output: String) {
        self.status = status
        self.output = output
    }
}

/// Runs a program and waits for it. A protocol so tests can stand in for `iptables`.
package protocol CommandRunner: Sendable {
    func run(_ program: String, _ arguments: [String]) -> CommandResult
}

/// Runs programs with Foundation's `Process`, found on `PATH` or in the sbin directories
/// (`iptables` lives in `/usr/sbin`, which a container's `PATH` may lack).
package struct ProcessCommandRunner: CommandRunner {
    package init() {}

    /// Exit status 127 with a message when the program is not installed or cannot start, like a shell.
    package func run(_ program: String, _ arguments: [String]) -> CommandResult {
        guard let path = Self.locate(program) else {
            return CommandResult(status: 127, output: "\(program): not found (install iptables; Debian: apt-get install iptables)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            return CommandResult(status: 127, output: "\(path): \(error)")
        }
        // Read before waiting: a child that fills the pipe would otherwise never exit.
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CommandResult(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }

    static func locate(_ program: String) -> String? {
        if program.contains("/") { return FileManager.default.isExecutableFile(atPath: program) ? program : nil }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let directories = path.split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]
        for directory in directories {
            let candidate = directory + "/" + program
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
