import DNSWire

/// The human report: a header with the configuration, one line per query, a summary, advice.
/// Column widths depend only on the content, so the same simulation always prints the same
/// text (the golden tests in Tests/Fixtures/simulator rely on it).
extension SimulationReport {
    package func text() -> String {
        var lines: [String] = []
        let conf = request.conf
        lines.append("\(request.kind.call(name: request.name, resolver: request.resolverKind)) as \(request.resolverKind.modelledVersion) sends it")
        lines.append("  search:  " + (conf.search.isEmpty ? "(none)" : conf.search.joined(separator: " ")))
        var settings = "  ndots:\(conf.ndots)  timeout:\(conf.timeoutSeconds)  attempts:\(conf.attempts)"
        if conf.effectiveNameservers.count > 1 { settings += "  nameservers:\(conf.effectiveNameservers.count)" }
        if !conf.options.words.isEmpty { settings += "  " + conf.options.words.joined(separator: " ") }
        lines.append(settings)
        lines.append("  answers: \(source)")
        for warning in conf.warnings { lines.append("  warning: \(warning)") }
        lines.append("")

        if trace.attempts.isEmpty {
            if case .notQueried(let why) = trace.outcome {
                lines.append("no query sent: \(why)")
            }
        } else {
            lines += queryTable()
        }
        for note in trace.notes { lines.append("note: \(note)") }
        lines.append("")
        lines += summaryLines()
        if !advice.isEmpty {
            lines.append("")
            lines.append("advice:")
            for item in advice { lines.append("  - " + item.text) }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    func queryTable() -> [String] {
        let multiServer = trace.attempts.contains { $0.server != 0 }
        let tcp = trace.attempts.contains { $0.transport == .tcp }
        var header = ["#", "name tried", "type", "result", "answer", "time"]
        if multiServer { header.insert("server", at: 2) }
        if tcp { header.insert("via", at: multiServer ? 3 : 2) }
        var rows: [[String]] = [header]
        var notes: [String?] = [nil]
        for (i, attempt) in trace.attempts.enumerated() {
            var row = [String(i + 1), attempt.qname.description, attempt.qtype.description,
                       Self.resultLabel(attempt), Self.answerSummary(attempt), Self.timeLabel(attempt)]
            if multiServer { row.insert(request.conf.effectiveNameservers[attempt.server], at: 2) }
            if tcp { row.insert(attempt.transport.description, at: multiServer ? 3 : 2) }
            rows.append(row)
            var note = attempt.note
            if attempt.used { note = note.map { "used; \($0)" } ?? "used" }
            notes.append(note)
        }
        var widths = Array(repeating: 0, count: header.count)
        for row in rows { for (c, cell) in row.enumerated() { widths[c] = max(widths[c], cell.count) } }
        var out: [String] = []
        for (r, row) in rows.enumerated() {
            var line = "  "
            for (c, cell) in row.enumerated() {
                let isNumber = c == 0 || c == row.count - 1
                let pad = String(repeating: " ", count: widths[c] - cell.count)
                line += isNumber ? pad + cell : cell + pad
                if c < row.count - 1 { line += "  " }
            }
            if let note = notes[r] { line += "  (\(note))" }
            while line.hasSuffix(" ") { line.removeLast() }
            out.append(line)
        }
        return out
    }

    func summaryLines() -> [String] {
        var lines: [String] = []
        let sent = queryCount
        switch trace.outcome {
        case .resolved(let name, let records):
            let index = (trace.attempts.first { $0.used }?.candidate ?? 0) + 1
            lines.append("resolved: \(name) (name \(index) of \(trace.candidates.count) tried)")
            var answers: [String] = []
            for record in records.map(Self.shortRecord) where !answers.contains(record) { answers.append(record) }
            let none = usedGuesses && trace.attempts.contains { $0.used && $0.reply?.guess != nil }
                ? "(from upstream: not known in-process)" : "(none)"
            lines.append("  answer: " + (answers.isEmpty ? none : answers.joined(separator: ", ")))
            if !records.isEmpty, records.allSatisfy({ $0.type == .cname }), case .cname(let target) = records[0].rdata {
                lines.append("  only a CNAME: the program gets addresses only if the server (through `forward` upstream) also resolves \(target)")
            }
        case .failed(let error):
            lines.append("failed: \(error) (\(error.message)) after trying \(trace.candidates.count) \(Advice.plural(trace.candidates.count, "name"))")
        case .notQueried:
            lines.append("resolved without DNS")
        }
        if sent > 0 {
            lines.append("  queries sent: \(sent), wasted: \(wastedCount)")
            lines.append("  time: \(Self.formatDuration(trace.elapsed))" + (usedGuesses ? " (upstream answers assumed, not timed)" : ""))
        }
        if usedGuesses {
            lines.append("  * names outside the cluster zone are forwarded upstream in a real cluster; in-process, a name as written with a real-looking top-level domain is assumed to exist, anything else NXDOMAIN. Use --server to ask a real server.")
        }
        return lines
    }

    static func resultLabel(_ attempt: QueryAttempt) -> String {
        switch attempt.result {
        case .timeout: return "timeout"
        case .connectionRefused: return "unreachable"
        case .reply(let reply, _):
            var label = reply.isNoData ? "NODATA" : reply.rcode.description
            if reply.truncated { label += ",TC" }
            if reply.guess != nil { label += "*" }
            return label
        }
    }

    static func answerSummary(_ attempt: QueryAttempt) -> String {
        guard let reply = attempt.reply else { return "" }
        if reply.guess == .resolves { return "(upstream answer)" }
        let shown = reply.answers.prefix(3).map(shortRecord)
        var text = shown.joined(separator: ", ")
        if reply.answers.count > 3 { text += ", +\(reply.answers.count - 3) more" }
        return text
    }

    /// A record as one short phrase: the address for A/AAAA, `TYPE data` otherwise.
    static func shortRecord(_ record: ResourceRecord) -> String {
        switch record.rdata {
        case .a(let address): return address.description
        case .aaaa(let address): return address.description
        default: return "\(record.type) \(record.rdata.presentation)"
        }
    }

    static func timeLabel(_ attempt: QueryAttempt) -> String {
        switch attempt.result {
        case .reply(let reply, let elapsed): return reply.guess != nil ? "-" : formatDuration(elapsed)
        case .timeout, .connectionRefused: return "-"
        }
    }

    /// Milliseconds with two decimals below 10 ms, one below 1 s, then seconds.
    package static func formatDuration(_ duration: Duration) -> String {
        let ms = milliseconds(duration)
        if ms < 10 { return fixed(ms, 2) + " ms" }
        if ms < 1000 { return fixed(ms, 1) + " ms" }
        return fixed(ms / 1000, 2) + " s"
    }

    static func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
    }

    /// `value` with exactly `digits` decimals, rounded half up (no locale, no Foundation).
    static func fixed(_ value: Double, _ digits: Int) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = Int((value * scale).rounded())
        let whole = scaled / Int(scale)
        var fraction = String(scaled % Int(scale))
        while fraction.count < digits { fraction = "0" + fraction }
        return digits == 0 ? String(whole) : "\(whole).\(fraction)"
    }
}
