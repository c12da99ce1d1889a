import Foundation

/// The limits `--check` enforces, one file per benchmark: `Thresholds/<name>.json` holds
/// `{"<name>": {"mallocs": 0}}`. Only allocation counts are checked: they are deterministic,
/// while time per operation depends on the machine and its load.
struct Threshold: Decodable {
    /// Most allocations allowed per operation.
    var mallocs: Double
}

enum Thresholds {
    /// The checked-in directory, found from this file's path (the runner is started from
    /// anywhere by `swift run`).
    static let defaultDirectory: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }   // the file, Runner, ClusterDNSBenchmarks, Sources
        return url.appendingPathComponent("Thresholds").path
    }()

    /// The threshold for `name`, nil when it has no file.
    /// - Throws: when the file exists but is not the expected JSON; the message names the file.
    static func load(_ name: String, from directory: String) throws -> Threshold? {
        let path = "\(directory)/\(name).json"
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            let table = try JSONDecoder().decode([String: Threshold].self, from: data)
            guard let threshold = table[name] else {
                throw ThresholdError(message: "\(path): no entry named \"\(name)\"")
            }
            return threshold
        } catch let error as ThresholdError {
            throw error
        } catch {
            throw ThresholdError(message: "\(path): \(error)")
        }
    }
}

struct ThresholdError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
