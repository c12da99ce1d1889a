import DNSWire
import Foundation
import ZoneFile

/// A temporary directory holding zone files for one test, removed when the test ends.
final class ZoneDirectory {
    let url: URL

    init(_ files: [String: String] = [:]) throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("zonefile-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        for (name, text) in files { try write(name, text) }
    }

    func write(_ name: String, _ text: String) throws {
        let file = url.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: file, atomically: true, encoding: .utf8)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// Loads `name` as the zone `origin`.
    func load(_ name: String = "db.zone", origin: DomainName = "example.test.") throws(ZoneFileError) -> Zone {
        try Zone.load(file: path(name), origin: origin)
    }

    deinit { try? FileManager.default.removeItem(at: url) }
}

/// The repository's `Zones/` directory.
let repositoryZones = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Zones")

/// A minimal valid zone head for `example.test.` (five lines) that tests append records to.
let zoneHead = """
$ORIGIN example.test.
$TTL 300
@ IN SOA ns1 hostmaster 7 3600 600 86400 60
  IN NS ns1
ns1 IN A 192.0.2.1

"""
