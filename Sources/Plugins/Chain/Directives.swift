import Corefile
import DNSWire

/// Turns one Corefile directive into a configured plugin. Pure: it validates and builds the
/// factory; side effects (watchers, sockets) wait for `PluginFactory.start`.
public typealias PluginSetupFunction = @Sendable (Directive, BlockSetup) throws(CorefileError) -> any PluginFactory

/// A directive this server implements.
public struct DirectiveSpec: Sendable {
    public let setup: PluginSetupFunction
    /// CoreDNS allows some plugins several times per server block (`log`, `rewrite`, `bind`).
    public let allowsMultiple: Bool

    public init(allowsMultiple: Bool = false, setup: @escaping PluginSetupFunction) {
        self.setup = setup
        self.allowsMultiple = allowsMultiple
    }
}

/// The one ordered list of plugins (CoreDNS's `plugin.cfg`): a query meets plugins in this order,
/// whatever order the Corefile lists them in. So `cache` sits before `kubernetes` and `forward`
/// is last, for the stock kubeadm Corefile as for any other.
public enum Directives {
    /// CoreDNS 1.12 `plugin.cfg` (plus ClusterDNS's own `cookie`, among the server-wide
    /// settings before `nsid`), including plugins this server does not implement, so their
    /// position is known and they can be reported as unsupported rather than unknown.
    public static let order: [String] = [
        "metadata", "geoip", "cancel", "tls", "quic", "timeouts", "multisocket", "reload", "cookie", "nsid", "bufsize", "root",
        "bind",
        "debug", "trace", "ready", "health", "pprof", "prometheus", "errors", "log", "dnstap", "local", "dns64",
        "acl", "any", "chaos", "loadbalance", "tsig", "cache", "rewrite", "header", "dnssec", "autopath",
        "minimal", "template", "transfer", "hosts", "route53", "azure", "clouddns", "k8s_external",
        "kubernetes", "file", "auto", "secondary", "etcd", "loop", "forward", "grpc", "erratic", "whoami",
        "on", "sign", "view",
    ]

    /// The directives this build implements.
    public static let implemented: [String: DirectiveSpec] = [
        "bind": DirectiveSpec(allowsMultiple: true, setup: BindPlugin.setup),
        "kubernetes": DirectiveSpec(setup: KubernetesConfig.setup),
        "forward": DirectiveSpec(allowsMultiple: true, setup: ForwardPlugin.setup),
        "loop": DirectiveSpec(setup: LoopPlugin.setup),
        "reload": DirectiveSpec(setup: ReloadPlugin.setup),
        "timeouts": DirectiveSpec(setup: TimeoutsPlugin.setup),
        "cookie": DirectiveSpec(setup: CookieConfig.setup),
        "whoami": DirectiveSpec(setup: WhoamiPlugin.setup),
        "file": DirectiveSpec(allowsMultiple: true, setup: FileConfig.setup),
        "hosts": DirectiveSpec(setup: HostsConfig.setup),
        "acl": DirectiveSpec(allowsMultiple: true, setup: ACLPlugin.setup),
        "any": DirectiveSpec(setup: AnyPlugin.setup),
        "loadbalance": DirectiveSpec(setup: LoadbalancePlugin.setup),
        "rewrite": DirectiveSpec(allowsMultiple: true, setup: RewriteConfig.setup),
        "cache": DirectiveSpec(setup: CacheConfig.setup),
        "autopath": DirectiveSpec(setup: AutopathConfig.setup),
        "log": DirectiveSpec(allowsMultiple: true, setup: LogConfig.setup),
        "errors": DirectiveSpec(setup: ErrorsConfig.setup),
        "health": DirectiveSpec(setup: HealthConfig.setup),
        "ready": DirectiveSpec(setup: ReadyConfig.setup),
        "prometheus": DirectiveSpec(setup: PrometheusConfig.setup),
        "transfer": DirectiveSpec(setup: TransferConfig.setup),
    ]

    /// Position of `name` in the plugin order.
    public static func rank(of name: String) -> Int? { order.firstIndex(of: name) }
}

/// What a plugin's setup knows about the server block it is configured in.
public struct BlockSetup: Sendable {
    public let block: ServerBlock
    /// The block's zones as names (lowercase, absolute).
    public let zones: [DomainName]
    public let port: UInt16
    /// `--manifests DIR` from the command line.
    public let manifestsDirectory: String?
    /// The Corefile's directory, for relative paths in plugin arguments (`hosts`, `file`).
    public let baseDirectory: String

    public init(block: ServerBlock, zones: [DomainName], port: UInt16, manifestsDirectory: String?, baseDirectory: String) {
        self.block = block
        self.zones = zones
        self.port = port
        self.manifestsDirectory = manifestsDirectory
        self.baseDirectory = baseDirectory
    }

    /// `path` as given when absolute, else relative to the Corefile's directory.
    public func resolve(_ path: String) -> String {
        path.hasPrefix("/") ? path : baseDirectory + "/" + path
    }
}
