/// Go's duration syntax (`time.ParseDuration`), which CoreDNS plugins use for every time argument:
/// `5s`, `1m30s`, `500ms`, `1h`, `2.5s`, `-1.5h`, `0`.
///
/// A duration is an optional sign, then one or more `number unit` pairs, where the number may have
/// a fraction and the unit is `ns`, `us` (or `µs`, `μs`), `ms`, `s`, `m` or `h`. Only the bare `0`
/// may omit the unit. The value must fit in a signed 64-bit count of nanoseconds (about 292
/// years), as in Go. Fractions are converted as Go does (through a double for the fraction part),
/// so results match CoreDNS to the nanosecond.
public enum CorefileDuration {
    /// A text that is not a Go duration; `description` quotes it and says why.
    public struct SyntaxError: Error, Equatable, CustomStringConvertible {
        public let text: String
        public let reason: String

        public var description: String { "invalid duration '\(text)': \(reason)" }
    }

    private static let units: [String: UInt64] = [
        "ns": 1,
        "us": 1_000,
        "\u{00B5}s": 1_000,  // micro sign
        "\u{03BC}s": 1_000,  // Greek mu
        "ms": 1_000_000,
        "s": 1_000_000_000,
        "m": 60_000_000_000,
        "h": 3_600_000_000_000,
    ]

    private static let limit: UInt64 = 1 << 63

    /// Parses `text` as a Go duration.
    public static func parse(_ text: String) throws(SyntaxError) -> Duration {
        func failure(_ reason: String) -> SyntaxError { SyntaxError(text: text, reason: reason) }
        let expected = "expected a number and a unit (ns, us, ms, s, m, h), such as 5s or 1m30s"

        var bytes = Array(text.utf8)[...]
        var negative = false
        if let sign = bytes.first, sign == UInt8(ascii: "-") || sign == UInt8(ascii: "+") {
            negative = sign == UInt8(ascii: "-")
            bytes = bytes.dropFirst()
        }
        if bytes.elementsEqual("0".utf8) { return .zero }
        if bytes.isEmpty { throw failure(expected) }

        var total: UInt64 = 0
        while !bytes.isEmpty {
            guard let first = bytes.first, first == UInt8(ascii: ".") || isDigit(first) else {
                throw failure(expected)
            }
            // Integer part.
            var whole: UInt64 = 0
            var sawWhole = false
            while let byte = bytes.first, isDigit(byte) {
                let (times10, overflow1) = whole.multipliedReportingOverflow(by: 10)
                let (next, overflow2) = times10.addingReportingOverflow(UInt64(byte - 48))
                if overflow1 || overflow2 || next > limit { throw failure("too large") }
                whole = next
                sawWhole = true
                bytes = bytes.dropFirst()
            }
            // Fraction: digits beyond what fits are ignored, as in Go.
            var fraction: UInt64 = 0
            var scale = 1.0
            var sawFraction = false
            if bytes.first == UInt8(ascii: ".") {
                bytes = bytes.dropFirst()
                var saturated = false
                while let byte = bytes.first, isDigit(byte) {
                    sawFraction = true
                    bytes = bytes.dropFirst()
                    if saturated { continue }
                    let (times10, overflow1) = fraction.multipliedReportingOverflow(by: 10)
                    let (next, overflow2) = times10.addingReportingOverflow(UInt64(byte - 48))
                    if overflow1 || overflow2 || next > limit {
                        saturated = true
                        continue
                    }
                    fraction = next
                    scale *= 10
                }
            }
            if !sawWhole && !sawFraction { throw failure(expected) }

            let unitBytes = bytes.prefix { !isDigit($0) && $0 != UInt8(ascii: ".") }
            bytes = bytes.dropFirst(unitBytes.count)
            let unitText = String(decoding: unitBytes, as: UTF8.self)
            if unitBytes.isEmpty {
                throw failure("missing unit — \(expected)")
            }
            guard let unit = units[unitText] else {
                throw failure("unknown unit '\(unitText)' — expected ns, us, ms, s, m or h")
            }
            let (scaled, overflow) = whole.multipliedReportingOverflow(by: unit)
            if overflow || scaled > limit { throw failure("too large") }
            var value = scaled
            if fraction > 0 {
                let extra = Double(fraction) * (Double(unit) / scale)
                guard extra < 1.9e19 else { throw failure("too large") }
                value = value &+ UInt64(extra)
                if value > limit || value < scaled { throw failure("too large") }
            }
            total = total &+ value
            if total > limit || total < value { throw failure("too large") }
        }
        if negative {
            return .nanoseconds(total == limit ? Int64.min : -Int64(total))
        }
        guard total < limit else { throw failure("too large") }
        return .nanoseconds(Int64(total))
    }

    /// `duration` the way Go prints it (`Duration.String`): `1m30s`, `500ms`, `1h0m0s`, `0s`.
    ///
    /// Durations beyond Go's range (±292 years) are printed in whole seconds.
    public static func format(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let (secondsNanos, overflow1) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        let (nanos, overflow2) = secondsNanos.addingReportingOverflow(attoseconds / 1_000_000_000)
        if overflow1 || overflow2 { return "\(seconds)s" }
        let negative = nanos < 0
        let magnitude = nanos.magnitude
        let sign = negative ? "-" : ""
        if magnitude == 0 { return "0s" }
        if magnitude < 1_000_000_000 {
            if magnitude < 1_000 { return "\(sign)\(magnitude)ns" }
            if magnitude < 1_000_000 { return "\(sign)\(decimal(magnitude, places: 3))µs" }
            return "\(sign)\(decimal(magnitude, places: 6))ms"
        }
        let wholeSeconds = magnitude / 1_000_000_000
        let secondsText = decimal(magnitude % 60_000_000_000, places: 9)
        let minutes = wholeSeconds / 60
        if minutes == 0 { return "\(sign)\(secondsText)s" }
        let hours = minutes / 60
        if hours == 0 { return "\(sign)\(minutes)m\(secondsText)s" }
        return "\(sign)\(hours)h\(minutes % 60)m\(secondsText)s"
    }

    /// `value / 10^places` with the fraction's trailing zeros (and a bare point) dropped.
    private static func decimal(_ value: UInt64, places: Int) -> String {
        var divisor: UInt64 = 1
        for _ in 0..<places { divisor *= 10 }
        let whole = value / divisor
        var fraction = value % divisor
        if fraction == 0 { return "\(whole)" }
        var digits = places
        while fraction % 10 == 0 {
            fraction /= 10
            digits -= 1
        }
        let fractionText = String(fraction)
        return "\(whole)." + String(repeating: "0", count: digits - fractionText.count) + fractionText
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= 48 && byte <= 57
    }
}
