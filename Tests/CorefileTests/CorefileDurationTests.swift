import Testing
@testable import Corefile

@Suite struct CorefileDurationTests {
    @Test("parses Go duration syntax", arguments: [
        ("0", Duration.zero),
        ("0s", .zero),
        ("5s", .seconds(5)),
        ("1m30s", .seconds(90)),
        ("500ms", .milliseconds(500)),
        ("1h", .seconds(3600)),
        ("2.5s", .milliseconds(2500)),
        (".5s", .milliseconds(500)),
        ("5.s", .seconds(5)),
        ("1.5h", .seconds(5400)),
        ("100us", .microseconds(100)),
        ("100µs", .microseconds(100)),
        ("100μs", .microseconds(100)),
        ("42ns", .nanoseconds(42)),
        ("1h2m3s4ms5us6ns", .nanoseconds(3_723_004_005_006)),
        ("-1.5s", .milliseconds(-1500)),
        ("+5s", .seconds(5)),
        ("-0", .zero),
        ("1.0000000001s", .nanoseconds(1_000_000_000)),
        ("9223372036854775807ns", .nanoseconds(Int64.max)),
        ("-9223372036854775808ns", .nanoseconds(Int64.min)),
        ("2562047h", .seconds(2562047 * 3600)),
    ])
    func parses(_ text: String, _ expected: Duration) throws {
        #expect(try CorefileDuration.parse(text) == expected)
    }

    @Test("rejects what Go rejects, quoting the text", arguments: [
        ("", "invalid duration '': expected a number and a unit (ns, us, ms, s, m, h), such as 5s or 1m30s"),
        ("5", "invalid duration '5': missing unit — expected a number and a unit (ns, us, ms, s, m, h), such as 5s or 1m30s"),
        ("00", "invalid duration '00': missing unit — expected a number and a unit (ns, us, ms, s, m, h), such as 5s or 1m30s"),
        ("5x", "invalid duration '5x': unknown unit 'x' — expected ns, us, ms, s, m or h"),
        ("5S", "invalid duration '5S': unknown unit 'S' — expected ns, us, ms, s, m or h"),
        ("s", "invalid duration 's': expected a number and a unit (ns, us, ms, s, m, h), such as 5s or 1m30s"),
        (".s", "invalid duration '.s': expected a number and a unit (ns, us, ms, s, m, h), such as 5s or 1m30s"),
        ("-", "invalid duration '-': expected a number and a unit (ns, us, ms, s, m, h), such as 5s or 1m30s"),
        ("1s 2s", "invalid duration '1s 2s': unknown unit 's ' — expected ns, us, ms, s, m or h"),
        ("9223372036854775808ns", "invalid duration '9223372036854775808ns': too large"),
        ("2562048h", "invalid duration '2562048h': too large"),
        ("99999999999999999999s", "invalid duration '99999999999999999999s': too large"),
    ])
    func rejects(_ text: String, _ message: String) {
        do {
            let value = try CorefileDuration.parse(text)
            Issue.record("parsed '\(text)' as \(value)")
        } catch {
            #expect(error.description == message)
        }
    }

    @Test("formats as Go's Duration.String does", arguments: [
        (Duration.zero, "0s"),
        (.seconds(5), "5s"),
        (.seconds(90), "1m30s"),
        (.seconds(3600), "1h0m0s"),
        (.milliseconds(500), "500ms"),
        (.milliseconds(2500), "2.5s"),
        (.microseconds(1500), "1.5ms"),
        (.nanoseconds(1500), "1.5µs"),
        (.nanoseconds(42), "42ns"),
        (.milliseconds(-1500), "-1.5s"),
        (.nanoseconds(3_723_004_005_006), "1h2m3.004005006s"),
    ])
    func formats(_ duration: Duration, _ text: String) {
        #expect(CorefileDuration.format(duration) == text)
    }

    @Test("formatting then parsing gives the same duration", arguments: [
        Duration.zero, .seconds(5), .seconds(90), .milliseconds(1), .nanoseconds(1), .nanoseconds(3_723_004_005_006), .seconds(-7200),
    ])
    func formatParse(_ duration: Duration) throws {
        #expect(try CorefileDuration.parse(CorefileDuration.format(duration)) == duration)
    }
}
