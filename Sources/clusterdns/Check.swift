import ArgumentParser
import Corefile
import Plugins
import Server

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate a Corefile and print its server blocks and plugin chains.",
        discussion: "Exits non-zero, naming file:line, when the Corefile has an error. Nothing is bound or started."
    )

    @Option(name: .long, help: "The Corefile to check.")
    var conf: String = "Zones/Corefile"

    @Option(name: .long, help: "Manifest directory a `kubernetes` block without a source would read.")
    var manifests: String?

    func run() throws {
        do {
            let configuration = try DNSServer.loadConfiguration(path: conf, manifestsDirectory: manifests)
            for warning in configuration.corefile.warnings { printError("\(warning)") }
            print(configuration.summary)
            print("\(conf): OK")
        } catch {
            printError("\(error)")
            throw ExitCode(1)
        }
    }
}
