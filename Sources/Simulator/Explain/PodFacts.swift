import DNSWire

/// A Pod as explain sees it.
public struct PodFacts: Sendable, Equatable {
    public var name: String
    public var namespace: String
    public var labels: [String: String]
    public var ips: [IPAddress]
    /// `status.phase`.
    public var phase: String
    /// The Ready condition, nil when unknown.
    public var ready: Bool?

    public init(name: String, namespace: String, labels: [String: String] = [:], ips: [IPAddress] = [],
                phase: String = "Running", ready: Bool? = true) {
        self.name = name
        self.namespace = namespace
        self.labels = labels
        self.ips = ips
        self.phase = phase
        self.ready = ready
    }

    /// True when every pair of `selector` is among the pod's labels.
    public func matches(_ selector: [String: String]) -> Bool {
        !selector.isEmpty && selector.allSatisfy { labels[$0.key] == $0.value }
    }
}
