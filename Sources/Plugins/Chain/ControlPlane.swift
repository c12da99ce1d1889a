import ClusterRegistry

/// The control plane the `health`, `ready` and `prometheus` plugins publish through: HTTP paths on
/// their own addresses, served off the DNS data path.
///
/// `Plugins` only describes endpoints; the HTTP server lives in a module of its own (`ControlHTTP`,
/// Hummingbird on its own threads) that the executable hands in through `ControlPlane.endpoints`,
/// so no DNS data-path module links an HTTP stack. Without a host (in-process runs, unit tests)
/// the plugins start without endpoints.

/// A `host:port` a control endpoint listens on, in the forms CoreDNS accepts (Go's
/// `net.SplitHostPort`): `:8080` (every address), `localhost:9153`, `127.0.0.1:8181`, `[::1]:8080`.
public struct ControlAddress: Sendable, Hashable, CustomStringConvertible {
    /// The host without brackets; empty means every address.
    public var host: String
    public var port: UInt16

    public init(host: String, port: UInt16) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port`. Returns a reason when the text is not of that form, worded like Go's
    /// errors so Corefile messages read as CoreDNS's do (`address 8080: missing port in address`).
    public static func parse(_ text: String) -> Result<ControlAddress, ControlAddressError> {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return .failure(.init(text, "missing ']' in address")) }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { return .failure(.init(text, "missing port in address")) }
            portText = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else { return .failure(.init(text, "missing port in address")) }
            host = text[..<colon]
            if host.contains(":") { return .failure(.init(text, "too many colons in address")) }
            portText = text[text.index(after: colon)...]
        }
        guard let port = UInt16(portText) else {
            return .failure(.init(text, portText.isEmpty ? "missing port in address" : "invalid port '\(portText)'"))
        }
        return .success(ControlAddress(host: String(host), port: port))
    }

    /// `host:port`, with brackets around an IPv6 host.
    public var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}

/// Why a control endpoint's address did not parse.
public struct ControlAddressError: Error, Sendable, CustomStringConvertible {
    public let text: String
    public let reason: String
    init(_ text: String, _ reason: String) {
        self.text = text
        self.reason = reason
    }
    public var description: String { "address \(text): \(reason)" }
}

/// The answer to one GET on a control endpoint.
public struct ControlResponse: Sendable, Equatable {
    public var status: Int
    public var contentType: String
    public var body: [UInt8]

    public init(status: Int, contentType: String, body: [UInt8]) {
        self.status = status
        self.contentType = contentType
        self.body = body
    }

    /// A plain-text answer (`200 OK`, `503 Shutting down`).
    public static func text(_ status: Int, _ body: String) -> ControlResponse {
        ControlResponse(status: status, contentType: "text/plain; charset=utf-8", body: Array(body.utf8))
    }
}

/// Identifies one path registered on a control host, to close it.
public struct ControlEndpointToken: Sendable, Hashable {
    public let id: UInt64
    public init(id: UInt64) { self.id = id }
}

/// A control endpoint could not be opened (the address is taken, the host does not resolve).
public struct ControlEndpointError: Error, Sendable, CustomStringConvertible {
    public let address: ControlAddress
    public let message: String
    public init(address: ControlAddress, message: String) {
        self.address = address
        self.message = message
    }
    public var description: String { "listen tcp \(address): \(message)" }
}

/// Serves control endpoints over HTTP. Implemented by the `ControlHTTP` module; every member is
/// safe to call from any thread.
public protocol ControlEndpointHost: AnyObject, Sendable {
    /// Serves `GET path` on `address` with `handler` until `close(_:)`.
    ///
    /// Several paths may share an address: one HTTP server serves them all (CoreDNS would open one
    /// SO_REUSEPORT listener per plugin, and the kernel would split connections between them).
    /// Opening a path that is already served makes the new handler answer it until it is closed,
    /// then the previous one answers again: a reload hands `/health` from the old factory to the
    /// new one without closing the port. The server on an address stops when its last path closes.
    /// The handler runs on the host's threads, never on a DNS worker.
    /// - Throws: `ControlEndpointError` when the address cannot be bound; nothing is left open then.
    func open(_ path: String, on address: ControlAddress,
              handler: @escaping @Sendable () -> ControlResponse) throws(ControlEndpointError) -> ControlEndpointToken
    /// Stops serving what `open` returned `token` for. Closing twice does nothing.
    func close(_ token: ControlEndpointToken)
}

/// What the process gives the control-plane plugins: where to publish their endpoints, and the
/// build facts of `coredns_build_info`.
public struct ControlPlane: Sendable {
    /// Nil when nothing serves HTTP (in-process runs, tests): the plugins then publish nothing.
    public var endpoints: (any ControlEndpointHost)?
    /// The HTTP client of the `kubernetes` plugin's API source (the `KubernetesHTTP` module,
    /// handed in by the executable like `endpoints`). Nil where no API can be watched
    /// (in-process runs): a block that needs the API then fails to start, saying so.
    public var apiTransports: (any APITransportFactory)?
    public var version: String
    public var revision: String

    public init(endpoints: (any ControlEndpointHost)? = nil, apiTransports: (any APITransportFactory)? = nil,
                version: String = "unknown", revision: String = "") {
        self.endpoints = endpoints
        self.apiTransports = apiTransports
        self.version = version
        self.revision = revision
    }
}
