import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// What the README says `make test` does, and what `scripts/deps.sh` leaves behind.
@Suite(.serialized) struct MakefileTests {
    static func text(_ path: String) throws -> String {
        try String(contentsOf: Transcript.root.appendingPathComponent(path), encoding: .utf8)
    }

    /// The value of `NAME := …` / `NAME ?= …` in the Makefile, continuation lines joined.
    static func variable(_ name: String) throws -> String? {
        let joined = try text("Makefile").replacingOccurrences(of: "\\\n", with: " ")
        for line in joined.split(separator: "\n") where line.hasPrefix(name + " ") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            return line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
        }
        return nil
    }

    @Test("make test's fuzz pass is as long as the README says: 20 s per target, 30 s under CI")
    func fuzzDuration() throws {
        #expect(try Self.variable("TEST_FUZZ_SECONDS") == "$(if $(CI),30,20)")
        #expect(try Self.text("Makefile").contains("$(MAKE) fuzz FUZZ_SECONDS=$(TEST_FUZZ_SECONDS)"))
        #expect(try Self.text("README.md").contains("a 20-second fuzz pass of each fuzz target (30 s when `CI` is set"))
    }

    @Test("TEST_PACKAGES installs python3, which the glibc cross-check runs, and not valgrind or procps, which no test runs")
    func testPackages() throws {
        let packages = try #require(try Self.variable("TEST_PACKAGES")).split(separator: " ").map(String.init)
        #expect(packages.contains("python3"))
        #expect(!packages.contains("valgrind"))
        #expect(!packages.contains("procps"))
    }

    /// A fake `dpkg-query` (nothing is installed) and `apt-get` (records whether policy-rc.d is
    /// there while it "installs") in front of PATH, and the policy file moved to the test's
    /// directory (DEPS_POLICY_RC_D), so the machine's /usr/sbin is not touched.
    @Test("scripts/deps.sh keeps daemons from starting during its install only: the policy-rc.d it wrote is gone afterwards",
          .enabled(if: getuid() == 0))
    func policyRcd() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("deps-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let seen = dir.appendingPathComponent("seen")
        let policy = dir.appendingPathComponent("policy-rc.d")
        try "#!/bin/sh\nexit 1\n".write(to: dir.appendingPathComponent("dpkg-query"), atomically: true, encoding: .utf8)
        try "#!/bin/sh\n[ -x \(policy.path) ] && echo present > \(seen.path)\nexit 0\n"
            .write(to: dir.appendingPathComponent("apt-get"), atomically: true, encoding: .utf8)
        for tool in ["dpkg-query", "apt-get"] {
            chmod(dir.appendingPathComponent(tool).path, 0o755)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [Transcript.root.appendingPathComponent("scripts/deps.sh").path, "no-such-package-for-test"]
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = dir.path + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
        environment["DEPS_POLICY_RC_D"] = policy.path
        process.environment = environment
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect((try? String(contentsOf: seen, encoding: .utf8)) == "present\n")
        #expect(!FileManager.default.fileExists(atPath: policy.path))
    }
}
