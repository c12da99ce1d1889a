import ArgumentParser

@main
struct ClusterDNS: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clusterdns",
        abstract: "A Kubernetes cluster-DNS server.",
        version: "0.1.0"
    )
}
