import Foundation
import Testing

/// The dig transcripts of Docs/kubernetes.md (`$ q …`, `$ qs …`) asked of the server that page
/// runs: its own Corefile over the example cluster, on a free loopback port instead of 1053.
/// Masked: message ids, the SOA serial (it moves with the registry), whitespace, and the address
/// of `ns.dns.<zone>` (the machine's own, as the server listens on all of them).
@Suite(.serialized) struct KubernetesDocTranscriptTests {
    static let page = "Docs/kubernetes.md"

    /// The page's first ```corefile block.
    static func corefile() throws -> String {
        let text = try String(contentsOf: Transcript.root.appendingPathComponent(page), encoding: .utf8)
        let start = try #require(text.range(of: "```corefile\n"))
        let end = try #require(text.range(of: "```", range: start.upperBound..<text.endIndex))
        return String(text[start.upperBound..<end.lowerBound])
    }

    static func normalise(_ line: String) -> String {
        var text = Transcript.replace(line, #"id: \d+"#, "id: N")
        text = Transcript.replace(text, #"(hostmaster\.\S+\s+)\d+"#, "$1SERIAL")
        text = Transcript.replace(text, #"^(ns\.dns\.\S+\s+\d+\s+IN\s+A{1,4}\s+)\S+$"#, "$1ADDRESS")
        return Transcript.collapse(text)
    }

    static var digAvailable: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/dig") }

    @Test("each q/qs transcript of Docs/kubernetes.md is the server's answer", .enabled(if: digAvailable))
    func transcripts() throws {
        let transcripts = try Transcript.all(in: Self.page).filter { $0.command.hasPrefix("q ") || $0.command.hasPrefix("qs ") }
        #expect(transcripts.count > 30)
        let manifests = Transcript.root.appendingPathComponent("Zones/manifests").path
        let text = try Self.corefile()
            .replacingOccurrences(of: ".:1053", with: ".:{PORT}")
            .replacingOccurrences(of: "manifests manifests", with: "manifests \(manifests)")
        let server = try ServerProcess(corefile: text)
        let functions = """
            q()  { dig @127.0.0.1 -p \(server.port) +noall +answer +authority +additional "$@"; }
            qs() { dig @127.0.0.1 -p \(server.port) +noall +comments +answer +authority "$@" | grep -E 'status|\\sIN\\s'; }

            """
        for t in transcripts {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/bash")
            process.arguments = ["-c", functions + t.command]
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = pipe
            try process.run()
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            let output = String(decoding: data, as: UTF8.self)
            #expect(t.matches(output, normalise: Self.normalise, anyOrder: true), "\(t)\n--- the server answered:\n\(output)")
        }
    }
}
