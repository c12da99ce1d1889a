import ClusterRegistry
import Corefile
import DNSWire

/// How `pods` answers `a-b-c-d.<ns>.pod.<zone>` (CoreDNS's `pods` option).
public enum PodMode: String, Sendable {
    /// Always NXDOMAIN (CoreDNS's default).
    case disabled
    /// Any IP-shaped label in an existing namespace is answered with that IP.
    case insecure
    /// Only the IP of a running or pending pod in that namespace is answered.
    case verified
}

/// Where the `kubernetes` plugin's objects come from.
public enum KubernetesObjectSource: Sendable, Hashable {
    /// A manifest directory, watched with inotify (`manifests DIR` or `--manifests DIR`).
    case manifests(String)
    /// The Kubernetes API: in-cluster, `endpoint` (+ `tls`), or `kubeconfig`.
    case api(APIServerSettings)
}

/// The `kubernetes` block, typed. See Docs/plugins/kubernetes.md for every option.
public struct KubernetesConfig: Sendable {
    /// The zones the plugin answers for, lowercase; forward zones and reverse zones.
    public var zones: [DomainName]
    /// The first forward zone: PTR targets and SRV targets live there.
    public var primaryZone: DomainName
    /// Where objects come from.
    public var source: KubernetesObjectSource
    /// The manifest directory, when objects come from one (absolute).
    public var manifests: String? {
        if case .manifests(let path) = source { return path }
        return nil
    }
    /// How long `serve` waits for the API's first sync before answering anyway (cluster names
    /// answer SERVFAIL until then). CoreDNS: 5 s. Manifests load before serving, so it does not
    /// apply to them.
    public var startupTimeout: Duration = .seconds(5)
    public var namespaces: Set<String>? = nil
    public var namespaceLabels: LabelSelector? = nil
    public var labels: LabelSelector? = nil
    public var pods: PodMode = .disabled
    public var endpointPodNames = false
    /// TTL of every record but `dns-version` (28800) and the SOA (min(ttl, 300)). CoreDNS: 5.
    public var ttl: UInt32 = 5
    public var noEndpoints = false
    /// Zones in which an NXDOMAIN passes the query to the next plugin; nil when off, and the
    /// plugin's zones when `fallthrough` names none.
    public var fallthroughZones: [DomainName]? = nil
    public var ignoreEmptyService = false

    /// CoreDNS's defaults for `zones` (lowercased; the first forward zone is primary), objects
    /// from `manifests`: for embedding the plugin (benchmarks, in-process tools). A Corefile goes
    /// through `setup`. Nil when no zone is a forward zone.
    public init?(zones: [DomainName], manifests: String) {
        let lowered = zones.map { $0.lowercased() }
        guard let primary = lowered.first(where: { !KubernetesConfig.isReverse($0) }) else { return nil }
        self.init(zones: lowered, primaryZone: primary, manifests: manifests)
    }

    init(zones: [DomainName], primaryZone: DomainName, manifests: String) {
        self.zones = zones
        self.primaryZone = primaryZone
        self.source = .manifests(manifests)
    }

    /// True when `name` is under a reverse zone (`in-addr.arpa.` or `ip6.arpa.`).
    static func isReverse(_ zone: DomainName) -> Bool {
        zone.isSubdomain(of: "in-addr.arpa.") || zone.isSubdomain(of: "ip6.arpa.")
    }

    /// Parses the directive. Objects come from `manifests DIR` in the block, else from
    /// `--manifests DIR`; a block that names neither is an error, since it would serve nothing.
    public static let setup: PluginSetupFunction = { (directive, block) throws(CorefileError) in
        let config = try KubernetesConfig.parse(directive, block: block)
        return KubernetesPlugin(config: config)
    }

    static func parse(_ directive: Directive, block: BlockSetup) throws(CorefileError) -> KubernetesConfig {
        let zoneTexts = try directive.zones(from: directive.arguments, orServerBlock: block.zones.map(\.description))
        var zones: [DomainName] = []
        for text in zoneTexts {
            do { zones.append(try DomainName(text).lowercased()) } catch {
                throw directive.error("bad zone '\(text)': \(error)")
            }
        }
        guard let primary = zones.first(where: { !isReverse($0) }) else {
            throw directive.error("at least one zone must be a forward zone (not in-addr.arpa or ip6.arpa)")
        }
        var manifests: String? = nil
        var endpoint: (url: String, at: Directive)? = nil
        var tls: (certificate: String, key: String, authority: String, at: Directive)? = nil
        var kubeconfig: (path: String, context: String?, at: Directive)? = nil
        var config = KubernetesConfig(zones: zones, primaryZone: primary, manifests: "")
        for property in directive.properties {
            switch property.name {
            case "manifests":
                manifests = block.resolve(try property.requireArguments(exactly: 1)[0].text)
            case "pods":
                let value = try property.requireArguments(exactly: 1)[0]
                guard let mode = PodMode(rawValue: value.text) else {
                    throw property.error("expected disabled, insecure or verified, found '\(value.text)'", at: value)
                }
                config.pods = mode
            case "endpoint_pod_names":
                try property.noArguments()
                config.endpointPodNames = true
            case "ttl":
                try property.requireArguments(exactly: 1)
                config.ttl = UInt32(try property.integer(at: 0, in: 0...3600))
            case "namespaces":
                config.namespaces = Set(try property.requireArguments(min: 1).map { $0.text.lowercased() })
            case "namespace_labels":
                let text = try property.requireArguments(min: 1).map(\.text).joined(separator: " ")
                do { config.namespaceLabels = try LabelSelector(parsing: text) } catch {
                    throw property.error("bad label selector: \(error)")
                }
            case "labels":
                let text = try property.requireArguments(min: 1).map(\.text).joined(separator: " ")
                do { config.labels = try LabelSelector(parsing: text) } catch {
                    throw property.error("bad label selector: \(error)")
                }
            case "noendpoints":
                try property.noArguments()
                config.noEndpoints = true
            case "fallthrough":
                let texts = try property.zones(from: property.arguments, orServerBlock: zones.map(\.description))
                var list: [DomainName] = []
                for text in texts {
                    do { list.append(try DomainName(text).lowercased()) } catch {
                        throw property.error("bad zone '\(text)': \(error)")
                    }
                }
                config.fallthroughZones = list
            case "ignore":
                let value = try property.requireArguments(exactly: 1)[0]
                guard value.text == "empty_service" else {
                    throw property.error("expected 'empty_service', found '\(value.text)'", at: value)
                }
                config.ignoreEmptyService = true
            case "startup_timeout":
                try property.requireArguments(exactly: 1)
                config.startupTimeout = try property.duration(at: 0)
            case "endpoint":
                let url = try property.requireArguments(exactly: 1)[0]
                guard url.text.hasPrefix("https://") || url.text.hasPrefix("http://"),
                      APIServerSettings(server: url.text, origin: "").hostAndPort != nil else {
                    throw property.error("expected an http:// or https:// URL, found '\(url.text)'", at: url)
                }
                endpoint = (url.text.hasSuffix("/") ? String(url.text.dropLast()) : url.text, property)
            case "tls":
                let files = try property.requireArguments(exactly: 3).map { block.resolve($0.text) }
                tls = (files[0], files[1], files[2], property)
            case "kubeconfig":
                let args = try property.requireArguments(min: 1)
                guard args.count <= 2 else { throw property.error("expected KUBECONFIG [CONTEXT], found \(args.count) arguments") }
                kubeconfig = (block.resolve(args[0].text), args.count == 2 ? args[1].text : nil, property)
            case "apiserver_qps", "apiserver_burst", "apiserver_max_inflight":
                throw property.error("not supported yet by ClusterDNS: the API source makes at most one LIST and one WATCH per resource at a time")
            case "multicluster", "zonal":
                throw property.error("not supported yet by ClusterDNS")
            case "upstream", "resyncperiod":
                throw property.unknownProperty()   // gone from CoreDNS too
            default:
                throw property.unknownProperty()
            }
        }
        if config.namespaces != nil && config.namespaceLabels != nil {
            throw directive.error("namespaces and namespace_labels cannot both be set")
        }
        config.source = try resolveSource(directive, block: block, manifests: manifests, endpoint: endpoint, tls: tls, kubeconfig: kubeconfig)
        return config
    }

    /// Chooses the object source: the block's `manifests`, else its `endpoint`/`tls` or
    /// `kubeconfig`, else `--manifests`, else the in-cluster service account. Errors name the
    /// directive's line and, when nothing is found, everything that was looked for.
    private static func resolveSource(
        _ directive: Directive, block: BlockSetup, manifests: String?, endpoint: (url: String, at: Directive)?,
        tls: (certificate: String, key: String, authority: String, at: Directive)?,
        kubeconfig: (path: String, context: String?, at: Directive)?
    ) throws(CorefileError) -> KubernetesObjectSource {
        if let manifests {
            if let other = endpoint?.at ?? kubeconfig?.at ?? tls?.at {
                throw other.error("cannot be combined with `manifests`: objects come from one source")
            }
            return .manifests(manifests)
        }
        if let kubeconfig {
            if let other = endpoint?.at ?? tls?.at {
                throw other.error("cannot be combined with `kubeconfig`, which names the server and credentials")
            }
            do { return .api(try APIServerSettings.kubeconfig(path: kubeconfig.path, context: kubeconfig.context)) } catch {
                throw kubeconfig.at.error("\(error)")
            }
        }
        if let endpoint {
            var settings = APIServerSettings(server: endpoint.url, origin: "endpoint \(endpoint.url)")
            if let tls {
                settings.clientCertificateFile = tls.certificate
                settings.clientKeyFile = tls.key
                settings.certificateAuthorityFile = tls.authority
            }
            return .api(settings)
        }
        if let tls {
            // CoreDNS: `tls` alone goes with the in-cluster server address.
            do {
                var settings = try APIServerSettings.inCluster()
                settings.clientCertificateFile = tls.certificate
                settings.clientKeyFile = tls.key
                settings.certificateAuthorityFile = tls.authority
                settings.tokenFile = nil
                return .api(settings)
            } catch {
                throw tls.at.error("needs `endpoint URL` outside a cluster (\(error))")
            }
        }
        if let cli = block.manifestsDirectory { return .manifests(cli) }
        do { return .api(try APIServerSettings.inCluster()) } catch {
            throw directive.error("no object source: looked for `manifests DIR`, `endpoint URL` or `kubeconfig FILE` in the block, --manifests DIR on the command line, and in-cluster configuration (\(error))")
        }
    }
}
