import ArgumentParser

/// The `clusterdns` command: a Kubernetes cluster-DNS server and the tools around it.
@main
struct ClusterDNS: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clusterdns",
        abstract: "A Kubernetes cluster-DNS server (a CoreDNS replacement) and the tools to understand it.",
        version: BuildInfo.version,
        subcommands: [Serve.self, Check.self, Simulate.self, Explain.self, Version.self]
    )
}

/// Version and build facts, shared by `version`, `--version` and the `coredns_build_info` metric.
enum BuildInfo {
    static let version = "0.1.0"
}
