import DNSWire

/// One endpoint address of a service (from its EndpointSlices).
package struct EndpointFacts: Sendable, Equatable {
    package var address: IPAddress
    package var hostname: String?
    /// `conditions.ready`; nil means unknown, which Kubernetes and CoreDNS treat as ready.
    package var ready: Bool?
    package var terminating: Bool
    /// `targetRef` of kind Pod: the pod's name.
    package var pod: String?
    package var node: String?

    package init(address: IPAddress, hostname: String? = nil, ready: Bool? = true, terminating: Bool = false,
                pod: String? = nil, node: String? = nil) {
        self.address = address
        self.hostname = hostname
        self.ready = ready
        self.terminating = terminating
        self.pod = pod
        self.node = node
    }

    /// What CoreDNS counts: ready unless explicitly not (nil counts as ready, PR #4632).
    package var countsAsReady: Bool { ready != false }

    /// The name CoreDNS gives the endpoint: its hostname, else its dashed IP.
    package var dnsName: String {
        if let hostname { return hostname }
        switch address {
        case .v4(let v4): return v4.description.replacingOccurrences(".", "-")
        case .v6(let v6):
            let dashed = v6.description.replacingOccurrences(":", "-")
            return dashed.hasSuffix("-") ? dashed + "0" : dashed
        }
    }
}
