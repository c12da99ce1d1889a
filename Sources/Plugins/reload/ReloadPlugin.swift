import Corefile

/// `reload [INTERVAL [JITTER]]`: the server checks the Corefile (and every file it imports) every
/// INTERVAL ± JITTER and reloads it when it changed; a broken new Corefile is reported and the
/// running one keeps serving. Defaults as CoreDNS: 30 s and 15 s; at least 2 s and 1 s; the
/// jitter at most half the interval. The server does the watching; this plugin only configures it.
public final class ReloadPlugin: PluginFactory, ReloadSettingsProvider, @unchecked Sendable {
    // @unchecked: immutable after setup.
    public let name = "reload"
    public let reloadInterval: Duration
    public let reloadJitter: Duration

    init(interval: Duration, jitter: Duration) {
        reloadInterval = interval
        reloadJitter = jitter
    }

    public func makeHandler(worker: WorkerContext) -> (any PluginHandler)? { nil }

    public static let setup: PluginSetupFunction = { (directive, _) throws(CorefileError) in
        try directive.requireArguments(max: 2)
        try directive.noBlock()
        var interval: Duration = .seconds(30)
        var jitter: Duration = .seconds(15)
        if directive.argument(0) != nil {
            interval = try directive.duration(at: 0, in: .seconds(2)...Duration.seconds(86_400 * 365))
            jitter = interval / 2
        }
        if directive.argument(1) != nil {
            jitter = try directive.duration(at: 1, in: .seconds(1)...Duration.seconds(86_400 * 365))
        }
        guard jitter <= interval / 2 else {
            throw directive.error("jitter \(CorefileDuration.format(jitter)) is more than half the interval \(CorefileDuration.format(interval))")
        }
        return ReloadPlugin(interval: interval, jitter: jitter)
    }
}
