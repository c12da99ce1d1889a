import Corefile
import Foundation
@testable import Plugins

/// Parses `forward` directives out of Corefile text, errors as values for tables.
enum ForwardFixture {
    /// The first `forward` directive of a one-block Corefile, parsed.
    static func config(_ body: String, directory: String = "/nonexistent-clusterdns-forward-tests") throws(CorefileError) -> ForwardConfig {
        let corefile = try Corefile.parse(text: ".:1053 {\n\(body)\n}\n", fileName: "Corefile", baseDirectory: directory)
        guard let directive = corefile.serverBlocks.first?.directives.first(where: { $0.name == "forward" }) else {
            throw CorefileError(.argument, at: SourceLocation(file: "Corefile", line: 0), "no forward directive")
        }
        return try ForwardConfig.parse(directive, baseDirectory: directory)
    }

    /// The error text for `body`, or nil when it parses.
    static func error(_ body: String, directory: String = "/nonexistent-clusterdns-forward-tests") -> String? {
        do {
            _ = try config(body, directory: directory)
            return nil
        } catch {
            return error.description
        }
    }

    /// A fresh temporary directory with `files` written into it.
    static func directory(_ files: [String: String]) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("clusterdns-forward-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        for (name, text) in files {
            try text.write(to: url.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        return url.path
    }
}
