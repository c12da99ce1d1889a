import ArgumentParser
import ControlHTTP
import Corefile
import DNSWire
import EventLoop
import Foundation
import Logging
import NodeCache
import Plugins
import Server

/// `clusterdns node-cache`: the per-node tier (NodeLocal DNSCache, KEP-1024) in the same binary as
/// the cluster tier.
///
/// A subcommand rather than a Corefile profile, because what a node cache adds lies outside any
/// Corefile: the local interface and its addresses, the conntrack bypass rules and their teardown,
/// and the cluster tier's address, which only the pod's environment knows. The DNS side is an
/// ordinary Corefile (node-cache's template, rendered and written to `--corefile`) served by the
/// same server and plugins as `clusterdns serve`. It holds no Kubernetes state and opens no API
/// watch. node-cache's own flags (`-localip`, `-conf`, `-upstreamsvc`, …) are accepted as the stock
/// DaemonSet passes them (`NodeCacheArguments`).
struct NodeCacheCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node-cache",
        abstract: "Run as the per-node DNS cache (a NodeLocal DNSCache / k8s-dns-node-cache replacement).",
        discussion: """
            Puts the local IPs on a dummy interface, renders the Corefile template (the node-local-dns \
            ConfigMap, or a built-in one) with node-cache's __PILLAR__ placeholders, serves it, installs \
            NOTRACK/ACCEPT iptables rules for the local IPs once serving, re-ensures interface and rules \
            every --sync-interval, and removes both on SIGTERM unless --skip-teardown. node-cache's \
            single-dash flags (-localip, -conf, -upstreamsvc, -skipteardown, ...) are accepted too.
            """
    )

    @Option(name: .customLong("local-ip"), help: "Comma-separated addresses to listen on (node-cache's -localip).")
    var localIP: String = "169.254.20.10"

    @Option(name: .customLong("dns-port"), help: "The DNS port of the built-in Corefile and of the iptables rules.")
    var dnsPort: UInt16 = 53

    @Option(name: .customLong("health-port"), help: "The health port of the built-in Corefile and of the iptables rules.")
    var healthPort: UInt16 = 8080

    @Option(name: .customLong("interface-name"), help: "The dummy interface that holds the local IPs.")
    var interfaceName: String = "nodelocaldns"

    @Flag(name: .customLong("setup-interface"), inversion: .prefixedNo, help: "Create and keep the interface.")
    var setupInterface = true

    @Flag(name: .customLong("setup-iptables"), inversion: .prefixedNo, help: "Install and keep the iptables rules.")
    var setupIptables = true

    @Flag(name: .customLong("setup-ebtables"), help: ArgumentHelp("Not supported (node-cache's ebtables redirect).", visibility: .hidden))
    var setupEbtables = false

    @Flag(name: .customLong("skip-teardown"), help: "Leave the interface and the rules in place on exit.")
    var skipTeardown = false

    @Option(name: .customLong("sync-interval"), help: "How often interface and rules are re-ensured (seconds, or 60s, 1m).")
    var syncInterval: String = "60s"

    @Option(name: .customLong("initial-delay"), help: ArgumentHelp("Accepted for node-cache's command line; unused.", visibility: .hidden))
    var initialDelay: String?

    @Option(name: .customLong("basecorefile"), help: ArgumentHelp(
        "The Corefile template (the node-local-dns ConfigMap; default /etc/coredns/Corefile.base).",
        discussion: "Empty, or the default path absent: the built-in template."))
    var baseCorefile: String?

    @Option(name: .customLong("corefile"), help: "Where the rendered Corefile is written and served from (node-cache's -conf).")
    var corefile: String = "/etc/Corefile"

    @Option(name: .customLong("upstream-svc"), help: "The Service whose <NAME>_SERVICE_HOST is the cluster tier.")
    var upstreamService: String = "kube-dns-upstream"

    @Option(name: .customLong("cluster-dns"), help: "The cluster tier as IP[:PORT], instead of the Service's environment.")
    var clusterDNS: String?

    @Option(name: .customLong("cluster-domain"), help: "The cluster domain (__PILLAR__DNS__DOMAIN__).")
    var clusterDomain: String = "cluster.local"

    @Option(name: .customLong("upstream-servers"), help: "Where other names go (__PILLAR__UPSTREAM__SERVERS__): a resolv.conf path or addresses.")
    var upstreamServers: String = "/etc/resolv.conf"

    @Option(name: .customLong("metrics-address"), help: "The prometheus address of the built-in Corefile.")
    var metricsAddress: String = ":9253"

    @Option(name: .customLong("metrics-listen-address"), help: "Where node-cache's own setup metrics are served (empty: not served).")
    var metricsListenAddress: String = "0.0.0.0:9353"

    @Option(name: .customLong("pidfile"), help: "Write the process ID here once serving.")
    var pidfile: String?

    @Option(name: .customLong("kubednscm"), help: ArgumentHelp("Not supported (kube-dns ConfigMap stub domains).", visibility: .hidden))
    var kubeDNSConfigMap: String?

    @Flag(name: .customLong("print-corefile"), help: "Print the rendered Corefile and exit, touching neither links nor rules.")
    var printCorefile = false

    @Option(name: .long, help: "Worker threads (default: the cgroup CPU quota rounded up, else one per online CPU).")
    var workers: Int?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "info"

    static let defaultBaseCorefile = "/etc/coredns/Corefile.base"

    /// The local IPs, parsed; duplicates dropped.
    func parsedLocalIPs() throws(ValidationError) -> [IPAddress] {
        var addresses: [IPAddress] = []
        for part in localIP.split(separator: ",", omittingEmptySubsequences: false) {
            let text = part.trimmingCharacters(in: .whitespaces)
            guard let address = IPAddress(text) else { throw ValidationError("invalid --local-ip address '\(text)'") }
            if !addresses.contains(address) { addresses.append(address) }
        }
        return addresses
    }

    func validate() throws {
        _ = try parsedLocalIPs()
        guard !interfaceName.isEmpty, interfaceName.utf8.count <= 15,
              !interfaceName.contains(where: { $0 == "/" || $0 == ":" || $0.isWhitespace }) else {
            throw ValidationError("--interface-name must be 1 to 15 characters without '/', ':' or spaces")
        }
        guard let interval = NodeCacheArguments.parseDuration(syncInterval), interval >= .seconds(1) else {
            throw ValidationError("--sync-interval must be at least 1 second (seconds, or a duration such as 60s or 1m), not '\(syncInterval)'")
        }
        if let initialDelay, NodeCacheArguments.parseDuration(initialDelay) == nil {
            throw ValidationError("--initial-delay must be a duration, not '\(initialDelay)'")
        }
        guard dnsPort > 0, healthPort > 0 else { throw ValidationError("--dns-port and --health-port must be 1 to 65535") }
        if setupEbtables {
            throw ValidationError("--setup-ebtables (node-cache's -setupebtables) is not supported; see Docs/node-cache.md")
        }
        if let workers, !(1...256).contains(workers) {
            throw ValidationError("--workers must be between 1 and 256, not \(workers)")
        }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
        if !metricsListenAddress.isEmpty, case .failure(let error) = ControlAddress.parse(metricsListenAddress) {
            throw ValidationError("--metrics-listen-address: \(error)")
        }
    }

    func run() throws {
        Signals.blockProcessSignalsInCurrentThread()
        Signals.ignoreSIGPIPE()
        Serve.raiseOpenFileLimit()
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "clusterdns.node-cache")
        let localIPs = try parsedLocalIPs()
        if let kubeDNSConfigMap {
            logger.warning("--kubednscm is not supported: stub domains and upstream servers from the kube-dns ConfigMap are ignored",
                           metadata: ["path": .string(kubeDNSConfigMap)])
        }
        let errors = SetupErrors()
        ProcessMetricReporters.shared.register(errors)

        // The Corefile: the mounted template when there is one, else the built-in one.
        let templatePath: String?
        if let baseCorefile {
            templatePath = baseCorefile.isEmpty ? nil : baseCorefile
        } else if FileManager.default.fileExists(atPath: Self.defaultBaseCorefile) {
            templatePath = Self.defaultBaseCorefile
        } else {
            templatePath = nil
        }
        let rendered: NodeCacheCorefile
        do {
            let tier = try ClusterTier.target(override: clusterDNS, service: upstreamService,
                                              environment: ProcessInfo.processInfo.environment)
            let template = NodeCacheTemplate(localIPs: localIPs, clusterDNS: tier, upstreamServers: upstreamServers,
                                             clusterDomain: clusterDomain)
            if printCorefile {
                let probe = NodeCacheCorefile(
                    templatePath: templatePath,
                    builtIn: NodeCacheTemplate.builtIn(port: dnsPort, healthPort: healthPort, metricsAddress: metricsAddress),
                    template: template, outputPath: corefile)
                print(try probe.render(), terminator: "")
                return
            }
            rendered = NodeCacheCorefile(
                templatePath: templatePath,
                builtIn: NodeCacheTemplate.builtIn(port: dnsPort, healthPort: healthPort, metricsAddress: metricsAddress),
                template: template, outputPath: corefile)
            try rendered.sync()
            logger.info("Corefile rendered", metadata: [
                "template": .string(templatePath ?? "built-in"), "corefile": .string(corefile),
                "cluster-dns": .string(tier ?? "unset"),
            ])
        } catch {
            printError("node-cache: \(error)")
            throw ExitCode(1)
        }
        let configuration: ServerConfiguration
        do {
            configuration = try DNSServer.loadConfiguration(path: corefile, manifestsDirectory: nil)
        } catch {
            printError("\(error)")
            throw ExitCode(1)
        }
        for warning in configuration.corefile.warnings { logger.warning("\(warning)") }

        let syncEvery = NodeCacheArguments.parseDuration(syncInterval) ?? .seconds(60)
        let iptables = setupIptables
            ? IptablesRules(rules: IptablesRule.rules(localIPs: localIPs, port: dnsPort, healthPort: healthPort),
                            runner: ProcessCommandRunner(), errors: errors, logger: logger)
            : nil
        let networking = NodeNetworking(
            interface: setupInterface ? LocalInterface(name: interfaceName, addresses: localIPs) : nil,
            iptables: iptables, corefile: rendered, errors: errors, syncInterval: syncEvery, logger: logger)
        // Before binding: the server binds to the addresses this puts on the interface.
        networking.ensureInterface()

        let cores = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        let limits = ResourceLimits.detect()
        let sizing = limits.defaultWorkers(onlineCPUs: cores)
        let workerCount = workers ?? sizing.count
        var options = ServerOptions(corefilePath: corefile, manifestsDirectory: nil, workers: workerCount, logger: logger)
        if let budget = limits.cacheBudget(workers: workerCount) { options.cacheMemoryBudget = budget }
        options.drainTimeout = .seconds(5)
        let host = ControlHTTPHost(logger: logger)
        options.controlPlane = ControlPlane(endpoints: host, version: BuildInfo.version)
        var metricsToken: ControlEndpointToken?
        if !metricsListenAddress.isEmpty, case .success(let address) = ControlAddress.parse(metricsListenAddress) {
            do {
                metricsToken = try host.open("/metrics", on: address) {
                    ControlResponse(status: 200, contentType: MetricsExposition.contentType, body: Array(errors.exposition().utf8))
                }
            } catch {
                logger.error("node-cache metrics not served", metadata: ["error": "\(error)"])
            }
        }
        let pidfile = self.pidfile
        options.onServing = { _ in
            if let pidfile {
                do {
                    try "\(getpid())\n".write(toFile: pidfile, atomically: true, encoding: .utf8)
                } catch {
                    logger.error("pidfile not written", metadata: ["path": .string(pidfile), "error": "\(error)"])
                }
            }
            networking.start()
        }
        let code: Int32
        do {
            let server = try DNSServer(configuration: configuration, options: options)
            code = server.run()
        } catch {
            printError("\(error)")
            code = 1
        }
        networking.stop()
        if skipTeardown {
            logger.info("leaving the interface and iptables rules in place (--skip-teardown)")
        } else {
            networking.teardown()
        }
        if let metricsToken { host.close(metricsToken) }
        if let pidfile { unlink(pidfile) }
        if code != 0 { throw ExitCode(code) }
    }
}
