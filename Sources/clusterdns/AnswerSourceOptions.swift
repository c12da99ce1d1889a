import ArgumentParser
import Simulator

/// Where `simulate` and `explain` get their answers, and how they print: the options the two
/// commands share, declared once (`@OptionGroup`), so their names, help and checks cannot drift.
struct AnswerSourceOptions: ParsableArguments {
    @Option(help: "Send the queries to this server for real (IP[:PORT], [IPv6]:PORT).")
    var server: String?

    @Option(help: "The cluster's manifests: in-process answers come from them (explain also checks the name against them).")
    var manifests: String?

    @Option(help: "Answer in-process with this Corefile (default: a kubeadm-style cluster block).")
    var conf: String?

    @Option(help: "The cluster domain (default: the kubernetes block's zone, else cluster.local).")
    var zone: String?

    @Flag(help: "Print JSON (schemas in Docs/simulate.md and Docs/explain.md).")
    var json = false

    func validate() throws {
        if let server, ServerAddress(parsing: server) == nil {
            throw ValidationError("--server: '\(server)' is not IP, IPv4:PORT or [IPv6]:PORT")
        }
    }
}
