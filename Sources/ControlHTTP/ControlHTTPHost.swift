import Dispatch
import HTTPTypes
import HummingbirdCore
import Logging
import NIOCore
import NIOPosix
import Plugins
import Synchronization

/// Serves the control endpoints of `health`, `ready` and `prometheus` with Hummingbird's HTTP/1.1
/// server, one server per address, on threads of its own (a one-thread NIO event loop group, plus
/// Swift concurrency's pool for the handlers): never on a DNS worker.
///
/// Why HummingbirdCore rather than the `Hummingbird` router: three fixed paths need no router, and
/// `Hummingbird` links swift-nio's file-system module, which brings swift-system and its own C
/// module named `CSystem` into the build next to ours.
///
/// Signals: the NIO thread and the concurrency pool's threads are created after `serve` blocked
/// SIGTERM, SIGINT and SIGHUP on the main thread, so they inherit the mask and the signals keep
/// reaching the server's signalfd (an integration test checks every thread's mask).
package final class ControlHTTPHost: ControlEndpointHost, Sendable {
    /// One address's server and the paths it serves (newest registration last).
    struct Listener {
        let server: Server<HTTP1Channel>
        let task: Task<Void, Never>
        var routes: [(path: String, token: UInt64, handler: @Sendable () -> ControlResponse)]
    }

    struct State {
        var listeners: [ControlAddress: Listener] = [:]
        var nextToken: UInt64 = 1
    }

    private let state = Mutex(State())
    private let group: MultiThreadedEventLoopGroup
    private let logger: Logger
    /// How long `open` waits for a server to bind before giving up.
    let bindTimeout: Duration

    package init(logger: Logger, bindTimeout: Duration = .seconds(10)) {
        self.logger = logger
        self.bindTimeout = bindTimeout
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    }

    deinit {
        // Servers still open at exit are closed with the process; the loop thread goes with it.
        group.shutdownGracefully { _ in }
    }

    package func open(_ path: String, on address: ControlAddress,
                     handler: @escaping @Sendable () -> ControlResponse) throws(ControlEndpointError) -> ControlEndpointToken {
        // Fast path: the address is served already; add (or take over) the path.
        let existing: UInt64? = state.withLock { state in
            guard state.listeners[address] != nil else { return nil }
            let token = state.nextToken
            state.nextToken += 1
            state.listeners[address]?.routes.append((path, token, handler))
            return token
        }
        if let existing { return ControlEndpointToken(id: existing) }

        var failure = "no address to bind"
        var bound: (server: Server<HTTP1Channel>, task: Task<Void, Never>)?
        for host in ControlHTTPHost.bindHosts(address.host) {
            switch startServer(address: address, bindHost: host) {
            case .success(let started):
                bound = started
            case .failure(let error):
                failure = error.message
                continue
            }
            break
        }
        guard let (server, task) = bound else { throw ControlEndpointError(address: address, message: failure) }
        return state.withLock { state in
            let token = state.nextToken
            state.nextToken += 1
            if state.listeners[address] != nil {
                // Another thread bound the same address meanwhile (impossible: the port is ours);
                // keep the first server and drop this one.
                state.listeners[address]?.routes.append((path, token, handler))
                Task { try? await server.shutdownGracefully() }
            } else {
                state.listeners[address] = Listener(server: server, task: task, routes: [(path, token, handler)])
            }
            return ControlEndpointToken(id: token)
        }
    }

    package func close(_ token: ControlEndpointToken) {
        let emptied: Server<HTTP1Channel>? = state.withLock { state in
            for (address, var listener) in state.listeners {
                guard let index = listener.routes.firstIndex(where: { $0.token == token.id }) else { continue }
                listener.routes.remove(at: index)
                if listener.routes.isEmpty {
                    state.listeners[address] = nil
                    return listener.server
                }
                state.listeners[address] = listener
                return nil
            }
            return nil
        }
        guard let emptied else { return }
        // Wait for the port to close, so a restart (or a test) can bind it again at once.
        let done = DispatchSemaphore(value: 0)
        Task {
            try? await emptied.shutdownGracefully()
            done.signal()
        }
        _ = done.wait(timeout: .now() + .seconds(6))
    }

    struct StartFailure: Error { let message: String }

    /// Starts a server for `address` bound to `bindHost` and waits until it listens or fails.
    private func startServer(address: ControlAddress, bindHost: String)
        -> Result<(server: Server<HTTP1Channel>, task: Task<Void, Never>), StartFailure> {
        let started = StartSignal()
        let routing = Routing(host: self, address: address)
        let server = Server(
            childChannelSetup: HTTP1Channel(responder: routing.respond, configuration: .init(idleTimeout: .seconds(5))),
            configuration: ServerConfiguration(address: .hostname(bindHost, port: Int(address.port))),
            onServerRunning: { _ in started.succeed() },
            eventLoopGroup: group,
            logger: logger
        )
        let task = Task {
            do {
                try await server.run()
            } catch {
                started.fail("\(error)")
            }
        }
        if let failure = started.wait(timeout: bindTimeout) {
            task.cancel()
            return .failure(StartFailure(message: failure))
        }
        return .success((server, task))
    }

    /// The handler now answering `path` on `address`, if any (the newest registration).
    func handler(for path: String, on address: ControlAddress) -> (@Sendable () -> ControlResponse)? {
        state.withLock { state in
            state.listeners[address]?.routes.last(where: { $0.path == path })?.handler
        }
    }

    /// The hosts to try for the host part, as Go's `net.Listen` would listen: empty means every
    /// address (the IPv6 wildcard takes IPv4 too; plain IPv4 where IPv6 is off), `localhost` means
    /// 127.0.0.1 (Go prefers the IPv4 address).
    static func bindHosts(_ host: String) -> [String] {
        switch host {
        case "": ["::", "0.0.0.0"]
        case "localhost": ["127.0.0.1"]
        default: [host]
        }
    }

    /// Paths served on the addresses open now (for logs and tests).
    package var openEndpoints: [String] {
        state.withLock { state in
            state.listeners.flatMap { address, listener in listener.routes.map { "\(address)\($0.path)" } }.sorted()
        }
    }
}

/// Answers one request by looking its path up in the host's table at that moment, so a path
/// added or taken over after the server started is served at once.
struct Routing: Sendable {
    weak var host: ControlHTTPHost?
    let address: ControlAddress

    init(host: ControlHTTPHost, address: ControlAddress) {
        self.host = host
        self.address = address
    }

    @Sendable func respond(_ request: HummingbirdCore.Request, _ writer: consuming ResponseWriter, _ channel: any Channel) async throws {
        let answer: ControlResponse
        if let handler = host?.handler(for: request.uri.path, on: address) {
            answer = handler()
        } else {
            answer = .text(404, "404 page not found\n")
        }
        var headers = HTTPFields()
        headers[.contentType] = answer.contentType
        headers[.contentLength] = String(answer.body.count)
        var buffer = ByteBuffer()
        if request.method != .head { buffer.writeBytes(answer.body) }
        try await writer.write(response: HTTPResponse(status: Routing.status(answer.status), headerFields: headers),
                               body: ResponseBody(byteBuffer: buffer))
    }
}

extension Routing {
    /// The status with its standard reason phrase for the codes the endpoints use.
    static func status(_ code: Int) -> HTTPResponse.Status {
        switch code {
        case 200: .ok
        case 404: .notFound
        case 500: .internalServerError
        case 503: .serviceUnavailable
        default: HTTPResponse.Status(code: code)
        }
    }
}

/// A one-shot signal from the server task to the thread waiting in `open`.
final class StartSignal: Sendable {
    private let outcome = Mutex<String??>(nil)
    private let semaphore = DispatchSemaphore(value: 0)

    func succeed() { settle(.some(nil)) }
    func fail(_ message: String) { settle(.some(message)) }

    private func settle(_ value: String??) {
        let first = outcome.withLock { current in
            guard current == nil else { return false }
            current = value
            return true
        }
        if first { semaphore.signal() }
    }

    /// Nil once the server runs; the error text when it failed or did not start in time.
    func wait(timeout: Duration) -> String? {
        let nanoseconds = Int(timeout.components.seconds) * 1_000_000_000 + Int(timeout.components.attoseconds / 1_000_000_000)
        if semaphore.wait(timeout: .now() + .nanoseconds(nanoseconds)) == .timedOut {
            return "did not start within \(timeout)"
        }
        return outcome.withLock { $0 ?? "did not start" }
    }
}
