import DNSWire

/// `simulate --from-log` output: text for people, JSON (schema in Docs/simulate.md) for tools.
extension QueryLogAnalysis {
    static func percent(_ part: Int, of whole: Int) -> String {
        guard whole > 0 else { return "0.0%" }
        return SimulationReport.fixed(Double(part) * 100 / Double(whole), 1) + "%"
    }

    /// The ndots value that saves the most, if any saves anything.
    static func best(_ effects: [NdotsEffect]) -> NdotsEffect? {
        effects.filter { $0.net > 0 }.max { $0.net != $1.net ? $0.net < $1.net : $0.ndots < $1.ndots }
    }

    package func text(source: String, skipped: Int = 0) -> String {
        var lines: [String] = []
        lines.append("query log \(source): \(totalQueries) \(Advice.plural(totalQueries, "query")) from \(clients.count) \(Advice.plural(clients.count, "client")) (cluster zone \(zone))")
        if skipped > 0 { lines.append("  \(skipped) query-like \(Advice.plural(skipped, "line")) could not be read (see --json for the reasons)") }
        lines.append("  failed search-path expansions (NXDOMAIN under a client's search domain): \(failedExpansions) (\(Self.percent(failedExpansions, of: totalQueries)))")
        lines.append("  autopath would have saved: \(autopathSavings) \(Advice.plural(autopathSavings, "query")) (\(Self.percent(autopathSavings, of: totalQueries)))")
        for effect in ndots {
            lines.append("  ndots:\(effect.ndots) would save \(effect.saved) and add \(effect.added) (net \(effect.net >= 0 ? "" : "−")\(abs(effect.net)), \(Self.percent(effect.net, of: totalQueries)))")
        }
        lines.append("")
        var rows: [[String]] = [["client", "namespace", "queries", "failed expansions", "autopath saves", "best ndots"]]
        for client in clients {
            let best = Self.best(client.ndots).map { "ndots:\($0.ndots) saves \($0.saved), adds \($0.added)" } ?? "-"
            rows.append([client.client.description, client.namespace ?? "?", String(client.queries),
                         "\(client.failedExpansions) (\(Self.percent(client.failedExpansions, of: client.queries)))",
                         String(client.autopathSavings), best])
        }
        var widths = Array(repeating: 0, count: rows[0].count)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        for row in rows {
            var line = "  "
            for (i, cell) in row.enumerated() {
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                line += (i == 2 || i == 4) ? pad + cell : cell + pad
                if i < row.count - 1 { line += "  " }
            }
            while line.hasSuffix(" ") { line.removeLast() }
            lines.append(line)
        }
        lines.append("")
        lines.append("Node search domains are invisible in a log and not counted; clients with musl (Alpine) stop resolving names a lower ndots sends as written first.")
        return lines.joined(separator: "\n") + "\n"
    }

    package func json(source: String, malformed: [QueryLogParser.Skipped] = []) -> JSONValue {
        func ndotsJSON(_ effects: [NdotsEffect]) -> JSONValue {
            .array(effects.map { .object([("ndots", .int($0.ndots)), ("saved", .int($0.saved)), ("added", .int($0.added))]) })
        }
        return .object([
            ("source", .string(source)),
            ("zone", .string(zone)),
            ("query_count", .int(totalQueries)),
            ("failed_expansions", .int(failedExpansions)),
            ("autopath_savings", .int(autopathSavings)),
            ("ndots", ndotsJSON(ndots)),
            ("clients", .array(clients.map { client in
                .object([
                    ("client", .string(client.client.description)),
                    ("namespace", .string(client.namespace)),
                    ("query_count", .int(client.queries)),
                    ("lookups", .int(client.lookups)),
                    ("failed_expansions", .int(client.failedExpansions)),
                    ("autopath_savings", .int(client.autopathSavings)),
                    ("ndots", ndotsJSON(client.ndots)),
                ])
            })),
            ("malformed_lines", .array(malformed.map { .object([("line", .int($0.line)), ("reason", .string($0.reason))]) })),
        ])
    }
}
