import DNSWire
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The real server in a cgroup with limits, as in a pod: a CPU quota sets the default worker
/// count, a memory limit bounds the default cache. These machines (and CI) mount cgroup v1
/// controllers, so the tests make v1 cgroups; the v2 layout is covered by `ResourceLimitsTests`
/// on fake trees. Root only (making cgroups needs it); each cgroup is removed when its test ends.
@Suite(.serialized) struct PodLimitsTests {
    /// A fresh cgroup under the calling process's own cgroup of a v1 controller.
    final class TestCgroup {
        let path: String

        /// - Parameter controller: the mount directory name under /sys/fs/cgroup (`cpu`, `memory`).
        init(controller: String) throws {
            let own = try TestCgroup.ownPath(controller: controller)
            path = "/sys/fs/cgroup/\(controller)\(own == "/" ? "" : own)/clusterdns-test-\(UUID().uuidString.prefix(8))"
            guard mkdir(path, 0o755) == 0 else {
                throw Failure(description: "mkdir \(path): \(String(cString: strerror(errno)))")
            }
        }

        /// This process's cgroup in the v1 hierarchy that has `controller`.
        static func ownPath(controller: String) throws -> String {
            let text = try String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8)
            for line in text.split(separator: "\n") {
                let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
                if fields.count == 3, fields[1].split(separator: ",").contains(Substring(controller)) {
                    return String(fields[2])
                }
            }
            throw Failure(description: "no cgroup v1 \(controller) hierarchy in /proc/self/cgroup")
        }

        func write(_ file: String, _ value: String) throws {
            try value.write(toFile: path + "/" + file, atomically: false, encoding: .utf8)
        }

        func read(_ file: String) -> String {
            ((try? String(contentsOfFile: path + "/" + file, encoding: .utf8)) ?? "")
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }

        /// A launcher for `ServerProcess`: joins this cgroup, then becomes the server.
        var launcher: [String] { ["/bin/sh", "-c", "echo $$ > \(path)/cgroup.procs && exec \"$0\" \"$@\""] }

        deinit {
            // The server has exited by now (its ServerProcess is gone); an empty cgroup is removed
            // with rmdir. Retry briefly: the kernel may still be reaping the last task.
            for _ in 0..<50 {
                if rmdir(path) == 0 || errno == ENOENT { return }
                usleep(100_000)
            }
        }
    }

    struct Failure: Error, CustomStringConvertible { let description: String }

    static var canUseCgroups: Bool {
        getuid() == 0 && FileManager.default.isWritableFile(atPath: "/sys/fs/cgroup/cpu")
            && FileManager.default.isWritableFile(atPath: "/sys/fs/cgroup/memory")
    }

    /// A field of /proc/PID/status in kB (`VmRSS`, `VmHWM`).
    static func statusKilobytes(_ pid: Int32, _ field: String) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
            return Int(line.dropFirst(field.count + 1).split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "")
        }
        return nil
    }

    @Test("a cgroup v1 CPU quota of 1.5 CPUs starts 2 workers and the log says where the figure came from",
          .enabled(if: canUseCgroups))
    func cpuQuota() throws {
        let cgroup = try TestCgroup(controller: "cpu")
        try cgroup.write("cpu.cfs_period_us", "100000")
        try cgroup.write("cpu.cfs_quota_us", "150000")
        do {
            let server = try ServerProcess(corefile: ".:{PORT} {\n    whoami\n}\n", workers: nil, launcher: cgroup.launcher)
            #expect(server.log.contains("workers=2 (cgroup v1 cpu quota 150000/100000 at \(cgroup.path))"), "\(server.log)")
            #expect(try server.client.query("a.example.", .a).rcode == .noError)
        }
    }

    @Test("half a CPU starts 1 worker on a bigger machine; --workers still overrides the quota",
          .enabled(if: canUseCgroups))
    func cpuQuotaBelowOne() throws {
        let cgroup = try TestCgroup(controller: "cpu")
        try cgroup.write("cpu.cfs_period_us", "100000")
        try cgroup.write("cpu.cfs_quota_us", "50000")
        do {
            let server = try ServerProcess(corefile: ".:{PORT} {\n    whoami\n}\n", workers: nil, launcher: cgroup.launcher)
            #expect(server.log.contains("workers=1 (cgroup v1 cpu quota 50000/100000 at \(cgroup.path))"), "\(server.log)")
        }
        do {
            let server = try ServerProcess(corefile: ".:{PORT} {\n    whoami\n}\n", workers: 3, launcher: cgroup.launcher)
            #expect(server.log.contains("workers=3 (--workers)"), "\(server.log)")
        }
    }

    /// The memory test's limit: the base footprint of two workers plus a little, so the
    /// caches get a small budget; CoreDNS's default sizes (about 12 MiB of caches) would not fit
    /// beside the rest. The flood asks more unique names than the default caches hold.
    static let memoryLimit = 44 << 20
    static let floodNames = 24_000

    @Test("under a cgroup v1 memory limit a flood of unique names through cache and forward keeps RSS under the limit",
          .enabled(if: canUseCgroups))
    func memoryLimitFlood() throws {
        let memory = try TestCgroup(controller: "memory")
        try memory.write("memory.limit_in_bytes", String(Self.memoryLimit))
        let upstream = try ScriptedUpstream(marker: IPv4Address(192, 0, 2, 53))
        do {
            let server = try ServerProcess(corefile: ".:{PORT} {\n    cache\n    forward . \(upstream.address)\n}\n",
                                           workers: 2, launcher: memory.launcher)
            #expect(server.log.contains("cache memory budget="), "\(server.log)")
            #expect(server.log.contains("(cgroup v1 memory.limit_in_bytes \(Self.memoryLimit) at \(memory.path))"), "\(server.log)")
            var client = server.client
            client.timeout = .seconds(5)
            let deadline = ContinuousClock.now + .seconds(180)
            var answered = 0
            var sent = 0
            while sent < Self.floodNames && ContinuousClock.now < deadline {
                let name = "n\(sent)-\(UInt32.random(in: 0...UInt32.max)).flood.example."
                sent += 1
                if let reply = try? client.query(name, .a), reply.answers.first?.rdata == .a(IPv4Address(192, 0, 2, 53)) {
                    answered += 1
                }
            }
            let pid = server.process.processIdentifier
            if !server.process.isRunning {
                let code = server.waitForExit().map { String($0) } ?? "?"
                let state = "failcnt " + memory.read("memory.failcnt") + ", " + memory.read("memory.oom_control")
                Issue.record("the server exited (\(code)) after \(sent) names, \(answered) answered; \(state)\n\(server.log)")
                return
            }
            let peak = try #require(Self.statusKilobytes(pid, "VmHWM"))
            let rss = try #require(Self.statusKilobytes(pid, "VmRSS"))
            let report = "sent \(sent), answered \(answered), VmRSS \(rss) kB, VmHWM \(peak) kB, limit \(Self.memoryLimit >> 10) kB, "
                + "cgroup max usage \(memory.read("memory.max_usage_in_bytes")), failcnt \(memory.read("memory.failcnt"))"
            print("memory flood: \(report)")
            #expect(server.process.isRunning, "\(report)\n\(server.log)")
            #expect(answered > sent * 9 / 10, "\(report)")
            #expect(peak * 1024 < Self.memoryLimit, "\(report)")
            #expect(try server.client.query("after.flood.example.", .a).rcode == .noError)
        }
    }
}
