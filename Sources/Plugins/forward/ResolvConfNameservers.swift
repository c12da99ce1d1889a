import SystemCalls

#if canImport(Glibc)
import Glibc
#endif

/// The `nameserver` lines of a resolv.conf file, which is what `forward . /etc/resolv.conf` means.
///
/// Only `nameserver` matters here (search, options and domain are the stub resolver's business).
/// Comments start with `#` or `;`; a line whose address does not parse is skipped, as glibc does,
/// and reported so the Corefile error can say which.
public enum ResolvConfNameservers {
    public struct Result: Sendable, Equatable {
        /// Upstreams in file order, port 53, without duplicates.
        public var nameservers: [SocketAddress]
        /// `nameserver` values that are not IP addresses, with their 1-based line.
        public var skipped: [(line: Int, text: String)]

        public static func == (lhs: Result, rhs: Result) -> Bool {
            lhs.nameservers == rhs.nameservers && lhs.skipped.elementsEqual(rhs.skipped) { $0 == $1 }
        }
    }

    /// Parses resolv.conf text.
    public static func parse(_ text: String) -> Result {
        var result = Result(nameservers: [], skipped: [])
        var lineNumber = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            var line = rawLine
            if let comment = line.firstIndex(where: { $0 == "#" || $0 == ";" }) { line = line[..<comment] }
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            guard fields.count >= 2, fields[0] == "nameserver" else { continue }
            let value = String(fields[1])
            if let address = nameserverAddress(value) {
                if !result.nameservers.contains(address) { result.nameservers.append(address) }
            } else {
                result.skipped.append((lineNumber, value))
            }
        }
        return result
    }

    /// A `nameserver` value: a bare IPv4 or IPv6 address (an IPv6 one may carry `%zone`). A
    /// port or brackets are not resolv.conf syntax, so `1.2.3.4:53` and `[::1]` are refused.
    static func nameserverAddress(_ value: String) -> SocketAddress? {
        guard !value.hasPrefix("["), value.filter({ $0 == ":" }).count != 1 else { return nil }
        return try? SocketAddress(parsing: value, defaultPort: 53)
    }

    /// Reads and parses the file at `path`.
    /// - Returns: nil when the file cannot be read, with the reason.
    public static func read(path: String) -> (result: Result?, error: String?) {
        guard let file = fopen(path, "r") else {
            let code = errno
            return (nil, String(cString: strerror(code)))
        }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
            if n > 0 { bytes.append(contentsOf: chunk[0..<n]) }
            if n < chunk.count { break }
            // resolv.conf files are tiny; anything past 1 MiB is not one.
            if bytes.count > 1 << 20 { return (nil, "file too large for a resolv.conf") }
        }
        if ferror(file) != 0 { return (nil, "read error") }
        return (parse(String(decoding: bytes, as: UTF8.self)), nil)
    }
}
