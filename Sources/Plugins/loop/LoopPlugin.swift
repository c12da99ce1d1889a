import Corefile
import DNSWire
import SystemCalls
import Logging
import Synchronization

/// `loop`: finds forwarding loops at start-up and stops the server when there is one, as
/// CoreDNS's loop plugin does.
///
/// Once the server serves, a control-plane thread sends `HINFO <random>.<random>.<zone>` to the
/// server's own listen address (retrying once a second for up to 30 s until an exchange
/// completes). The handler, which sits just before `forward` in the chain, counts how often it
/// sees that name. Seen more than twice means the query went upstream and came back to us:
/// the server exits non-zero with a message naming the addresses and this block's upstreams,
/// instead of melting under a query that circles forever. Two seconds after the probe got an
/// answer the check switches itself off; from then on the handler costs one comparison of the
/// query type per query.
///
/// Only loops that exist at start-up (or reload) are found, and only for this probe — CoreDNS's
/// limits too. The usual cause in Kubernetes is a node whose /etc/resolv.conf names a local stub
/// resolver (systemd-resolved's 127.0.0.53) that `forward . /etc/resolv.conf` then points back at
/// CoreDNS's own pod. See Docs/plugins/loop.md for the fix.
public final class LoopPlugin: PluginFactory, Sendable {
    public let name = "loop"
    /// The first zone of the server block (CoreDNS uses the first server block key).
    public let zone: DomainName
    /// `<random>.<random>.<zone>`, unguessable so no client can trip the check.
    public let probeName: DomainName
    let probeWire: [UInt8]
    let port: UInt16
    /// The TO addresses of this block's `forward` directives, for the message.
    let upstreams: [String]

    let seen = Atomic<Int>(0)
    let disabled = Atomic<Bool>(false)
    let reported = Atomic<Bool>(false)
    private let server = Mutex<ServerContext?>(nil)
    private let targetDescription = Mutex<String>("")

    init(zone: DomainName, port: UInt16, upstreams: [String]) {
        self.zone = zone
        self.port = port
        self.upstreams = upstreams
        var system = SystemRandomNumberGenerator()
        let first = String(system.next() >> 2)   // a random 62-bit integer, as CoreDNS's labels
        let second = String(system.next() >> 2)
        if let name = try? zone.prepending(Array(second.utf8)).prepending(Array(first.utf8)) {
            probeName = name
        } else {
            // A zone within 40 octets of the 255-octet limit leaves no room for the probe labels:
            // no check rather than a probe name clients could send.
            probeName = zone
            disabled.store(true, ordering: .relaxed)
        }
        probeWire = probeName.lowercased().wire
    }

    public static let setup: PluginSetupFunction = { (directive, block) throws(CorefileError) in
        try directive.noArguments()
        try directive.noBlock()
        var upstreams: [String] = []
        for forward in block.block.directives where forward.name == "forward" {
            // The forward plugin reports its own errors; here only the addresses matter.
            if let config = try? ForwardConfig.parse(forward, baseDirectory: block.baseDirectory) {
                upstreams += config.upstreams.map(\.description)
            }
        }
        return LoopPlugin(zone: block.zones.first ?? .root, port: block.port, upstreams: upstreams)
    }

    public func makeHandler(worker: WorkerContext) -> (any PluginHandler)? { LoopHandler(plugin: self) }

    public func start(_ context: ServerContext) throws {
        server.withLock { $0 = context }
        let target = LoopPlugin.probeTarget(listeners: context.listeners, port: port)
        targetDescription.withLock { $0 = target.description }
        guard let network = context.network else {
            context.logger.warning("loop: no control-plane thread; loop detection is off")
            disabled.store(true, ordering: .releasing)
            return
        }
        LoopProbe(settings: LoopProbeSettings(plugin: self, target: target), network: network).start()
    }

    public func stop() { disabled.store(true, ordering: .releasing) }

    /// Where the probe goes: this block's listener, a wildcard replaced by loopback (127.0.0.1 for
    /// 0.0.0.0, ::1 for ::), IPv4 preferred.
    static func probeTarget(listeners: [ServerContext.Listener], port: UInt16) -> SocketAddress {
        let mine = listeners.filter { $0.port == port }
        let chosen = mine.first { if case .v4 = $0.address { true } else { false } } ?? mine.first
        guard let chosen else { return .ipv4Loopback(port: port) }
        switch chosen.address {
        case .v4(let a):
            return a.rawValue == 0 ? .ipv4Loopback(port: port) : SocketAddress(ipv4: a.octets, port: port)
        case .v6(let a):
            if a.high == 0 && a.low == 0 { return .ipv6Loopback(port: port) }
            let bytes = (0..<16).map { a.octet($0) }
            return bytes.withUnsafeBytes { SocketAddress(ipv6: $0, port: port) }
        }
    }

    /// The probe came back more than twice: stop the server with a message a person can act on.
    func loopDetected(from peer: String) {
        guard !reported.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let target = targetDescription.withLock { $0 }
        var message = "Loop (\(peer) -> \(target)) detected for zone \"\(zone)\", see https://coredns.io/plugins/loop#troubleshooting. Query: \"HINFO \(probeName)\""
        if !upstreams.isEmpty {
            message += ". This block forwards to \(upstreams.joined(separator: ", ")), which sends queries back to this server"
            message += " (a node resolv.conf naming a local stub such as systemd-resolved's 127.0.0.53 does this)"
        }
        server.withLock { $0 }?.fatal(message)
    }

    /// True once the check has switched itself off (or was stopped).
    var isDisabled: Bool { disabled.load(ordering: .acquiring) }

    /// Switches the check off for good: from now on the handler passes every query on.
    func disable() { disabled.store(true, ordering: .releasing) }

    /// An exchange of the probe failed: start counting afresh, as CoreDNS does.
    func resetCount() { seen.store(0, ordering: .relaxed) }
}

/// The loop check on each worker: counts the probe name, nothing else.
final class LoopHandler: PluginHandler {
    let plugin: LoopPlugin

    init(plugin: LoopPlugin) { self.plugin = plugin }

    /// - Complexity: one type comparison per query once the check is off. Allocation-free.
    func serve(_ request: Request, engine: QueryEngine) -> PluginResult {
        guard request.questionType == .hinfo, !plugin.disabled.load(ordering: .relaxed) else { return .next }
        let matches = plugin.probeWire.withUnsafeBytes { WireName.equalIgnoringCase(request.questionName, $0) }
        guard matches else { return .next }
        let count = plugin.seen.add(1, ordering: .relaxed).newValue
        if count > 2 {
            plugin.loopDetected(from: "\(request.route.peerAddress):\(request.route.peerPort)")
            // Stop the circling query here rather than forward it once more.
            request.respond(rcode: .serverFailure)
            return .answered
        }
        return .next
    }
}
