import Foundation
import Testing

@testable import Server

/// `ResourceLimits` against fake /proc and /sys trees: the layouts a pod meets (cgroup v1 with
/// separate or joint controllers, v2, a container seeing only its subtree, limits on ancestors).
@Suite struct ResourceLimitsTests {
    /// A temporary root holding the files a test writes; removed when the test ends.
    final class FakeRoot {
        let path: String

        init(_ files: [String: String]) throws {
            path = FileManager.default.temporaryDirectory.appendingPathComponent("limits-\(UUID().uuidString)").path
            for (name, contents) in files {
                let url = URL(fileURLWithPath: path + name)
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try contents.write(to: url, atomically: true, encoding: .utf8)
            }
        }

        deinit { try? FileManager.default.removeItem(atPath: path) }
    }

    static let v1Mounts = """
        25 24 0:22 / /sys/fs/cgroup ro,nosuid,nodev,noexec - tmpfs tmpfs ro,mode=755
        30 25 0:26 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup rw,cpu,cpuacct
        31 25 0:27 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:12 - cgroup cgroup rw,memory
        32 25 0:28 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime - cgroup2 cgroup2 rw
        """

    @Test("cgroup v1: a quota of 1.5 CPUs gives 2 workers, and the log names the file's directory")
    func v1Quota() throws {
        let root = try FakeRoot([
            "/proc/self/cgroup": "4:memory:/ci/job\n3:cpu,cpuacct:/ci/job\n0::/\n",
            "/proc/self/mountinfo": Self.v1Mounts,
            "/sys/fs/cgroup/cpu,cpuacct/ci/job/cpu.cfs_quota_us": "150000\n",
            "/sys/fs/cgroup/cpu,cpuacct/ci/job/cpu.cfs_period_us": "100000\n",
            "/sys/fs/cgroup/memory/ci/job/memory.limit_in_bytes": "67108864\n",
        ])
        let limits = ResourceLimits.detect(root: root.path)
        let workers = limits.defaultWorkers(onlineCPUs: 8)
        #expect(workers.count == 2)
        #expect(workers.source == "cgroup v1 cpu quota 150000/100000 at /sys/fs/cgroup/cpu,cpuacct/ci/job")
        #expect(limits.memory == .init(bytes: 64 << 20, kind: "cgroup v1 memory.limit_in_bytes",
                                       directory: "/sys/fs/cgroup/memory/ci/job"))
    }

    @Test("cgroup v1 in a container: the mount shows only the pod's subtree, so the path below it is empty")
    func v1ContainerSubtree() throws {
        let root = try FakeRoot([
            "/proc/self/cgroup": "3:cpu,cpuacct:/kubepods/burstable/pod1/c1\n",
            "/proc/self/mountinfo": """
                1500 1490 0:26 /kubepods/burstable/pod1/c1 /sys/fs/cgroup/cpu,cpuacct ro,nosuid - cgroup cgroup rw,cpu,cpuacct
                """,
            "/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us": "10000\n",
            "/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us": "100000\n",
        ])
        let workers = ResourceLimits.detect(root: root.path).defaultWorkers(onlineCPUs: 64)
        #expect(workers.count == 1)
        #expect(workers.source == "cgroup v1 cpu quota 10000/100000 at /sys/fs/cgroup/cpu,cpuacct")
    }

    @Test("a limit on an ancestor binds the child that has none; the tightest of the chain wins")
    func ancestors() throws {
        let root = try FakeRoot([
            "/proc/self/cgroup": "3:cpu,cpuacct:/pod/container\n4:memory:/pod/container\n",
            "/proc/self/mountinfo": Self.v1Mounts,
            "/sys/fs/cgroup/cpu,cpuacct/pod/container/cpu.cfs_quota_us": "-1\n",
            "/sys/fs/cgroup/cpu,cpuacct/pod/container/cpu.cfs_period_us": "100000\n",
            "/sys/fs/cgroup/cpu,cpuacct/pod/cpu.cfs_quota_us": "250000\n",
            "/sys/fs/cgroup/cpu,cpuacct/pod/cpu.cfs_period_us": "100000\n",
            "/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us": "-1\n",
            "/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us": "100000\n",
            "/sys/fs/cgroup/memory/pod/container/memory.limit_in_bytes": "9223372036854771712\n",
            "/sys/fs/cgroup/memory/pod/memory.limit_in_bytes": "268435456\n",
            "/sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712\n",
        ])
        let limits = ResourceLimits.detect(root: root.path)
        #expect(limits.defaultWorkers(onlineCPUs: 16).count == 3)
        #expect(limits.cpu?.directory == "/sys/fs/cgroup/cpu,cpuacct/pod")
        #expect(limits.memory?.bytes == 256 << 20)
        #expect(limits.memory?.directory == "/sys/fs/cgroup/memory/pod")
    }

    @Test("cgroup v2: cpu.max and memory.max of the process's cgroup")
    func v2() throws {
        let root = try FakeRoot([
            "/proc/self/cgroup": "0::/kubepods.slice/pod2.slice/cri-c2.scope\n",
            "/proc/self/mountinfo": "29 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate\n",
            "/sys/fs/cgroup/kubepods.slice/pod2.slice/cri-c2.scope/cpu.max": "50000 100000\n",
            "/sys/fs/cgroup/kubepods.slice/pod2.slice/cri-c2.scope/memory.max": "134217728\n",
            "/sys/fs/cgroup/kubepods.slice/pod2.slice/memory.max": "max\n",
        ])
        let limits = ResourceLimits.detect(root: root.path)
        let workers = limits.defaultWorkers(onlineCPUs: 4)
        #expect(workers.count == 1)
        #expect(workers.source == "cgroup v2 cpu.max 50000/100000 at /sys/fs/cgroup/kubepods.slice/pod2.slice/cri-c2.scope")
        #expect(limits.memory?.bytes == 128 << 20)
        #expect(limits.memory?.kind == "cgroup v2 memory.max")
    }

    @Test("cgroup v2 without limits (`max`), and a host with no cgroup files at all, use the online CPUs")
    func unlimited() throws {
        let v2 = try FakeRoot([
            "/proc/self/cgroup": "0::/user.slice\n",
            "/proc/self/mountinfo": "29 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n",
            "/sys/fs/cgroup/user.slice/cpu.max": "max 100000\n",
            "/sys/fs/cgroup/user.slice/memory.max": "max\n",
        ])
        let limits = ResourceLimits.detect(root: v2.path)
        #expect(limits == ResourceLimits())
        #expect(limits.defaultWorkers(onlineCPUs: 6).count == 6)
        #expect(limits.defaultWorkers(onlineCPUs: 6).source == "online CPUs")
        #expect(limits.cacheBudget(workers: 6) == nil)
        let empty = try FakeRoot([:])
        #expect(ResourceLimits.detect(root: empty.path) == ResourceLimits())
    }

    @Test("a quota above the online CPUs is capped at them, and says so")
    func capped() throws {
        let limits = ResourceLimits(cpu: .init(quota: 800_000, period: 100_000, kind: "cgroup v2 cpu.max", directory: "/x"))
        let workers = limits.defaultWorkers(onlineCPUs: 2)
        #expect(workers.count == 2)
        #expect(workers.source == "cgroup v2 cpu.max 800000/100000 at /x, capped at 2 online CPUs")
    }

    @Test("rounding is up, never below one", arguments: [
        (1, 100_000, 1), (100_000, 100_000, 1), (100_001, 100_000, 2), (150_000, 100_000, 2), (50_000, 50_000, 1),
    ])
    func rounding(quota: Int, period: Int, cpus: Int) {
        #expect(ResourceLimits.CPUQuota(quota: quota, period: period, kind: "", directory: "").cpus == cpus)
    }

    @Test("mountinfo's octal escapes are undone, and malformed lines are skipped")
    func mountinfo() {
        let mounts = CgroupMount.parse("""
            40 25 0:30 / /sys/fs/cgroup/odd\\040dir rw - cgroup cgroup rw,memory
            garbage
            41 25 0:31 / /proc rw - proc proc rw
            """)
        #expect(mounts == [CgroupMount(version: 1, root: "/", mountPoint: "/sys/fs/cgroup/odd dir", controllers: ["rw", "memory"])])
        #expect(CgroupMembership.parse("5:name=systemd:/a:b\nbad\n") == [
            CgroupMembership(hierarchyID: 5, controllers: ["name=systemd"], path: "/a:b"),
        ])
    }

    @Test("the cache budget is half of what the limit leaves after the base footprint, and none without a limit")
    func cacheBudget() {
        let limits = ResourceLimits(memory: .init(bytes: 170 << 20, kind: "", directory: ""))
        #expect(limits.cacheBudget(workers: 2) == ((170 << 20) - ResourceLimits.baseFootprint(workers: 2)) / 2)
        #expect(ResourceLimits(memory: .init(bytes: 1 << 20, kind: "", directory: "")).cacheBudget(workers: 1) == 0)
    }
}
