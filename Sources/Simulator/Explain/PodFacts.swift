import DNSWire

/// A Pod as explain sees it.
package struct PodFacts: Sendable, Equatable {
    package var name: String
    package var namespace: String
    package var labels: [String: String]
    package var ips: [IPAddress]
    /// `status.phase`.
    package var phase: String
    /// The Ready condition, nil when unknown.
    package var ready: Bool?

    package init(name: String, namespace: String, labels: [String: String] = [:], ips: [IPAddress] = [],
                phase: String = "Running", ready: Bool? = true) {
        self.name = name
        self.namespace = namespace
        self.labels = labels
        self.ips = ips
        self.phase = phase
        self.ready = ready
    }

    /// True when every pair of `selector` is among the pod's labels.
    package func matches(_ selector: [String: String]) -> Bool {
        !selector.isEmpty && selector.allSatisfy { labels[$0.key] == $0.value }
    }
}
