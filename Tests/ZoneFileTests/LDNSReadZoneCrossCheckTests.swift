import DNSWire
import Foundation
import Testing
import ZoneFile

/// The records we load must be the records `ldns-read-zone` prints for the same file, read back
/// with DNSWire's own presentation parser (an independent path through the text).
@Suite struct LDNSReadZoneCrossCheckTests {
    static var tool: String? {
        ["/usr/bin/ldns-read-zone", "/usr/local/bin/ldns-read-zone"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    @Test("the example zone's records equal ldns-read-zone's output", .enabled(if: tool != nil))
    func exampleZoneMatches() throws {
        let path = repositoryZones.appendingPathComponent("example.test.zone").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(Self.tool))
        process.arguments = [path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        var expected: Set<ResourceRecord> = []
        for line in output.split(separator: "\n") where !line.hasPrefix(";") {
            var record = try ResourceRecord(presentation: String(line))
            record.name = record.name.lowercased()
            expected.insert(record)
        }
        let zone = try Zone.load(file: path, origin: "example.test.")
        #expect(Set(zone.records) == expected)
        #expect(zone.records.count == expected.count)
    }
}
