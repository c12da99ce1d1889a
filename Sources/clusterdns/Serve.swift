import ArgumentParser
import ControlHTTP
import Corefile
import KubernetesHTTP
import EventLoop
import Logging
import Plugins
import Server

#if canImport(Glibc)
import Glibc
#endif

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the DNS server.",
        discussion: """
            Loads the Corefile, starts its plugins, binds UDP and TCP listeners and serves until SIGTERM or \
            SIGINT. SIGHUP reloads the Corefile; an invalid new Corefile is reported and the running one keeps \
            serving.
            """
    )

    @Option(name: .long, help: "The Corefile to serve.")
    var conf: String = "Zones/Corefile"

    @Option(name: .long, help: "Manifest directory for a `kubernetes` block that names no source.")
    var manifests: String?

    @Option(name: .long, help: "Worker threads (default: the cgroup CPU quota rounded up, else one per online CPU).")
    var workers: Int?

    @Option(name: .long, help: ArgumentHelp(
        "After binding the listeners, become this user for good (NAME, UID or UID:GID).",
        discussion: "Needs root at start; the groups become the user's own."))
    var user: String?

    @Option(name: .customLong("max-tcp-connections"), help: "Open TCP connections before the longest-idle is closed.")
    var maxTCPConnections: Int = 10_000

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "info"

    func validate() throws {
        if let workers, !(1...256).contains(workers) {
            throw ValidationError("--workers must be between 1 and 256, not \(workers)")
        }
        guard (1...1_000_000).contains(maxTCPConnections) else {
            throw ValidationError("--max-tcp-connections must be between 1 and 1000000")
        }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
    }

    func run() throws {
        // Before any thread exists, so every thread inherits the mask and signals reach the signalfd.
        Signals.blockProcessSignalsInCurrentThread()
        Signals.ignoreSIGPIPE()
        Serve.raiseOpenFileLimit()
        MemoryPolicy.apply()
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "clusterdns")
        let configuration: ServerConfiguration
        do {
            configuration = try DNSServer.loadConfiguration(path: conf, manifestsDirectory: manifests)
        } catch {
            printError("\(error)")
            throw ExitCode(1)
        }
        for warning in configuration.corefile.warnings { logger.warning("\(warning)") }
        var drop: PrivilegeDrop?
        if let user {
            do {
                drop = try PrivilegeDrop.resolve(user)
            } catch {
                printError("\(error)")
                throw ExitCode(1)
            }
        }
        let cores = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        let limits = ResourceLimits.detect()
        let sizing = limits.defaultWorkers(onlineCPUs: cores)
        let workerCount = workers ?? sizing.count
        logger.info("workers=\(workerCount) (\(workers == nil ? sizing.source : "--workers"))")
        var options = ServerOptions(corefilePath: conf, manifestsDirectory: manifests,
                                    workers: workerCount, logger: logger)
        options.privilegeDrop = drop
        if let memory = limits.memory, let budget = limits.cacheBudget(workers: workerCount) {
            options.cacheMemoryBudget = budget
            logger.info("cache memory budget=\(budget) bytes (\(memory.kind) \(memory.bytes) at \(memory.directory))")
        }
        options.drainTimeout = .seconds(5)
        options.maxTCPConnections = maxTCPConnections
        // The HTTP endpoints of health/ready/prometheus run on the host's own threads, made now —
        // after the signals were blocked above, so they inherit the mask.
        // The Kubernetes API source's HTTP client is handed in the same way (KubernetesHTTP).
        options.controlPlane = ControlPlane(endpoints: ControlHTTPHost(logger: logger), apiTransports: AsyncHTTPTransportFactory(),
                                            version: BuildInfo.version)
        let server: DNSServer
        do {
            server = try DNSServer(configuration: configuration, options: options)
        } catch {
            printError("\(error)")
            throw ExitCode(1)
        }
        let code = server.run()
        if code != 0 { throw ExitCode(code) }
    }
}

extension Serve {
    /// Raises the soft limit on open files to the hard limit: every TCP client and every
    /// outstanding upstream exchange holds a descriptor, and the default soft limit (1024) is
    /// below kubeadm's `max_concurrent 1000` plus the listeners.
    static func raiseOpenFileLimit() {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
}

/// Writes a line to standard error (for errors a person reads, not logs).
func printError(_ message: String) {
    let line = message + "\n"
    _ = line.withCString { write(2, $0, strlen($0)) }
}
