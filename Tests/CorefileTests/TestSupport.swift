import Foundation
@testable import Corefile

/// Parsing helpers: an empty environment unless a test gives one, a base directory that does not
/// exist (so a stray relative import fails loudly), and errors returned as values for tables.
enum Fixture {
    static let noDirectory = "/nonexistent-clusterdns-corefile-tests"

    static func parse(
        _ text: String, environment: [String: String] = [:], fileName: String = "Corefile",
        directory: String = noDirectory, checksConflicts: Bool = true
    ) throws(CorefileError) -> Corefile {
        try Corefile.parse(
            text: text, fileName: fileName, baseDirectory: directory,
            options: CorefileParseOptions(environment: environment, checksServeConflicts: checksConflicts))
    }

    /// The error parsing `text` raises, or `nil` if it parses.
    static func error(
        _ text: String, environment: [String: String] = [:], fileName: String = "Corefile",
        directory: String = noDirectory
    ) -> CorefileError? {
        do {
            _ = try parse(text, environment: environment, fileName: fileName, directory: directory)
            return nil
        } catch {
            return error
        }
    }

    static func tokens(_ text: String) throws(CorefileError) -> [Token] {
        try Lexer.tokenize(text, source: SourceFile(name: "Corefile", directory: "."))
    }
}

/// A fresh directory under the system temporary directory, removed when the value is discarded
/// by `remove()`; tests write Corefiles and imported files into it.
struct TemporaryDirectory {
    let path: String

    init() throws {
        let base = FileManager.default.temporaryDirectory.path
        path = "\(base)/clusterdns-corefile-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    @discardableResult
    func write(_ relativePath: String, _ text: String) throws -> String {
        let full = "\(path)/\(relativePath)"
        let parent = (full as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        try text.write(toFile: full, atomically: true, encoding: .utf8)
        return full
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// Directive shapes written compactly for table tests: `name arg arg { child; child }` is
/// `.init("name", ["arg", "arg"], [child, child])`.
struct Shape: Equatable, CustomStringConvertible {
    let name: String
    let arguments: [String]
    let block: [Shape]?

    init(_ name: String, _ arguments: [String] = [], _ block: [Shape]? = nil) {
        self.name = name
        self.arguments = arguments
        self.block = block
    }

    init(_ directive: Directive) {
        self.init(directive.name, directive.arguments.map(\.text), directive.block?.map(Shape.init))
    }

    var description: String {
        ([name] + arguments).joined(separator: " ") + (block.map { " { " + $0.map(\.description).joined(separator: "; ") + " }" } ?? "")
    }
}
