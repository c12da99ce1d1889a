import ArgumentParser
import DNSWire
import Foundation
import Simulator

struct Explain: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Explain in words why a cluster name resolves the way it does.",
        discussion: """
            Reads the name like the kubernetes plugin does (service, endpoint, SRV port, pod, namespace…), \
            checks the cluster for it (namespace, service, type, ports, endpoints and the pods behind them, \
            selector), then shows the server's actual answer: in-process from --manifests DIR or --conf \
            COREFILE (default: the example cluster), or from a real server with --server. Exit status: 0 no \
            problem found, 3 problems found, 1 bad input. See Docs/explain.md.
            """
    )

    @Argument(help: "The full name, e.g. web-app.production.svc.cluster.local.")
    var name: String

    @OptionGroup var source: AnswerSourceOptions

    func validate() throws {
        if source.server != nil && source.conf != nil {
            throw ValidationError("--server asks a real server; --conf answers in-process: choose one")
        }
        if (try? DomainName(name)) == nil { throw ValidationError("'\(name)' is not a valid DNS name") }
    }

    func run() throws {
        guard let domain = try? DomainName(name) else { throw ExitCode(1) }
        let (server, manifests, conf, zone) = (source.server, source.manifests, source.conf, source.zone)
        var resolver: (any Resolver)? = nil
        var zoneText = zone
        if let server, let address = ServerAddress(parsing: server) {
            resolver = NetworkResolver(server: address)
        } else {
            do {
                let inProcess = try InProcessSource(manifests: manifests, conf: conf, zone: zone).make()
                if zoneText == nil { zoneText = inProcess.clusterZone?.description }
                resolver = inProcess
            } catch {
                // Explain still reads the name without a server; say why there is no answer.
                printError("no DNS answer: \(error)")
            }
        }
        guard let clusterZone = try? DomainName(zoneText ?? "cluster.local") else {
            printError("--zone: '\(zoneText ?? "")' is not a valid DNS name")
            throw ExitCode(1)
        }
        var facts: (any ClusterFacts)? = nil
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments.first ?? ""
        if let directory = manifests ?? (server == nil && conf == nil ? ExampleCluster.locate(executable: executable) : nil) {
            do {
                facts = try SnapshotFacts.load(directory: directory)
            } catch {
                printError("\(error)")
                throw ExitCode(1)
            }
        }
        let explanation = Explainer.explain(domain, zone: clusterZone, facts: facts, resolver: resolver)
        if source.json {
            print(explanation.json().serialized())
        } else {
            print(explanation.text(), terminator: "")
        }
        if !explanation.problems.isEmpty { throw ExitCode(3) }
    }
}
