import Foundation

/// What an API source has done, for metrics (read at scrape time under the source's lock).
public struct APISourceStatistics: Sendable {
    /// Watch events by resource and type (`ADDED`, `MODIFIED`, `DELETED`, `BOOKMARK`, `ERROR`).
    public var events: [APIResource: [String: UInt64]] = [:]
    /// LISTs started (first pages), by resource; streaming lists count here too.
    public var lists: [APIResource: UInt64] = [:]
    /// Lists after the first: a 410 or a lost history made the source start over.
    public var relists: [APIResource: UInt64] = [:]
    /// WATCH requests, by resource.
    public var watches: [APIResource: UInt64] = [:]
    /// True while every resource's last request succeeded.
    public var up = false
    /// Every resource listed once and the first snapshot published.
    public var synced = false
    /// When the source last heard from the API server (an event, a bookmark, a list page).
    public var lastContact: Date?
    /// Snapshots published.
    public var publications: UInt64 = 0
    /// CoreDNS's programming-duration SLI, by `service_kind`.
    public var programming: [String: DurationHistogram] = [:]

    public init() {}
}

/// A Prometheus histogram with CoreDNS's buckets for `dns_programming_duration_seconds`
/// (exponential from 1 ms by a factor 2, 20 buckets: up to about 9 minutes).
public struct DurationHistogram: Sendable {
    public static let upperBounds: [Double] = (0..<20).map { 0.001 * pow(2, Double($0)) }
    /// Non-cumulative counts per bucket; the last slot counts values above every bound.
    public var counts = [UInt64](repeating: 0, count: DurationHistogram.upperBounds.count + 1)
    public var sum = 0.0
    public var count: UInt64 = 0

    public init() {}

    public mutating func observe(_ seconds: Double) {
        let slot = Self.upperBounds.firstIndex { seconds <= $0 } ?? Self.upperBounds.count
        counts[slot] += 1
        sum += seconds
        count += 1
    }

    /// Cumulative counts per finite bound, as the exposition format wants them.
    public var cumulative: [(upperBound: Double, count: UInt64)] {
        var total: UInt64 = 0
        return Self.upperBounds.enumerated().map { i, bound in
            total += counts[i]
            return (bound, total)
        }
    }
}
