import Corefile

/// `timeouts { idle DURATION }`: how long a TCP connection may stay silent before the server
/// closes it (RFC 7766 §6.2.3), default 10 s, between 1 s and 24 h as CoreDNS allows. CoreDNS's
/// `read` and `write` are not separate timers here (a stalled reader or writer is idle), so they
/// are refused rather than silently ignored.
public final class TimeoutsPlugin: PluginFactory, TCPSettingsProvider, @unchecked Sendable {
    // @unchecked: immutable after setup.
    public let name = "timeouts"
    public let tcpIdleTimeout: Duration?

    init(idle: Duration?) { tcpIdleTimeout = idle }

    public func makeHandler(worker: WorkerContext) -> (any PluginHandler)? { nil }

    public static let setup: PluginSetupFunction = { (directive, _) throws(CorefileError) in
        try directive.noArguments()
        guard !directive.properties.isEmpty else { throw directive.error("expected a block with 'idle DURATION'") }
        var idle: Duration? = nil
        for property in directive.properties {
            switch property.name {
            case "idle":
                try property.requireArguments(exactly: 1)
                idle = try property.duration(at: 0, in: .seconds(1)...Duration.seconds(86_400))
            case "read", "write":
                throw property.error("not supported yet by ClusterDNS (the idle timeout covers stalled reads and writes)")
            default:
                throw property.unknownProperty()
            }
        }
        return TimeoutsPlugin(idle: idle)
    }
}
