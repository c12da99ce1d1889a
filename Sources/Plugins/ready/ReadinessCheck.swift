/// Decides what `/ready` answers from the plugins of the running server blocks.
///
/// As in CoreDNS, only blocks that enable `ready` report into it, and a plugin reports through
/// `PluginFactory.notReadyReason`. With `monitor until-ready` a plugin that was ready once is
/// latched and not asked again (until a reload makes new plugins); with `continuously` every
/// check asks every plugin.
public struct ReadinessCheck: Sendable {
    /// A plugin that is not ready, and why.
    public struct NotReady: Sendable, Equatable {
        public let name: String
        public let reason: String
    }

    public let monitor: ReadyConfig.Monitor
    /// Plugins latched ready, by identity.
    private(set) var latched: [ObjectIdentifier] = []
    /// Keeps the latched plugins alive, so an identifier is never reused by a newer object.
    private var latchedObjects: [any PluginFactory] = []

    public init(monitor: ReadyConfig.Monitor) {
        self.monitor = monitor
    }

    /// The plugins not ready now, sorted by name; empty when ready. Blocks without `ready`
    /// are skipped.
    public mutating func evaluate(_ blocks: [ConfiguredBlock]) -> [NotReady] {
        var notReady: [NotReady] = []
        for block in blocks where block.factories.contains(where: { $0 is ReadyPlugin }) {
            for factory in block.factories {
                let id = ObjectIdentifier(factory)
                if latched.contains(id) { continue }
                if let reason = factory.notReadyReason {
                    if !notReady.contains(NotReady(name: factory.name, reason: reason)) {
                        notReady.append(NotReady(name: factory.name, reason: reason))
                    }
                } else if monitor == .untilReady {
                    latched.append(id)
                    latchedObjects.append(factory)
                }
            }
        }
        return notReady.sorted { $0.name != $1.name ? $0.name < $1.name : $0.reason < $1.reason }
    }

    /// What `/ready` answers for `notReady`: `200 OK`, or `503` with CoreDNS's body (the names,
    /// comma-separated) followed by one `name: reason` line per plugin.
    public static func response(_ notReady: [NotReady]) -> ControlResponse {
        guard !notReady.isEmpty else { return .text(200, "OK") }
        var names: [String] = []
        for entry in notReady where !names.contains(entry.name) { names.append(entry.name) }
        var body = names.joined(separator: ",")
        for entry in notReady { body += "\n\(entry.name): \(entry.reason)" }
        return .text(503, body)
    }
}
