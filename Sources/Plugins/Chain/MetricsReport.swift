/// Samples a plugin contributes to `/metrics`, gathered at scrape time.
///
/// Plugins keep their own counters (per worker, single-writer, like `BlockMetrics`) and, when the
/// `prometheus` plugin scrapes, describe them here; the `prometheus` plugin renders the report in
/// the Prometheus text format. Nothing here runs on the query path.
public protocol MetricsReporting: AnyObject, Sendable {
    /// Appends this plugin's samples. Called on the scraping thread.
    func reportMetrics(into report: inout MetricsReport)
}

/// A list of metric families with their samples, in the order they were added.
public struct MetricsReport: Sendable {
    public enum Kind: String, Sendable { case counter, gauge, histogram }

    public struct Sample: Sendable {
        public var labels: [(String, String)]
        public var value: Double
        /// For histograms: cumulative counts per upper bound (the `+Inf` bucket is implied by
        /// `count`), the sum and the count.
        public var buckets: [(upperBound: Double, count: UInt64)]
        public var sum: Double
        public var count: UInt64
    }

    public struct Family: Sendable {
        public let name: String
        public let help: String
        public let kind: Kind
        public var samples: [Sample]
    }

    public private(set) var families: [Family] = []

    public init() {}

    mutating func family(_ name: String, help: String, kind: Kind) -> Int {
        if let i = families.firstIndex(where: { $0.name == name }) { return i }
        families.append(Family(name: name, help: help, kind: kind, samples: []))
        return families.count - 1
    }

    /// Adds a counter sample; samples with equal labels under one name are summed by the renderer.
    public mutating func counter(_ name: String, help: String, labels: [(String, String)] = [], value: Double) {
        let i = family(name, help: help, kind: .counter)
        families[i].samples.append(Sample(labels: labels, value: value, buckets: [], sum: 0, count: 0))
    }

    public mutating func gauge(_ name: String, help: String, labels: [(String, String)] = [], value: Double) {
        let i = family(name, help: help, kind: .gauge)
        families[i].samples.append(Sample(labels: labels, value: value, buckets: [], sum: 0, count: 0))
    }

    /// Adds a histogram: `buckets` are cumulative counts for each finite upper bound.
    public mutating func histogram(_ name: String, help: String, labels: [(String, String)] = [],
                                   buckets: [(upperBound: Double, count: UInt64)], sum: Double, count: UInt64) {
        let i = family(name, help: help, kind: .histogram)
        families[i].samples.append(Sample(labels: labels, value: 0, buckets: buckets, sum: sum, count: count))
    }
}
