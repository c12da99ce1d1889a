#if canImport(Glibc)
import Glibc
#endif
import SystemCalls

/// The `process_*` metrics the Prometheus Go client exports for CoreDNS, read from `/proc` at
/// scrape time (Linux). The `go_*` runtime metrics have no Swift counterpart and are not exported.
public struct ProcessMetrics: Sendable, Equatable {
    /// User plus system CPU time, in seconds (`process_cpu_seconds_total`).
    public var cpuSeconds: Double
    /// Resident set size (`process_resident_memory_bytes`).
    public var residentBytes: Double
    /// Virtual memory size (`process_virtual_memory_bytes`).
    public var virtualBytes: Double
    /// Start time since the Unix epoch (`process_start_time_seconds`).
    public var startTimeSeconds: Double
    /// Open file descriptors (`process_open_fds`).
    public var openFDs: Double
    /// The soft limit on file descriptors (`process_max_fds`).
    public var maxFDs: Double
    /// The soft limit on address space; 2^64 − 1 when unlimited, as the Go client reports it
    /// (`process_virtual_memory_max_bytes`).
    public var virtualMaxBytes: Double

    /// The calling process's figures; nil when `/proc/self/stat` cannot be read or parsed.
    public static func current() -> ProcessMetrics? {
        guard let stat = readFile("/proc/self/stat"), let fields = statFields(stat), fields.count >= 22 else { return nil }
        // Fields after "(comm) ": index 0 is the state (field 3 of proc(5)).
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let page = Double(sysconf(Int32(_SC_PAGESIZE)))
        guard ticks > 0, let utime = Double(fields[11]), let stime = Double(fields[12]),
              let start = Double(fields[19]), let vsize = Double(fields[20]), let rss = Double(fields[21]) else { return nil }
        var bootTime = 0.0
        if let text = readFile("/proc/stat") {
            for line in text.split(separator: "\n") where line.hasPrefix("btime ") {
                bootTime = Double(line.dropFirst(6).trimmingPrefix(" ")) ?? 0
            }
        }
        var files = rlimit()
        getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &files)
        var address = rlimit()
        getrlimit(__rlimit_resource_t(RLIMIT_AS.rawValue), &address)
        return ProcessMetrics(
            cpuSeconds: (utime + stime) / ticks,
            residentBytes: rss * page,
            virtualBytes: vsize,
            startTimeSeconds: bootTime + start / ticks,
            openFDs: Double(countOpenFDs()),
            maxFDs: Double(files.rlim_cur),
            virtualMaxBytes: address.rlim_cur == rlim_t.max ? Double(UInt64.max) : Double(address.rlim_cur)
        )
    }

    /// The space-separated fields after the command name, which may itself hold spaces and
    /// parentheses (hence: after the last `)`).
    static func statFields(_ text: String) -> [Substring]? {
        guard let close = text.lastIndex(of: ")") else { return nil }
        return text[text.index(after: close)...].split(separator: " ", omittingEmptySubsequences: true)
    }

    /// A /proc file as text (they are a few KiB), or nil when it cannot be read.
    static func readFile(_ path: String) -> String? {
        do {
            return try FileReader.read(path: path, limit: 1 << 20).text
        } catch {
            return nil
        }
    }

    static func countOpenFDs() -> Int {
        guard let directory = opendir("/proc/self/fd") else { return 0 }
        defer { closedir(directory) }
        var count = 0
        while let entry = readdir(directory) {
            let isDot = withUnsafeBytes(of: entry.pointee.d_name) { name in name[0] == UInt8(ascii: ".") }
            if !isDot { count += 1 }
        }
        // The directory stream itself holds one descriptor while we count.
        return max(0, count - 1)
    }
}
