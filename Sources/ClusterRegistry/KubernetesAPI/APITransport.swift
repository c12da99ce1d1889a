/// The HTTP the API source needs, and nothing more: GET a path and pull the body chunk by chunk.
///
/// The registry knows no HTTP library: the executable links an implementation (the
/// `KubernetesHTTP` module, on async-http-client and swift-nio-ssl), and tests may substitute
/// their own. Pulling (rather than being pushed) chunks gives back-pressure: a 100 000-item
/// LIST is read no faster than it is decoded, so the body never piles up in memory.
public protocol APITransport: Sendable {
    /// Sends `GET server + pathAndQuery` with `headers`. Returns once the response head arrived.
    /// - Throws: `APITransportError` when no response could be had (refused, reset, TLS, timeout).
    func get(_ pathAndQuery: String, headers: [(String, String)], headTimeout: Duration) async throws(APITransportError) -> APIResponse

    /// Closes connections and stops the client's threads.
    func shutdown() async
}

/// Makes the transport for a set of settings; implemented by the executable's HTTP module.
public protocol APITransportFactory: Sendable {
    func makeTransport(settings: APIServerSettings) throws(APIConfigError) -> any APITransport
}

/// A response head and its body, read once, in order, by one task.
public struct APIResponse: Sendable {
    public var status: Int
    /// `Retry-After` in seconds, when the server sent one (429 and 503).
    public var retryAfter: Int?
    public var body: any APIResponseBody

    public init(status: Int, retryAfter: Int?, body: any APIResponseBody) {
        self.status = status
        self.retryAfter = retryAfter
        self.body = body
    }
}

/// The body of a response, pulled one chunk at a time. Chunks follow the wire, not JSON: a
/// chunk may hold half a watch event or several.
public protocol APIResponseBody: Sendable {
    /// The next chunk, or nil at the end of the body.
    /// - Throws: `APITransportError` when the connection broke mid-body; cancellation of the
    ///   calling task ends the read (and the connection).
    func next() async throws(APITransportError) -> [UInt8]?
}

/// No response, or a body cut short: connection refused or reset, TLS failure, timeout.
public struct APITransportError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable { case connect, tls, timeout, broken, cancelled }
    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
