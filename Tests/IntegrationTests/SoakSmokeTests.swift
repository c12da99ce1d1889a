import Foundation
import Testing

/// `make soak` (scripts/soak.py) is run by hand for its five minutes; this runs the same script
/// for a few seconds against the built server, so a change that breaks the soak (its generator,
/// its flaky upstream, its churn, or the report it exits by) fails `make test` instead of the
/// next person who runs it. The figures of a real soak are in Docs/reliability.md.
@Suite(.serialized) struct SoakSmokeTests {
    @Test("scripts/soak.py runs a short soak against the built server: no wrong answer, the server alive, exit 0",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/python3")))
    func shortSoak() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.currentDirectoryURL = Transcript.root
        process.arguments = ["scripts/soak.py", "--binary", ServerProcess.binary, "--seconds", "4", "--measure", "2",
                             "--fraction", "0.5"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        #expect(process.terminationStatus == 0, "soak.py failed:\n\(text)")

        // The report is the JSON object printed between a line "{" and a line "}".
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let start = try #require(lines.firstIndex(of: "{"), "no report in:\n\(text)")
        let end = try #require(lines[start...].firstIndex(of: "}"), "no report in:\n\(text)")
        let json = lines[start...end].joined(separator: "\n")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(report["wrong"] as? Int == 0)
        #expect(report["server_running"] as? Bool == true)
        #expect((report["sent"] as? Int ?? 0) > 1_000, "a soak that sent next to nothing checks nothing")
        #expect((report["answered"] as? Int ?? 0) > 0)
        #expect((report["churn_writes"] as? Int ?? 0) > 10, "the registry changed while the queries flowed")
    }
}
