import Corefile
import DNSWire
import SystemCalls

/// How `forward` picks the order in which it tries its upstreams for one query.
public enum UpstreamPolicy: String, Sendable, Equatable {
    /// A fresh random order per query (CoreDNS's default).
    case random
    /// Each query starts one upstream further along than the previous one (per worker thread).
    case roundRobin = "round_robin"
    /// Always the configured order: the first healthy upstream gets every query.
    case sequential
}

/// The typed configuration of one `forward` directive, with CoreDNS's defaults.
///
/// ```
/// forward FROM TO... {
///     except IGNORED_NAMES...
///     force_tcp
///     prefer_udp
///     expire DURATION
///     max_fails INTEGER
///     max_connect_attempts INTEGER
///     health_check DURATION [no_rec] [domain FQDN]
///     policy random|round_robin|sequential
///     max_concurrent MAX
///     read_timeout DURATION
///     next RCODE...
///     next_on_nodata
///     failover RCODE...
///     failfast_all_unhealthy_upstreams
///     max_age DURATION
///     max_idle_conns INTEGER
///     randomize_case
/// }
/// ```
public struct ForwardConfig: Sendable, Equatable {
    /// The zone this forward serves (lowercase); queries outside it go to the next plugin.
    public var from: DomainName
    /// Upstreams in configuration order, without duplicates, at most `maxUpstreams`.
    public var upstreams: [UpstreamAddress]
    /// Names below these (lowercase) are not forwarded (`except`), unless the name is `from` itself.
    public var except: [DomainName] = []
    public var forceTCP = false
    public var preferUDP = false
    /// Idle upstream connections (TCP) and idle UDP sockets are closed after this long.
    public var expire: Duration = .seconds(10)
    /// Connections are closed this long after they were opened, busy or not; nil: never (CoreDNS's default).
    public var maxAge: Duration? = nil
    /// At most this many idle connections are kept per upstream and transport on each worker; 0: no limit.
    public var maxIdleConnections = 0
    /// Consecutive failed health checks that mark an upstream down; 0 disables health checking.
    public var maxFails = 2
    /// Attempts (errors or timeouts) per query before SERVFAIL; nil: 2 × upstreams, 0: no cap but the deadline.
    public var maxConnectAttempts: Int? = nil
    /// Interval between health checks of an upstream that failed, until it answers.
    public var healthCheckInterval: Duration = .milliseconds(500)
    public var healthCheckRecursionDesired = true
    public var healthCheckDomain: DomainName = .root
    public var policy: UpstreamPolicy = .random
    /// Above this many outstanding upstream queries new queries get REFUSED; 0: unlimited.
    public var maxConcurrent = 0
    /// How long one attempt waits for an upstream's reply.
    public var readTimeout: Duration = .seconds(2)
    /// Upstream rcodes that hand the query to the next `forward` of the block.
    public var nextRcodes: [ResponseCode] = []
    /// A NOERROR answer without records goes to the next `forward` of the block.
    public var nextOnNoData = false
    /// Upstream rcodes that make this forward try its next upstream.
    public var failoverRcodes: [ResponseCode] = []
    /// With every upstream down, answer SERVFAIL at once instead of trying a random one.
    public var failfastAllUnhealthyUpstreams = false
    /// Queries go upstream over UDP with the question name's letters in random case (0x20), and
    /// an answer must echo that case exactly (Unbound's `use-caps-for-id`). Not in CoreDNS.
    public var randomizeCase = false

    /// CoreDNS's limit on `TO` addresses.
    public static let maxUpstreams = 15
    /// A whole query, all attempts included, never takes longer than this (CoreDNS's `defaultTimeout`).
    public static let queryDeadline: Duration = .seconds(5)
    /// A health check waits this long for its reply (CoreDNS's health checker timeout).
    public static let healthCheckTimeout: Duration = .seconds(1)

    public init(from: DomainName, upstreams: [UpstreamAddress]) {
        self.from = from
        self.upstreams = upstreams
    }

    /// The number of attempts a query may make before it is answered SERVFAIL; 0 means no cap.
    public var effectiveMaxConnectAttempts: Int { maxConnectAttempts ?? 2 * upstreams.count }

    /// Parses one `forward` directive.
    /// - Parameter baseDirectory: where a relative resolv.conf path is looked up (the Corefile's directory).
    /// - Throws: `CorefileError` at the offending line: a bad TO, a resolv.conf that cannot be read
    ///   or lists no nameserver, more than 15 upstreams, an unknown or malformed property.
    public static func parse(_ directive: Directive, baseDirectory: String) throws(CorefileError) -> ForwardConfig {
        let arguments = try directive.requireArguments(min: 2)
        let zones = try directive.zones(arguments[0])
        guard let zone = zones.first, let from = try? DomainName(zone).lowercased() else {
            throw directive.error("'\(arguments[0].text)' is not a zone", at: arguments[0])
        }
        var upstreams: [UpstreamAddress] = []
        func add(_ address: SocketAddress) {
            let upstream = UpstreamAddress(address)
            if !upstreams.contains(upstream) { upstreams.append(upstream) }
        }
        for argument in arguments.dropFirst() {
            switch UpstreamSpec.classify(argument.text) {
            case .address(let address):
                add(address)
            case .resolvConf(let path):
                let full = path.hasPrefix("/") ? path : baseDirectory + "/" + path
                let (result, problem) = ResolvConfNameservers.read(path: full)
                guard let result else {
                    throw directive.error("cannot read resolv.conf '\(path)': \(problem ?? "unknown error")", at: argument)
                }
                guard !result.nameservers.isEmpty else {
                    throw directive.error("no nameservers found in '\(path)'", at: argument)
                }
                for address in result.nameservers { add(address) }
            case .unsupported(let transport):
                throw directive.error("'\(transport)://' upstreams are not supported yet by ClusterDNS (only plain DNS over UDP/TCP)", at: argument)
            case .hostname:
                throw directive.error("'\(argument.text)' is not an IP address, IP:port, [IPv6]:port or resolv.conf path (hostnames are not supported yet by ClusterDNS)", at: argument)
            }
        }
        guard upstreams.count <= maxUpstreams else {
            throw directive.error("more than \(maxUpstreams) TOs configured: \(upstreams.count)")
        }
        var config = ForwardConfig(from: from, upstreams: upstreams)
        for property in directive.properties {
            try config.apply(property)
        }
        if let maxAge = config.maxAge, maxAge < config.expire {
            throw directive.error("max_age (\(CorefileDuration.format(maxAge))) must not be less than expire (\(CorefileDuration.format(config.expire)))")
        }
        return config
    }

    /// Applies one property line of the block.
    mutating func apply(_ property: Directive) throws(CorefileError) {
        switch property.name {
        case "except":
            for argument in try property.requireArguments(min: 1) {
                for zone in try property.zones(argument) {
                    guard let name = try? DomainName(zone).lowercased() else {
                        throw property.error("'\(argument.text)' is not a domain name", at: argument)
                    }
                    if !except.contains(name) { except.append(name) }
                }
            }
        case "force_tcp":
            try property.noArguments()
            forceTCP = true
        case "prefer_udp":
            try property.noArguments()
            preferUDP = true
        case "expire":
            try property.requireArguments(exactly: 1)
            expire = try property.duration(at: 0, in: .zero...Duration.seconds(86_400))
        case "max_age":
            try property.requireArguments(exactly: 1)
            let value = try property.duration(at: 0, in: .zero...Duration.seconds(86_400 * 365))
            maxAge = value == .zero ? nil : value
        case "max_idle_conns":
            try property.requireArguments(exactly: 1)
            maxIdleConnections = try property.integer(at: 0, in: 0...1_000_000)
        case "max_fails":
            try property.requireArguments(exactly: 1)
            maxFails = try property.integer(at: 0, in: 0...Int(UInt32.max))
        case "max_connect_attempts":
            try property.requireArguments(exactly: 1)
            maxConnectAttempts = try property.integer(at: 0, in: 0...Int(UInt32.max))
        case "health_check":
            let arguments = try property.requireArguments(min: 1, max: 4)
            healthCheckInterval = try property.duration(at: 0, in: .zero...Duration.seconds(86_400))
            healthCheckDomain = .root
            var i = 1
            while i < arguments.count {
                switch arguments[i].text {
                case "no_rec":
                    healthCheckRecursionDesired = false
                case "domain":
                    i += 1
                    guard i < arguments.count else { throw property.error("expected a domain name after 'domain'") }
                    guard let name = try? DomainName(arguments[i].text.hasSuffix(".") ? arguments[i].text : arguments[i].text + ".") else {
                        throw property.error("invalid domain name '\(arguments[i].text)'", at: arguments[i])
                    }
                    healthCheckDomain = name
                default:
                    throw property.error("unknown option '\(arguments[i].text)' — expected no_rec or domain FQDN", at: arguments[i])
                }
                i += 1
            }
        case "policy":
            try property.requireArguments(exactly: 1)
            let text = try property.requiredArgument(0, "policy")
            guard let value = UpstreamPolicy(rawValue: text.text) else {
                throw property.error("unknown policy '\(text.text)' — expected random, round_robin or sequential", at: text)
            }
            policy = value
        case "max_concurrent":
            try property.requireArguments(exactly: 1)
            maxConcurrent = try property.integer(at: 0, in: 0...Int(Int32.max))
        case "read_timeout":
            try property.requireArguments(exactly: 1)
            readTimeout = try property.duration(at: 0, in: .milliseconds(1)...Duration.seconds(3600))
        case "next":
            nextRcodes = try Self.rcodes(property, allowNoError: true)
        case "next_on_nodata":
            try property.noArguments()
            nextOnNoData = true
        case "failover":
            failoverRcodes = try Self.rcodes(property, allowNoError: false)
        case "failfast_all_unhealthy_upstreams":
            try property.noArguments()
            failfastAllUnhealthyUpstreams = true
        case "randomize_case":
            try property.noArguments()
            randomizeCase = true
        case "tls", "tls_servername", "doh_method", "source_address", "resolver":
            throw property.error("not supported yet by ClusterDNS")
        default:
            throw property.unknownProperty()
        }
    }

    static func rcodes(_ property: Directive, allowNoError: Bool) throws(CorefileError) -> [ResponseCode] {
        var codes: [ResponseCode] = []
        for argument in try property.requireArguments(min: 1) {
            guard let code = ResponseCode(mnemonic: argument.text) else {
                throw property.error("'\(argument.text)' is not a valid rcode", at: argument)
            }
            if !allowNoError && code == .noError {
                throw property.error("NOERROR cannot be used in failover", at: argument)
            }
            if !codes.contains(code) { codes.append(code) }
        }
        return codes
    }
}
