#if canImport(Glibc)
import Glibc
#endif
import SystemCalls

// A pod's CPU and memory limits as the kernel enforces them: cgroup files, found the way the
// kernel names them for this process.
//
// /proc/self/cgroup says which cgroup the process is in, per hierarchy: `ID:controllers:path`
// for a cgroup v1 hierarchy (`4:memory:/kubepods/pod…/c…`), `0::path` for the v2 one. The path
// is relative to the hierarchy's root, which may be mounted anywhere, and a container usually
// sees only a subtree of it: /proc/self/mountinfo gives, per cgroup mount, the subtree mounted
// (field 4) and where (field 5). The cgroup's directory is the mount point plus the path below
// the mounted subtree.
//
// A limit set on an ancestor binds too (a pod's limit sits on the pod's cgroup, the container
// is a child), so every directory from the process's cgroup up to the mount point is read and
// the tightest limit wins. A controller mounted as cgroup v1 takes precedence over v2 (on a
// hybrid host the v1 controller is the one that enforces); v2 is read when no v1 hierarchy has
// the controller. Missing or unreadable files mean "no limit", never an error: a host without
// cgroups runs unlimited.

/// The CPU and memory a process may use according to its cgroups, and the defaults derived
/// from them: worker threads and the memory the caches may take.
///
/// Why: a pod limited to 100m CPU on a 64-core node would otherwise start 64 workers (each with
/// its own cache share) and be throttled; a pod with a 64 MiB limit must not grow a cache the
/// kernel kills it for. Go programs get the first from automaxprocs; this is the same rule.
package struct ResourceLimits: Sendable, Equatable {
    /// A CPU quota: `quota` microseconds of CPU time per `period` microseconds.
    package struct CPUQuota: Sendable, Equatable {
        package var quota: Int
        package var period: Int
        /// `cgroup v1 cpu quota` or `cgroup v2 cpu.max`.
        package var kind: String
        /// The cgroup directory whose file set the quota (as seen by this process).
        package var directory: String

        /// CPUs the quota buys, rounded up: 1.5 CPUs keep two threads busy part of the time.
        package var cpus: Int { max(1, (quota + period - 1) / period) }
    }

    /// A memory limit in bytes and where it was read.
    package struct MemoryLimit: Sendable, Equatable {
        package var bytes: Int
        /// `cgroup v1 memory.limit_in_bytes` or `cgroup v2 memory.max`.
        package var kind: String
        package var directory: String
    }

    package var cpu: CPUQuota?
    package var memory: MemoryLimit?

    package init(cpu: CPUQuota? = nil, memory: MemoryLimit? = nil) {
        self.cpu = cpu
        self.memory = memory
    }

    /// Reads the limits of the calling process.
    /// - Parameter root: prefix for every path read (`/` on a real system; a fake tree in tests).
    package static func detect(root: String = "/") -> ResourceLimits {
        let base = root.hasSuffix("/") ? String(root.dropLast()) : root
        let memberships = CgroupMembership.parse(read(base + "/proc/self/cgroup") ?? "")
        let mounts = CgroupMount.parse(read(base + "/proc/self/mountinfo") ?? "")
        var limits = ResourceLimits()
        for directory in directories(controller: "cpu", memberships: memberships, mounts: mounts, root: base) {
            guard let quota = cpuQuota(in: directory.path, version: directory.version) else { continue }
            let reported = String(directory.path.dropFirst(base.count))
            // The tightest quota (fewest CPUs per period) of the chain binds.
            if let current = limits.cpu, current.quota * quota.period <= quota.quota * current.period { continue }
            limits.cpu = CPUQuota(quota: quota.quota, period: quota.period,
                                  kind: directory.version == 1 ? "cgroup v1 cpu quota" : "cgroup v2 cpu.max",
                                  directory: reported.isEmpty ? "/" : reported)
        }
        for directory in directories(controller: "memory", memberships: memberships, mounts: mounts, root: base) {
            guard let bytes = memoryLimit(in: directory.path, version: directory.version) else { continue }
            if let current = limits.memory, current.bytes <= bytes { continue }
            let reported = String(directory.path.dropFirst(base.count))
            limits.memory = MemoryLimit(bytes: bytes,
                                        kind: directory.version == 1 ? "cgroup v1 memory.limit_in_bytes" : "cgroup v2 memory.max",
                                        directory: reported.isEmpty ? "/" : reported)
        }
        return limits
    }

    // MARK: Derived defaults

    /// The default worker count: the CPU quota's CPUs (rounded up), at least 1, at most the
    /// online CPUs; the online CPUs when there is no quota.
    /// - Returns: the count and a phrase saying where it came from, for the start-up log.
    package func defaultWorkers(onlineCPUs: Int) -> (count: Int, source: String) {
        let online = max(onlineCPUs, 1)
        guard let cpu else { return (online, "online CPUs") }
        let count = min(cpu.cpus, online)
        var source = "\(cpu.kind) \(cpu.quota)/\(cpu.period) at \(cpu.directory)"
        if cpu.cpus > online { source += ", capped at \(online) online CPUs" }
        return (count, source)
    }

    /// Bytes the process is expected to use besides its caches and its registry: code, the
    /// Swift runtime, the HTTP endpoints' threads, and per worker its stack, socket buffers and
    /// cache tables. Measured with the release binary on an empty cluster (Docs/deploy.md,
    /// "Sizing"): 29 MiB with one worker, about 1.4 MiB more per worker; rounded up
    /// generously, since the kernel kills rather than throttles.
    package static func baseFootprint(workers: Int) -> Int {
        40 << 20 + workers * (4 << 20)
    }

    /// The bytes all caches together may take by default: half of what the memory limit leaves
    /// after the base footprint. The other half is for the registry (about 1.5 MiB per 1 000
    /// Services, measured), which is not known at start and grows with the cluster, and for
    /// bursts of TCP clients. nil without a memory limit (the caches keep CoreDNS's sizes).
    package func cacheBudget(workers: Int) -> Int? {
        guard let memory else { return nil }
        return max(0, (memory.bytes - ResourceLimits.baseFootprint(workers: workers)) / 2)
    }

    // MARK: Reading cgroup files

    /// The cgroup directories that may hold `controller`'s limit for this process, innermost
    /// first, with the hierarchy version; the v1 hierarchy's when one has the controller.
    static func directories(controller: String, memberships: [CgroupMembership], mounts: [CgroupMount],
                            root: String) -> [(path: String, version: Int)] {
        let v1 = memberships.first { $0.controllers.contains(controller) }
        let v1Mount = mounts.first { $0.version == 1 && $0.controllers.contains(controller) }
        if let v1, let v1Mount {
            return chain(cgroupPath: v1.path, mount: v1Mount, root: root).map { ($0, 1) }
        }
        if let v2 = memberships.first(where: { $0.hierarchyID == 0 && $0.controllers.isEmpty }),
           let v2Mount = mounts.first(where: { $0.version == 2 }) {
            return chain(cgroupPath: v2.path, mount: v2Mount, root: root).map { ($0, 2) }
        }
        return []
    }

    /// The directory of `cgroupPath` under `mount`, then each parent up to the mount point.
    static func chain(cgroupPath: String, mount: CgroupMount, root: String) -> [String] {
        let mountRoot = mount.root == "/" ? "" : mount.root
        var relative: String
        if mountRoot.isEmpty {
            relative = cgroupPath
        } else if cgroupPath == mountRoot || cgroupPath.hasPrefix(mountRoot + "/") {
            relative = String(cgroupPath.dropFirst(mountRoot.count))
        } else {
            // The process sits outside the mounted subtree (a cgroup namespace or a moved
            // process): only the mount point's own files are visible to read.
            relative = ""
        }
        var components = relative.split(separator: "/").filter { $0 != "." }
        if components.contains("..") { components = [] }
        let top = root + (mount.mountPoint == "/" ? "" : mount.mountPoint)
        var result: [String] = []
        while true {
            result.append(components.isEmpty ? (top.isEmpty ? "/" : top) : top + "/" + components.joined(separator: "/"))
            if components.isEmpty { break }
            components.removeLast()
        }
        return result
    }

    /// `cpu.cfs_quota_us`/`cpu.cfs_period_us` (v1, quota -1 when unlimited) or `cpu.max`
    /// (v2, `max 100000` when unlimited); nil when unlimited, missing or malformed.
    static func cpuQuota(in directory: String, version: Int) -> (quota: Int, period: Int)? {
        if version == 1 {
            guard let quotaText = read(directory + "/cpu.cfs_quota_us"), let quota = Int(trimmed(quotaText)),
                  let periodText = read(directory + "/cpu.cfs_period_us"), let period = Int(trimmed(periodText)),
                  quota > 0, period > 0 else { return nil }
            return (quota, period)
        }
        guard let text = read(directory + "/cpu.max") else { return nil }
        let fields = trimmed(text).split(separator: " ")
        guard fields.count >= 1, let quota = Int(fields[0]), quota > 0 else { return nil }
        let period = fields.count >= 2 ? Int(fields[1]) ?? 100_000 : 100_000
        guard period > 0 else { return nil }
        return (quota, period)
    }

    /// Values at or above this are v1's "unlimited" (the page-rounded `LONG_MAX`, 9223372036854771712).
    static let unlimitedMemory = 1 << 62

    /// `memory.limit_in_bytes` (v1) or `memory.max` (v2, `max` when unlimited); nil when
    /// unlimited, missing or malformed.
    static func memoryLimit(in directory: String, version: Int) -> Int? {
        let file = version == 1 ? "/memory.limit_in_bytes" : "/memory.max"
        guard let text = read(directory + file), let bytes = Int(trimmed(text)), bytes > 0,
              bytes < unlimitedMemory else { return nil }
        return bytes
    }

    static func trimmed(_ text: String) -> Substring {
        var s = Substring(text)
        while let last = s.last, last == "\n" || last == " " || last == "\t" { s.removeLast() }
        return s
    }

    /// The contents of a small kernel file (at most 64 KiB), or nil when it cannot be read.
    static func read(_ path: String) -> String? {
        do {
            return try FileReader.read(path: path, limit: 65_536).text
        } catch {
            return nil
        }
    }
}

/// One line of /proc/self/cgroup: the process's cgroup in one hierarchy.
struct CgroupMembership: Equatable {
    var hierarchyID: Int
    /// v1 controllers of the hierarchy (`cpu`, `cpuacct`, `name=systemd`); empty for v2.
    var controllers: [String]
    var path: String

    static func parse(_ text: String) -> [CgroupMembership] {
        text.split(separator: "\n").compactMap { line in
            // The path may itself contain colons; only the first two separate fields.
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3, let id = Int(fields[0]) else { return nil }
            let controllers = fields[1].split(separator: ",").map(String.init)
            return CgroupMembership(hierarchyID: id, controllers: controllers, path: String(fields[2]))
        }
    }
}

/// A cgroup filesystem mount from /proc/self/mountinfo.
struct CgroupMount: Equatable {
    /// 1 for `cgroup`, 2 for `cgroup2`.
    var version: Int
    /// The subtree of the hierarchy that is mounted (field 4).
    var root: String
    /// Where it is mounted (field 5).
    var mountPoint: String
    /// v1: the controllers named in the super options (`rw,cpu,cpuacct`).
    var controllers: [String]

    static func parse(_ text: String) -> [CgroupMount] {
        text.split(separator: "\n").compactMap { line in
            // `ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL…] - FSTYPE SOURCE SUPEROPTIONS`
            let fields = line.split(separator: " ")
            guard let dash = fields.firstIndex(of: "-"), dash >= 6, fields.count >= dash + 2 else { return nil }
            let type = fields[dash + 1]
            guard type == "cgroup" || type == "cgroup2" else { return nil }
            let superOptions = fields.count > dash + 3 ? fields[dash + 3].split(separator: ",").map(String.init) : []
            return CgroupMount(version: type == "cgroup2" ? 2 : 1, root: unescape(fields[3]),
                               mountPoint: unescape(fields[4]), controllers: type == "cgroup2" ? [] : superOptions)
        }
    }

    /// mountinfo writes space, tab, newline and backslash as `\ooo` octal escapes.
    static func unescape(_ field: Substring) -> String {
        guard field.contains("\\") else { return String(field) }
        var out: [UInt8] = []
        let bytes = Array(field.utf8)
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "\\"), i + 4 <= bytes.count,
               let value = UInt8(String(decoding: bytes[(i + 1)..<(i + 4)], as: UTF8.self), radix: 8) {
                out.append(value)
                i += 4
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
