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

/// The `kubernetes` block, typed. See Docs/plugins/kubernetes.md for every option.
public struct KubernetesConfig: Sendable {
    /// The zones the plugin answers for, lowercase; forward zones and reverse zones.
    public var zones: [DomainName]
    /// The first forward zone: PTR targets and SRV targets live there.
    public var primaryZone: DomainName
    /// The manifest directory objects come from (absolute or relative to the Corefile).
    public var manifests: String
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
        self.manifests = manifests
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
        var config = KubernetesConfig(zones: zones, primaryZone: primary, manifests: "")
        for property in directive.properties {
            switch property.name {
            case "manifests":
                let path = try property.requireArguments(exactly: 1)[0].text
                manifests = path.hasPrefix("/") ? path : block.baseDirectory + "/" + path
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
                // Manifests load synchronously before the server answers, so there is nothing
                // to wait for; the value is still checked.
                try property.requireArguments(exactly: 1)
                _ = try property.duration(at: 0)
            case "endpoint", "tls", "kubeconfig", "apiserver_qps", "apiserver_burst", "apiserver_max_inflight":
                throw property.error("not supported yet by ClusterDNS: objects come from manifests (`manifests DIR` or `--manifests DIR`), not from the API server")
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
        guard let source = manifests ?? block.manifestsDirectory else {
            throw directive.error("no object source: add `manifests DIR` to the kubernetes block or run with --manifests DIR")
        }
        config.manifests = source
        return config
    }
}
