import Foundation
import Testing

/// 0 heap allocations per query on every path that answers from memory, counted (never timed) by
/// `clusterdns-alloc-check`, an executable of this package that links ordo-one/malloc-interposer.
/// It runs in its own process because the interposer replaces malloc for the whole process that
/// links it; this test only starts it and reads its verdict (Docs/performance.md).
///
/// The checker must be a release build: a debug build allocates on every query (unspecialized
/// generics, boxed values: 9 to 49 mallocs per query here), which says nothing about the server
/// that runs. `make test` builds it (`swift build -c release --product clusterdns-alloc-check`)
/// and sets `CLUSTERDNS_REQUIRE_ALLOC_CHECK=1`, so a missing checker fails there; a plain
/// `swift test` without one skips.
@Suite struct AllocationTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var checker: String {
        ProcessInfo.processInfo.environment["CLUSTERDNS_ALLOC_CHECK"] ?? root.path + "/.build/release/clusterdns-alloc-check"
    }

    static var enabled: Bool {
        FileManager.default.isExecutableFile(atPath: checker)
            || ProcessInfo.processInfo.environment["CLUSTERDNS_REQUIRE_ALLOC_CHECK"] == "1"
    }

    static let paths = [
        "registry ClusterIP A", "registry headless A", "registry SRV", "registry headless SRV", "registry PTR",
        "registry NXDOMAIN", "registry NODATA", "autopath (pod's first search step)",
        "autopath (every step fails)", "cache hit", "cookies across secret rotations",
        "worker UDP (recvmmsg/sendmmsg)", "worker TCP (framing, pipelined)",
    ]

    @Test("registry A/SRV/PTR/NXDOMAIN/NODATA, autopath, a cache hit, cookies across secret rotations and the worker's UDP and TCP paths allocate nothing per query",
          .enabled(if: enabled))
    func zeroAllocationsPerQuery() throws {
        #expect(FileManager.default.isExecutableFile(atPath: Self.checker), "no \(Self.checker): swift build -c release --product clusterdns-alloc-check")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.checker)
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        // The exit status says whether any path allocated; each path is checked on its own line
        // instead, so a failure names every path that allocates.
        #expect(!output.contains("clusterdns-alloc-check:"), "the checker failed to run:\n\(output)")
        for path in Self.paths {
            let line = output.split(separator: "\n").first { $0.hasPrefix(path + " ") }
            #expect(line != nil, "\(path): missing\n\(output)")
            #expect(line?.contains(" 0 mallocs / ") == true, "\(path): \(line.map(String.init) ?? "missing")\n\(output)")
        }
    }
}
