/// CoreDNS's metric names and help texts (`plugin/metrics/vars`), exactly, so dashboards and
/// alerts written for CoreDNS work unchanged; and ClusterDNS's own, under `clusterdns_`.
enum MetricNames {
    static let requests = "coredns_dns_requests_total"
    static let requestsHelp = "Counter of DNS requests made per zone, protocol and family."
    static let responses = "coredns_dns_responses_total"
    static let responsesHelp = "Counter of response status codes."
    static let duration = "coredns_dns_request_duration_seconds"
    static let durationHelp = "Histogram of the time (in seconds) each request took per zone."
    static let requestSize = "coredns_dns_request_size_bytes"
    static let requestSizeHelp = "Size of the EDNS0 UDP buffer in bytes (64K for TCP) per zone and protocol."
    static let responseSize = "coredns_dns_response_size_bytes"
    static let responseSizeHelp = "Size of the returned response in bytes."
    static let dnssecOK = "coredns_dns_do_requests_total"
    static let dnssecOKHelp = "Counter of DNS requests with DO bit set per zone."
    static let pluginEnabled = "coredns_plugin_enabled"
    static let pluginEnabledHelp = "A metric that indicates whether a plugin is enabled on per server and zone basis."
    static let buildInfo = "coredns_build_info"
    static let buildInfoHelp = "A metric with a constant '1' value labeled by version, revision, and goversion from which CoreDNS was built."
    static let panics = "coredns_panics_total"
    static let panicsHelp = "A metrics that counts the number of panics."
    static let reloadFailed = "coredns_reload_failed_total"
    static let reloadFailedHelp = "Counter of the number of failed reload attempts."

    /// The `zone` label of queries answered before any block ran.
    static let droppedZone = "dropped"

    /// Directives CoreDNS does not put in the plugin chain, hence never in `coredns_plugin_enabled`.
    static let notInChain: Set<String> = ["health", "ready", "reload", "bind", "debug", "root", "tls", "timeouts", "multisocket"]
}

/// The Swift compiler that built this binary, for `coredns_build_info{goversion}`.
enum SwiftVersion {
    static let text: String = {
        #if compiler(>=6.4)
        return "swift6.4"
        #elseif compiler(>=6.3)
        return "swift6.3"
        #elseif compiler(>=6.2)
        return "swift6.2"
        #elseif compiler(>=6.1)
        return "swift6.1"
        #else
        return "swift6.0"
        #endif
    }()
}
