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
    struct CompiledRule {
        let scope: [UInt8]
        let rule: LogRule
    }

    let rules: [CompiledRule]
    let ring: LogRing

    init(rules: [LogRule], ring: LogRing) {
        self.rules = rules.map { CompiledRule(scope: $0.scope.wire, rule: $0) }
        self.ring = ring
    }

    func serve(_ request: Request, engine: QueryEngine) -> PluginResult {
        if request.route.transport != .internal && matchingRule(request.questionName) != nil {
            request.addResponseHook()
        }
        return .next
    }

    func responseWillBeSent(_ request: Request, response: inout ResponseView, engine: QueryEngine) {
        guard let index = matchingRule(request.questionName) else { return }
        let rule = rules[index].rule
        var type = ResponseType.noError
        if !rule.logsAll || rule.format.needsResponseClass {
            type = ResponseClassifier.type(of: response.bytes, queryType: request.questionType)
            if !rule.logsAll && !rule.classes.contains(type.responseClass) { return }
        }
        var line = ring.beginLine()
        line.append("[INFO] ")
        LogHandler.write(rule.format, request: request, response: response, type: type, into: &line)
        ring.commit(&line)
    }

    /// The first rule whose scope is `name` or one of its ancestors.
    /// - Complexity: O(rules × name length). Allocation-free.
    @inline(__always)
    func matchingRule(_ name: UnsafeRawBufferPointer) -> Int? {
        for (i, compiled) in rules.enumerated() {
            let scope = compiled.scope
            if scope.count == 1 { return i }      // the root covers every name
            guard scope.count <= name.count else { continue }
            let offset = name.count - scope.count
            guard ZoneTable.isLabelBoundary(name, offset) else { continue }
            let matches = scope.withUnsafeBytes { WireName.equalIgnoringCase(UnsafeRawBufferPointer(rebasing: name[offset...]), $0) }
            if matches { return i }
        }
        return nil
    }

    /// Writes one line of `format` for `request` and its `response`. Allocation-free.
    static func write(_ format: LogFormat, request: Request, response: ResponseView, type: ResponseType,
                      into line: inout LogLine) {
        let bytes = response.bytes
        for field in format.fields {
            switch field {
            case .literal(let text):
                text.withUnsafeBytes { line.append($0) }
            case .type:
                line.appendType(request.questionType)
            case .name:
                line.appendName(request.questionName)
            case .queryClass:
                line.appendClass(request.questionClass)
            case .proto:
                line.append(request.route.transport == .tcp ? "tcp" : "udp")
            case .size:
                line.appendDecimal(request.packet.count)
            case .remote:
                line.appendBracketed(request.route.peerAddress)
            case .port:
                line.appendDecimal(UInt64(request.route.peerPort))
            case .local:
                line.appendBracketed(request.route.localAddress)
            case .id:
                line.appendDecimal(UInt64(request.query.header.id))
            case .opcode:
                line.appendDecimal(UInt64(request.query.header.opcode.rawValue))
            case .dnssecOK:
                line.append(request.dnssecOK ? "true" : "false")
            case .bufferSize:
                if request.route.transport == .tcp {
                    line.appendDecimal(UInt64(65_535))
                } else {
                    line.appendDecimal(UInt64(max(512, request.query.edns.map { Int($0.udpPayloadSize) } ?? 0)))
                }
            case .rcode:
                if bytes.count >= Header.size {
                    line.appendRcode(Int(bytes[3] & 0x0F))
                } else {
                    line.append("-")
                }
            case .responseSize:
                line.appendDecimal(bytes.count)
            case .duration:
                line.appendSeconds(nanoseconds: monotonicNanoseconds() &- request.receivedAt)
            case .responseFlags:
                if bytes.count >= Header.size { line.appendFlags(bytes[2], bytes[3]) } else { line.append("-") }
            case .responseClass:
                line.append(type.responseClass.name)
            case .responseType:
                line.append(type.name)
            case .metadata:
                line.append("-")
            }
        }
    }
}
