import DNSWire
import Logging
import Synchronization

/// `log`: one line per query on standard output, in CoreDNS's Common Log Format by default:
///
///     [INFO] 127.0.0.1:52714 - 40120 "A IN example.org. udp 40 false 1232" NOERROR qr,aa,rd 62 0.000085s
///
/// The line is written by the worker straight into its own `LogRing` (no lock, no allocation) from
/// a response hook, so it sees the final response; `LogStream`'s thread writes it out. A full
/// ring drops lines rather than slowing the worker (`clusterdns_log_dropped_lines_total`).
///
/// Lines are `[INFO]` lines: `serve --log-level warning` (or higher) turns them off.
/// Subrequests and background refreshes are not logged (CoreDNS logs its internal lookups too,
/// with the client's address; here only what a client asked is).
public final class LogPlugin: PluginFactory, @unchecked Sendable {
    // @unchecked: `config` and `stream` are immutable; `enabled` is an atomic.
    public let name = "log"
    public let config: LogConfig
    let stream: LogStream
    /// Off when the server's log level is above info; set by `start`, read by `makeHandler`.
    let enabled = Atomic<Bool>(true)

    public init(config: LogConfig, stream: LogStream = .standardOutput) {
        self.config = config
        self.stream = stream
    }

    public func start(_ server: ServerContext) throws {
        enabled.store(server.logger.logLevel <= .info, ordering: .relaxed)
    }

    public func stop() {
        stream.flush()
    }

    public func makeHandler(worker: WorkerContext) -> (any PluginHandler)? {
        guard config.isPrimary, !config.rules.isEmpty, enabled.load(ordering: .relaxed) else { return nil }
        return LogHandler(rules: config.rules, ring: stream.ring(forWorker: worker.index))
    }
}

/// The `log` plugin on one worker.
final class LogHandler: PluginHandler {
    let rules: CompiledLogRules
    let ring: LogRing

    init(rules: [LogRule], ring: LogRing) {
        self.rules = CompiledLogRules(rules)
        self.ring = ring
    }

    func serve(_ request: Request, engine: QueryEngine) -> PluginResult {
        if request.route.transport != .internal && rules.match(request.questionName) != nil {
            request.addResponseHook()
        }
        return .next
    }

    func responseWillBeSent(_ request: Request, response: inout ResponseView, engine: QueryEngine) {
        guard let index = rules.match(request.questionName) else { return }
        let rule = rules.rules[index]
        let bytes = response.bytes
        var type = ResponseType.noError
        if !rule.logsAll || rule.needsClass {
            type = ResponseClassifier.type(of: bytes, queryType: request.query.type)
            if !rule.logsAll && rule.classes & (1 << type.responseClass.rawValue) == 0 { return }
        }
        var line = ring.beginLine()
        line.append("[INFO] ")
        rules.write(rule: index, request: request, response: bytes, type: type, into: &line)
        ring.commit(&line)
    }
}
