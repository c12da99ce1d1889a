import Foundation
import Testing

/// The dig transcripts of plugin pages that show the Corefile they ran: the page's example
/// Corefile is served on a free loopback port (the transcripts' 27053), with the files the page
/// describes, and each `$ dig` is asked of it. Masked: message ids, whitespace, blank lines and
/// what the pages trim (the OPT section, dig's banner and statistics).
@Suite(.serialized) struct PluginPageTranscriptTests {
    struct Page: CustomTestStringConvertible, Sendable {
        let path: String
        /// Which ```corefile / ~~~ corefile block of the page ran.
        let block: Int
        /// The files the page says the Corefile reads.
        let files: [String: String]
        var testDescription: String { path }
    }

    static let zone: String = {
        (try? String(contentsOf: Transcript.root.appendingPathComponent("Zones/example.test.zone"), encoding: .utf8)) ?? ""
    }()
    static let hosts = "192.0.2.10 web.example.org\n192.0.2.11 web.example.org\n"

    static let pages: [Page] = [
        Page(path: "Docs/plugins/any.md", block: 0, files: [:]),
        Page(path: "Docs/plugins/hosts.md", block: 0, files: ["example.hosts": hosts]),
        Page(path: "Docs/plugins/rewrite.md", block: 0, files: ["example.hosts": hosts]),
        Page(path: "Docs/plugins/file.md", block: 1, files: ["example.test.zone": zone]),
        Page(path: "Docs/zones.md", block: 0, files: ["example.test.zone": zone]),
    ]

    /// The page's corefile blocks, in order.
    static func corefiles(_ text: String) -> [String] {
        var result: [String] = []
        var current: [String]?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if current == nil, trimmed == "```corefile" || trimmed == "~~~ corefile" {
                current = []
            } else if current != nil, trimmed == "```" || trimmed == "~~~" {
                result.append((current ?? []).joined(separator: "\n"))
                current = nil
            } else {
                current?.append(String(line))
            }
        }
        return result
    }

    // "; COOKIE": dig sends a client cookie by default, and the server cookie it gets back holds
    // the time and a per-process secret, so it differs on every run (as the query time does).
    static let trimmed = ["; EDNS", ";; OPT PSEUDOSECTION", ";; MSG SIZE", ";; Query time", ";; SERVER", ";; WHEN",
                          ";; global options", "; <<>> DiG", ";; Got answer", "; COOKIE"]

    static func normalise(_ line: String) -> String {
        let text = Transcript.collapse(Transcript.replace(line, #"id: \d+"#, "id: N"))
        return trimmed.contains { text.hasPrefix($0) } ? "" : text
    }

    @Test("each dig transcript of a plugin page is what its example Corefile answers", arguments: pages)
    func page(_ page: Page) throws {
        let text = try String(contentsOf: Transcript.root.appendingPathComponent(page.path), encoding: .utf8)
        let blocks = Self.corefiles(text)
        try #require(blocks.count > page.block, "\(page.path) has no corefile block \(page.block)")
        // The first server key gets the test's port.
        var corefile = blocks[page.block]
        if let brace = corefile.firstIndex(of: "{") {
            let key = corefile[..<brace].trimmingCharacters(in: .whitespaces)
            corefile = key + ":{PORT} " + corefile[brace...]
        }
        let transcripts = try Transcript.all(in: page.path).filter { $0.command.hasPrefix("dig @127.0.0.1 -p 27053 ") }
        try #require(!transcripts.isEmpty, "\(page.path) has no dig transcript")
        let server = try ServerProcess(corefile: corefile, files: page.files)
        for t in transcripts {
            let command = t.command.replacingOccurrences(of: "-p 27053", with: "-p \(server.port)")
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/bash")
            process.arguments = ["-c", command]
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = pipe
            try process.run()
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            let output = String(decoding: data, as: UTF8.self)
            #expect(t.matches(output, normalise: Self.normalise, anyOrder: true, dropEmpty: true),
                    "\(t)\n--- the server answered:\n\(output)")
        }
    }
}
