import DNSWire

/// Reads query logs. Lines that are not query lines (plugin messages, start-up banners,
/// `[WARNING]`s) are skipped and counted, never fatal: a real log mixes them in.
package enum QueryLogParser {
    /// A line that looked like a query line but could not be read.
    package struct Skipped: Sendable, Equatable {
        package var line: Int
        package var reason: String
    }

    package struct Result: Sendable {
        package var entries: [QueryLogEntry]
        /// Query-shaped lines that could not be read, with the reason.
        package var malformed: [Skipped]
        /// Lines that are not query lines at all.
        package var otherLines: Int
    }

    /// Parses a whole log. Accepts the `[INFO] ` prefix CoreDNS adds, and a leading timestamp
    /// as `kubectl logs --timestamps` adds.
    package static func parse(_ text: String) -> Result {
        var result = Result(entries: [], malformed: [], otherLines: 0)
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingTrailingWhitespace
            if trimmed.isEmpty { continue }
            switch parseLine(trimmed, line: index + 1) {
            case .entry(let entry): result.entries.append(entry)
            case .notAQuery: result.otherLines += 1
            case .malformed(let why): result.malformed.append(Skipped(line: index + 1, reason: why))
            }
        }
        return result
    }

    package enum LineResult: Equatable {
        case entry(QueryLogEntry)
        case notAQuery
        case malformed(String)
    }

    /// Parses one line.
    package static func parseLine(_ line: Substring, line number: Int) -> LineResult {
        // The request is the only quoted part; a line without one is not a query line.
        guard let open = line.firstIndex(of: "\""),
              let close = line[line.index(after: open)...].firstIndex(of: "\"") else { return .notAQuery }
        let head = line[..<open].split(whereSeparator: { $0 == " " || $0 == "\t" })
        let request = line[line.index(after: open)..<close].split(separator: " ")
        let tail = line[line.index(after: close)...].split(separator: " ")
        guard head.count >= 3, head[head.count - 2] == "-" else { return .notAQuery }
        guard let (client, port) = parseRemote(head[head.count - 3]) else {
            return .malformed("remote address '\(head[head.count - 3])' is not IP:port")
        }
        guard let id = UInt16(head[head.count - 1]) else { return .malformed("query ID '\(head[head.count - 1])'") }
        guard request.count >= 4 else { return .malformed("request \"\(line[open...close])\" has too few fields") }
        guard let type = RecordType(mnemonic: request[0]) else { return .malformed("query type '\(request[0])'") }
        guard let name = try? DomainName(request[2]) else { return .malformed("query name '\(request[2])'") }
        guard let first = tail.first, let rcode = ResponseCode(mnemonic: first) else {
            return .malformed("response code '\(tail.first ?? "")'")
        }
        var duration: Duration? = nil
        if let last = tail.last, last.hasSuffix("s"), tail.count >= 4, let seconds = Double(last.dropLast()) {
            duration = .nanoseconds(Int64(seconds * 1e9))
        }
        return .entry(QueryLogEntry(client: client, port: port, id: id, type: type, name: name,
                                    transport: String(request[3]), rcode: rcode, duration: duration, line: number))
    }

    /// `10.0.0.1:53` or `[fd00::1]:53`.
    static func parseRemote(_ text: Substring) -> (IPAddress, UInt16)? {
        guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]) else { return nil }
        var host = text[..<colon]
        if host.hasPrefix("[") && host.hasSuffix("]") { host = host.dropFirst().dropLast() }
        guard let address = IPAddress(host) else { return nil }
        return (address, port)
    }
}

extension Substring {
    var trimmingTrailingWhitespace: Substring {
        var s = self
        while let last = s.last, last == " " || last == "\t" || last == "\r" { s = s.dropLast() }
        return s
    }
}
