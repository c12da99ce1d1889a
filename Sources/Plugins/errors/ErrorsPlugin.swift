import Corefile
import DNSWire
import Logging
import Synchronization

/// `errors`: logs every query that failed (a plugin said why with `Request.fail`, or no plugin
/// answered and the engine wrote SERVFAIL) once, on standard output, as CoreDNS does:
///
///     [ERROR] plugin/errors: 2 example.org. A: plugin/log: no next plugin found
///
/// that is the response code as a number, the query name and type, and the failure's text.
/// `consolidate` lines count failures whose text matches an expression and print one summary
/// per period instead (`3 errors like '…' occurred in last 30s`).
///
/// Like CoreDNS, a response code alone is not an error: a SERVFAIL relayed from an upstream that
/// answered is not logged, only failures a plugin reports. The check runs in a response hook and
/// costs a nil test per query; the message is built only for a failure.
public final class ErrorsPlugin: PluginFactory, @unchecked Sendable {
    // @unchecked: `config`, `stream`, `patterns` are immutable; `minimumLevel` is an atomic.
    public let name = "errors"
    public let config: ErrorsConfig
    let stream: LogStream
    let patterns: [ConsolidationState]
    /// The server's `--log-level`, as `Logger.Level`'s raw order; lines below it are not printed.
    let minimumLevel = Atomic<UInt8>(ErrorsPlugin.rank(.info))

    public init(config: ErrorsConfig, stream: LogStream = .standardOutput) {
        self.config = config
        self.stream = stream
        patterns = config.consolidations.map { ConsolidationState($0) }
    }

    public func start(_ server: ServerContext) throws {
        minimumLevel.store(ErrorsPlugin.rank(server.logger.logLevel), ordering: .relaxed)
    }

    /// Prints what consolidation still holds (CoreDNS does the same on shutdown), then flushes.
    public func stop() {
        for pattern in patterns {
            if let summary = pattern.takeSummary(), shouldPrint(pattern.consolidation.level) {
                stream.writeLine(summary)
            }
        }
        stream.flush()
    }

    public func makeHandler(worker: WorkerContext) -> (any PluginHandler)? {
        ErrorsHandler(plugin: self, ring: stream.ring(forWorker: worker.index), worker: worker)
    }

    func shouldPrint(_ level: Logger.Level) -> Bool {
        ErrorsPlugin.rank(level) >= minimumLevel.load(ordering: .relaxed)
    }

    static func rank(_ level: Logger.Level) -> UInt8 {
        switch level {
        case .trace: 0
        case .debug: 1
        case .info: 2
        case .notice: 3
        case .warning: 4
        case .error: 5
        case .critical: 6
        }
    }

    /// CoreDNS's level prefixes.
    static func prefix(_ level: Logger.Level) -> StaticString {
        switch level {
        case .trace, .debug: "[DEBUG] "
        case .info, .notice: "[INFO] "
        case .warning: "[WARNING] "
        case .error, .critical: "[ERROR] "
        }
    }

    /// What to do with a failure's text: print it at a level, or count it for a summary.
    enum Disposition: Equatable {
        case print(Logger.Level)
        case consolidated
    }

    /// Matches `message` against the `consolidate` expressions, first match wins (CoreDNS's
    /// order). `scheduleSummary` is called with the pattern when its period starts.
    func dispose(of message: String, scheduleSummary: (ConsolidationState) -> Void) -> Disposition {
        for pattern in patterns where pattern.matches(message) {
            switch pattern.record() {
            case .firstOfPeriod:
                scheduleSummary(pattern)
                return pattern.consolidation.showFirst ? .print(pattern.consolidation.level) : .consolidated
            case .counted:
                return .consolidated
            }
        }
        return .print(.error)
    }
}

/// The `errors` plugin on one worker.
final class ErrorsHandler: PluginHandler {
    let plugin: ErrorsPlugin
    let ring: LogRing
    /// The worker's timers, for the consolidation summaries; nil in process.
    let services: (any WorkerServices)?

    init(plugin: ErrorsPlugin, ring: LogRing, worker: WorkerContext) {
        self.plugin = plugin
        self.ring = ring
        services = worker.services
    }

    func serve(_ request: Request, engine: QueryEngine) -> PluginResult {
        if request.route.transport != .internal { request.addResponseHook() }
        return .next
    }

    func responseWillBeSent(_ request: Request, response: inout ResponseView, engine: QueryEngine) {
        guard let failure = request.failure else { return }
        let message = failure.message(pluginNames: request.block.names)
        let disposition = plugin.dispose(of: message) { pattern in
            let ring = self.ring
            let plugin = self.plugin
            services?.schedule(after: pattern.consolidation.period) {
                // Runs on this worker's thread, so writing to its ring keeps one producer.
                guard let summary = pattern.takeSummary(), plugin.shouldPrint(pattern.consolidation.level) else { return }
                var text = summary
                var line = ring.beginLine()
                text.withUTF8 { line.append(UnsafeRawBufferPointer($0)) }
                ring.commit(&line)
            }
        }
        guard case .print(let level) = disposition, plugin.shouldPrint(level) else { return }
        var line = ring.beginLine()
        line.append(ErrorsPlugin.prefix(level))
        line.append("plugin/errors: ")
        line.appendDecimal(Int(response.rcode.rawValue))
        line.append(UInt8(ascii: " "))
        line.appendName(request.questionName)
        line.append(UInt8(ascii: " "))
        line.appendType(request.questionType)
        line.append(": ")
        var text = message
        text.withUTF8 { line.append(UnsafeRawBufferPointer($0)) }
        ring.commit(&line)
    }
}

/// The running count of one `consolidate` expression, shared by every worker.
final class ConsolidationState: Sendable {
    let consolidation: ErrorsConfig.Consolidation
    private let count = Atomic<UInt32>(0)

    init(_ consolidation: ErrorsConfig.Consolidation) {
        self.consolidation = consolidation
    }

    func matches(_ message: String) -> Bool {
        (try? consolidation.regex.firstMatch(in: message)) != nil
    }

    enum Recorded { case firstOfPeriod, counted }

    /// Counts one error; the first of a period starts the period.
    func record() -> Recorded {
        count.wrappingAdd(1, ordering: .relaxed).newValue == 1 ? .firstOfPeriod : .counted
    }

    /// Ends the period: the summary line to print, if any (none when nothing was counted, or when
    /// `show_first` printed the only one).
    func takeSummary() -> String? {
        let counted = count.exchange(0, ordering: .relaxed)
        guard counted > 0, counted > 1 || !consolidation.showFirst else { return nil }
        return "\(ErrorsPlugin.prefix(consolidation.level))plugin/errors: \(counted) errors like '\(consolidation.pattern)' occurred in last \(CorefileDuration.format(consolidation.period))"
    }
}
