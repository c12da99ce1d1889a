import Prometheus

/// Collects one scrape's samples and renders them in the Prometheus text format (0.0.4).
///
/// Counters and gauges go through swift-prometheus's `PrometheusCollectorRegistry` (a fresh one per
/// scrape, filled from the counters the workers keep) and its text emitter. Histograms do not:
/// swift-prometheus's histograms only take single observations (`record(_:)`), and the workers'
/// histograms arrive already aggregated (bucket counts, sum, count), so they are rendered here in
/// the same format. The registry traps on a name reused with another type, help text or label
/// shape; samples from plugins (`MetricsReport`) are checked first, and a sample that would clash
/// is left out rather than crashing the server.
struct ExpositionWriter {
    enum Kind: Equatable { case counter, gauge, histogram }

    private struct Family {
        let kind: Kind
        let help: String
        let labeled: Bool
    }

    private let registry = PrometheusCollectorRegistry()
    private var families: [String: Family] = [:]
    private var histogramOrder: [String] = []
    private var histogramText: [String: [UInt8]] = [:]
    /// Samples left out because they clashed with an earlier family.
    private(set) var rejected = 0

    /// Adds to a counter; equal names and labels are summed. Negative or NaN values are left out.
    mutating func counter(_ name: String, help: String, labels: [(String, String)] = [], value: UInt64) {
        guard let family = admit(name, help: help, kind: .counter, labels: labels) else { return }
        registry.makeCounter(descriptor: ExpositionWriter.descriptor(name, family), labels: labels).increment(by: Int64(clamping: value))
    }

    mutating func counter(_ name: String, help: String, labels: [(String, String)] = [], value: Double) {
        guard value >= 0, value.isFinite, let family = admit(name, help: help, kind: .counter, labels: labels) else {
            rejected += 1
            return
        }
        let counter = registry.makeCounter(descriptor: ExpositionWriter.descriptor(name, family), labels: labels)
        // Whole counts go in as integers, so they print as `7`, not `7.0`.
        if value == value.rounded(), value < 9.0e15 {
            counter.increment(by: Int64(value))
        } else {
            counter.increment(by: value)
        }
    }

    /// Adds to a gauge; equal names and labels are summed (per-worker values of one gauge).
    mutating func gauge(_ name: String, help: String, labels: [(String, String)] = [], value: Double) {
        guard let family = admit(name, help: help, kind: .gauge, labels: labels) else { return }
        registry.makeGauge(descriptor: ExpositionWriter.descriptor(name, family), labels: labels).increment(by: value)
    }

    /// Adds a histogram series: `cumulative[i]` observations were ≤ `bounds[i]`; `count` in all.
    mutating func histogram(_ name: String, help: String, labels: [(String, String)] = [], bounds: [Double],
                            cumulative: [UInt64], count: UInt64, sum: Double) {
        guard bounds.count == cumulative.count, let family = admit(name, help: help, kind: .histogram, labels: labels) else {
            rejected += 1
            return
        }
        var text = histogramText[name] ?? []
        if text.isEmpty {
            histogramOrder.append(name)
            text += Array("# HELP \(name) \(ExpositionWriter.escapeHelp(family.help))\n# TYPE \(name) histogram\n".utf8)
        }
        for (bound, value) in zip(bounds, cumulative) {
            text += Array("\(name)_bucket{\(ExpositionWriter.render(labels + [("le", ExpositionWriter.format(bound))]))} \(value)\n".utf8)
        }
        text += Array("\(name)_bucket{\(ExpositionWriter.render(labels + [("le", "+Inf")]))} \(count)\n".utf8)
        let suffix = labels.isEmpty ? "" : "{\(ExpositionWriter.render(labels))}"
        text += Array("\(name)_sum\(suffix) \(ExpositionWriter.format(sum))\n".utf8)
        text += Array("\(name)_count\(suffix) \(count)\n".utf8)
        histogramText[name] = text
    }

    /// The registry's name for `name`: the whole name as the metric name, no namespace or unit
    /// (they would be joined with underscores, and ours are complete already).
    private static func descriptor(_ name: String, _ family: Family) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: family.help)
    }

    /// The whole exposition: the registry's families, then the histograms.
    func finish() -> [UInt8] {
        var body = registry.emitToBuffer()
        for name in histogramOrder { body += histogramText[name] ?? [] }
        return body
    }

    /// The family `name` belongs to, registering it on first use; nil (and counted) when the
    /// sample would clash with it or is malformed.
    private mutating func admit(_ name: String, help: String, kind: Kind, labels: [(String, String)]) -> Family? {
        guard ExpositionWriter.isValidName(name, allowColon: true),
              labels.allSatisfy({ ExpositionWriter.isValidName($0.0, allowColon: false) && !(kind == .histogram && $0.0 == "le") }),
              Set(labels.map(\.0)).count == labels.count
        else {
            rejected += 1
            return nil
        }
        if let existing = families[name] {
            guard existing.kind == kind, existing.labeled == !labels.isEmpty else {
                rejected += 1
                return nil
            }
            return existing
        }
        // A histogram's series names must not collide with another family's.
        if kind == .histogram, ["_bucket", "_sum", "_count"].contains(where: { families[name + $0] != nil }) {
            rejected += 1
            return nil
        }
        let family = Family(kind: kind, help: help, labeled: !labels.isEmpty)
        families[name] = family
        return family
    }

    /// `[a-zA-Z_:][a-zA-Z0-9_:]*` for metric names (no colon in label names, no `__` prefix).
    static func isValidName(_ name: String, allowColon: Bool) -> Bool {
        guard !name.isEmpty, allowColon || !name.hasPrefix("__") else { return false }
        for (i, c) in name.utf8.enumerated() {
            let letter = (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || c == UInt8(ascii: "_") || (allowColon && c == UInt8(ascii: ":"))
            let digit = c >= 0x30 && c <= 0x39
            if !(letter || (digit && i > 0)) { return false }
        }
        return true
    }

    /// `name="value",…` with `\`, `"` and newlines escaped.
    static func render(_ labels: [(String, String)]) -> String {
        labels.map { "\($0.0)=\"\(escapeLabel($0.1))\"" }.joined(separator: ",")
    }

    static func escapeLabel(_ value: String) -> String {
        var out = ""
        for c in value {
            switch c {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(c)
            }
        }
        return out
    }

    static func escapeHelp(_ value: String) -> String {
        value.replacingAll("\\", with: "\\\\").replacingAll("\n", with: "\\n")
    }

    /// A float as Go's Prometheus client writes it: integers without a fraction (`16000`), others
    /// in their shortest form (`0.00025`), `+Inf`, `-Inf`, `NaN`.
    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}
