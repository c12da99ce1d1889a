import ArgumentParser
import NodeCache

#if canImport(Glibc)
import Glibc
#endif

/// The `clusterdns` command: a Kubernetes cluster-DNS server and the tools around it.
@main
struct ClusterDNS: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clusterdns",
        abstract: "A Kubernetes cluster-DNS server (a CoreDNS replacement) and the tools to understand it.",
        version: BuildInfo.version,
        subcommands: [Serve.self, NodeCacheCommand.self, Check.self, Simulate.self, Explain.self, Version.self]
    )

    /// Parses the command line, first rewriting `node-cache`'s Go-style flags (`-localip …`, as
    /// node-cache's DaemonSets pass them) into that command's options.
    static func main() {
        var arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.first == "node-cache" {
            do {
                arguments = ["node-cache"] + (try NodeCacheArguments.translate(Array(arguments.dropFirst())))
            } catch {
                printError("Error: \(error)")
                Glibc.exit(64)
            }
        }
        main(arguments)
    }
}

/// Version and build facts, shared by `version`, `--version` and the `coredns_build_info` metric.
enum BuildInfo {
    static let version = "0.1.0"
}
