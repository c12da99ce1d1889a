import Foundation
import Logging
import Synchronization
import Yams

/// Keeps one resource of the store in step with the API server: client-go's reflector
/// algorithm, without client-go.
///
/// 1. Initial sync: a streaming list (`sendInitialEvents=true`) when allowed; on refusal, or
///    when the end-of-initial-events bookmark does not come within the deadline, LIST in pages
///    (`limit`, `continue`), `resourceVersion=0` the first time (served from the watch cache).
/// 2. WATCH from the list's resourceVersion with bookmarks and a random `timeoutSeconds`; every
///    event and bookmark advances the resourceVersion.
/// 3. A watch that ends (timeout, server restart, broken connection) is re-watched from the last
///    resourceVersion: no relist.
/// 4. 410 Expired/Gone (HTTP status, or an ERROR event inside a 200 stream) → relist at the last
///    resourceVersion with NotOlderThan, then at "" if that is expired too.
/// 5. 429, 5xx, refused → back off exponentially with jitter, honouring `Retry-After`.
///    401 → re-read the token at once and retry once without waiting.
/// 6. A watch that sends nothing for `timeoutSeconds + stallGrace` is cancelled and re-watched.
/// ResourceVersions are opaque strings: compared for equality, passed back unmodified.
struct ResourceWatcher: Sendable {
    let source: KubernetesAPISource
    let resource: APIResource

    enum Failure: Error {
        case expired
        case unauthorized
        case throttled(retryAfter: Int?, status: Int)
        /// The server rejected the request itself (400, 403, 404, 422…).
        case rejected(status: Int, message: String)
        case transport(APITransportError)
        case stalled
        case malformed(String)
        /// A watch closed at once with nothing delivered: counted as an error, so a server
        /// that closes every watch cannot make us spin.
        case shortWatch
        /// No end-of-initial-events bookmark in time: the server ignores `sendInitialEvents`.
        case watchListUnsupported

        var description: String {
            switch self {
            case .expired: "resource version expired (410)"
            case .unauthorized: "unauthorized (401)"
            case .throttled(let after, let status): "HTTP \(status)" + (after.map { ", retry after \($0) s" } ?? "")
            case .rejected(let status, let message): "HTTP \(status): \(message)"
            case .transport(let error): error.message
            case .stalled: "watch stalled (nothing received)"
            case .malformed(let message): message
            case .shortWatch: "watch closed immediately"
            case .watchListUnsupported: "streaming list not supported"
            }
        }
    }

    // MARK: The loop

    func run() async {
        var lastVersion: String? = nil
        var needList = true
        var listed = false
        var watchList = source.options.useWatchList
        var backoff = Backoff(initial: source.options.backoffInitial, maximum: source.options.backoffMax)
        var retriedUnauthorized = false
        var expiredAgain = false
        while !Task.isCancelled {
            do {
                if needList {
                    if listed { source.state.withLock { _ = $0.relisting.insert(resource) } }
                    if watchList {
                        do {
                            lastVersion = try await watch(from: expiredAgain ? "" : lastVersion, initialEvents: true, isRelist: listed)
                            needList = false
                            listed = true
                            expiredAgain = false
                            backoff.reset()
                            continue
                        } catch Failure.rejected(let status, let message) where status != 403 {
                            source.logger.info("streaming list refused; using LIST and WATCH", metadata: [
                                "resource": .string(resource.rawValue), "status": .stringConvertible(status), "message": .string(message),
                            ])
                            watchList = false
                        } catch Failure.watchListUnsupported {
                            source.logger.info("no end-of-initial-events bookmark; using LIST and WATCH", metadata: ["resource": .string(resource.rawValue)])
                            watchList = false
                        }
                    }
                    if needList {
                        lastVersion = try await list(from: expiredAgain ? "" : lastVersion, isRelist: listed)
                        needList = false
                        listed = true
                        expiredAgain = false
                    }
                }
                let version = lastVersion ?? ""
                lastVersion = try await watch(from: version, initialEvents: false, isRelist: false)
                backoff.reset()
                retriedUnauthorized = false
            } catch Failure.expired {
                // From a watch: relist at the last version. From a relist at that version: "".
                if needList && lastVersion != nil { expiredAgain = true }
                needList = true
                source.noteHealthy(resource)
            } catch Failure.unauthorized {
                source.tokens.invalidate()
                source.noteFailure(resource, Failure.unauthorized.description)
                if !retriedUnauthorized {
                    retriedUnauthorized = true
                    continue
                }
                await sleep(backoff.next())
            } catch Failure.throttled(let retryAfter, let status) {
                source.noteFailure(resource, Failure.throttled(retryAfter: retryAfter, status: status).description)
                let wait = backoff.next()
                await sleep(retryAfter.map { max(Duration.seconds($0), wait) } ?? wait)
            } catch is CancellationError {
                return
            } catch let failure as Failure {
                if Task.isCancelled { return }
                source.noteFailure(resource, failure.description)
                await sleep(backoff.next())
            } catch {
                if Task.isCancelled { return }
                source.noteFailure(resource, "\(error)")
                await sleep(backoff.next())
            }
        }
    }

    private func sleep(_ duration: Duration) async {
        try? await Task.sleep(for: duration)
    }

    // MARK: Requests

    private func headers() -> [(String, String)] {
        var list = [("Accept", "application/json"), ("User-Agent", source.options.userAgent)]
        if let token = source.tokens.current() { list.append(("Authorization", "Bearer " + token)) }
        return list
    }

    /// Sends a GET and maps every non-200 status to a `Failure`.
    private func request(_ query: [(String, String)]) async throws -> APIResponse {
        let path = resource.path + "?" + encodeQuery(resource.fixedQuery + query)
        let response: APIResponse
        do {
            response = try await source.transport.get(path, headers: headers(), headTimeout: source.options.requestTimeout)
        } catch {
            if Task.isCancelled { throw CancellationError() }
            throw Failure.transport(error)
        }
        switch response.status {
        case 200: return response
        case 401: throw Failure.unauthorized
        case 410: throw Failure.expired
        case 429, 500, 502, 503, 504: throw Failure.throttled(retryAfter: response.retryAfter, status: response.status)
        default:
            throw Failure.rejected(status: response.status, message: await statusMessage(response.body))
        }
    }

    /// The `message` of a Status body, read up to 64 KiB.
    private func statusMessage(_ body: any APIResponseBody) async -> String {
        var bytes: [UInt8] = []
        while bytes.count < 65_536, let chunk = try? await body.next() { bytes += chunk }
        if let node = try? JSONNodeParser.parse(bytes), let message = node.member("message")?.text { return message }
        return String(decoding: bytes.prefix(200), as: UTF8.self)
    }

    /// LISTs the resource in pages into the store, sweeping what the list no longer has.
    /// - Returns: the list's resourceVersion, the point to watch from.
    private func list(from lastVersion: String?, isRelist: Bool) async throws -> String {
        source.state.withLock { state in
            state.store.beginRelist(resource.kind)
            state.statistics.lists[resource, default: 0] += 1
            if isRelist { state.statistics.relists[resource, default: 0] += 1 }
        }
        var continueToken: String? = nil
        var listVersion = ""
        repeat {
            var query = [("limit", String(source.options.listPageSize))]
            if let token = continueToken {
                // resourceVersionMatch must not go with a continue token.
                query.append(("continue", token))
            } else if let lastVersion {
                query.append(("resourceVersion", lastVersion))
                if !lastVersion.isEmpty { query.append(("resourceVersionMatch", "NotOlderThan")) }
            } else {
                query.append(("resourceVersion", "0"))
            }
            let response = try await request(query)
            let kind = resource.kind
            let page = try await withStallWatchdog(limit: source.options.requestTimeout + source.options.stallGrace) { progress -> ListPage in
                var framer = JSONStreamFramer(shape: .list)
                var page = ListPage()
                while let chunk = try await response.body.next() {
                    progress.touch()
                    var items: [[UInt8]] = []
                    do {
                        try framer.feed(chunk) { output in
                            switch output {
                            case .item(let bytes): items.append(bytes)
                            case .member("metadata", let bytes):
                                let metadata = try? JSONNodeParser.parse(bytes)
                                page.version = metadata?.member("resourceVersion")?.text
                                page.continueToken = metadata?.member("continue")?.text
                            default: break
                            }
                        }
                    } catch {
                        throw Failure.malformed("\(resource) list: \(error)")
                    }
                    guard !items.isEmpty else { continue }
                    // Parse outside the lock; apply the chunk's items in one critical section.
                    var nodes: [ManifestValue] = []
                    nodes.reserveCapacity(items.count)
                    for item in items {
                        do { nodes.append(try JSONNodeParser.parse(item)) } catch {
                            throw Failure.malformed("\(resource) list item: \(error)")
                        }
                    }
                    source.state.withLock { state in
                        for node in nodes { _ = state.store.upsert(node, kind: kind) }
                    }
                }
                page.complete = framer.isComplete
                return page
            }
            guard page.complete else { throw Failure.malformed("\(resource) list: the body ended early") }
            source.noteHealthy(resource)
            listVersion = page.version ?? listVersion
            let next = page.continueToken ?? ""
            continueToken = next.isEmpty ? nil : next
        } while continueToken != nil
        source.state.withLock { _ = $0.store.finishRelist(resource.kind) }
        source.noteListed(resource)
        return listVersion
    }

    /// Watches from `version` until the stream ends. With `initialEvents`, a streaming list:
    /// the objects come first as ADDED events, then a bookmark marks the end of them.
    /// - Returns: the last resourceVersion seen, to re-watch from.
    private func watch(from version: String?, initialEvents: Bool, isRelist: Bool) async throws -> String {
        let timeout = Int.random(in: source.options.watchTimeoutSeconds)
        var query = [("watch", "1"), ("allowWatchBookmarks", "true"), ("timeoutSeconds", String(timeout))]
        if initialEvents {
            query += [("sendInitialEvents", "true"), ("resourceVersionMatch", "NotOlderThan"), ("resourceVersion", version ?? "")]
        } else {
            query.append(("resourceVersion", version ?? ""))
        }
        let started = ContinuousClock.now
        if initialEvents {
            source.state.withLock { state in
                state.store.beginRelist(resource.kind)
                state.statistics.lists[resource, default: 0] += 1
                if isRelist { state.statistics.relists[resource, default: 0] += 1 }
            }
        }
        let response = try await request(query)
        source.state.withLock { $0.statistics.watches[resource, default: 0] += 1 }
        source.noteHealthy(resource)
        let session = WatchSession(lastVersion: version ?? "", waitingForInitialEnd: initialEvents)
        let stallLimit = Duration.seconds(timeout) + source.options.stallGrace
        let deadline = initialEvents ? started.advanced(by: source.options.watchListDeadline) : nil
        try await withStallWatchdog(limit: stallLimit, deadline: deadline, deadlineError: Failure.watchListUnsupported) { progress in
            var framer = JSONStreamFramer(shape: .stream)
            while true {
                // A watch cut mid-stream (server restart, proxy, dropped connection) ends like a
                // timeout: re-watch from the last resourceVersion, no relist, no alarm.
                let next: [UInt8]?
                do { next = try await response.body.next() } catch {
                    if (error as? APITransportError)?.kind == .cancelled || Task.isCancelled { throw CancellationError() }
                    break
                }
                guard let chunk = next else { break }
                progress.touch()
                if !chunk.isEmpty { session.receivedBytes = true }
                var events: [[UInt8]] = []
                do {
                    try framer.feed(chunk) { output in
                        if case .value(let bytes) = output { events.append(bytes) }
                    }
                } catch {
                    throw Failure.malformed("\(resource) watch: \(error)")
                }
                for event in events {
                    try handle(event, session: session)
                    if !session.waitingForInitialEnd { progress.clearDeadline() }
                }
            }
        }
        if session.waitingForInitialEnd {
            // The stream ended before the initial events did: the list is incomplete.
            throw Failure.malformed("\(resource) streaming list ended before its end bookmark")
        }
        if !session.receivedBytes && started.duration(to: .now) < .seconds(1) { throw Failure.shortWatch }
        return session.lastVersion
    }

    /// Applies one watch event to the store.
    private func handle(_ bytes: [UInt8], session: WatchSession) throws {
        let event: ManifestValue
        do { event = try JSONNodeParser.parse(bytes) } catch {
            throw Failure.malformed("\(resource) watch event: \(error)")
        }
        guard let type = event.member("type")?.text, let object = event.member("object") else {
            throw Failure.malformed("\(resource) watch event without type or object")
        }
        let kind = resource.kind
        source.state.withLock { $0.statistics.events[resource, default: [:]][type, default: 0] += 1 }
        switch type {
        case "ADDED", "MODIFIED":
            let change = source.state.withLock { state -> APIObjectStore.Change in
                let change = state.store.upsert(object, kind: kind)
                if change == .stored, kind == .endpointSlice, let trigger = Self.triggerTime(object) {
                    state.pendingProgramming.append((Self.serviceKind(of: object, in: state.store), trigger))
                }
                return change
            }
            if let v = object.member("metadata")?.member("resourceVersion")?.text { session.lastVersion = v }
            if change == .stored && !session.waitingForInitialEnd { source.noteChange() }
        case "DELETED":
            let removed = source.state.withLock { $0.store.delete(object, kind: kind) }
            if let v = object.member("metadata")?.member("resourceVersion")?.text { session.lastVersion = v }
            if removed { source.noteChange() }
        case "BOOKMARK":
            if let v = object.member("metadata")?.member("resourceVersion")?.text { session.lastVersion = v }
            if session.waitingForInitialEnd, object.member("metadata")?.member("annotations")?.member("k8s.io/initial-events-end")?.text == "true" {
                session.waitingForInitialEnd = false
                source.state.withLock { _ = $0.store.finishRelist(kind) }
                source.noteListed(resource)
            }
        case "ERROR":
            let code = object.member("code")?.text.flatMap { Int($0) } ?? 0
            let reason = object.member("reason")?.text ?? ""
            if code == 410 || reason == "Expired" || reason == "Gone" { throw Failure.expired }
            let message = object.member("message")?.text ?? "watch error"
            if code == 429 || code >= 500 { throw Failure.throttled(retryAfter: nil, status: code) }
            throw Failure.rejected(status: code, message: message)
        default:
            throw Failure.malformed("\(resource) watch event of unknown type '\(type)'")
        }
    }

    /// `endpoints.kubernetes.io/last-change-trigger-time`: when the change that produced this
    /// slice happened (set by the EndpointSlice controller), the start of CoreDNS's
    /// programming-duration SLI.
    static func triggerTime(_ object: ManifestValue) -> Date? {
        guard let text = object.member("metadata")?.member("annotations")?.member("endpoints.kubernetes.io/last-change-trigger-time")?.text else { return nil }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }

    /// CoreDNS's `service_kind` label for the service a slice belongs to.
    static func serviceKind(of slice: ManifestValue, in store: APIObjectStore) -> String {
        guard let namespace = slice.member("metadata")?.member("namespace")?.text,
              let name = slice.member("metadata")?.member("labels")?.member(EndpointSlice.serviceNameLabel)?.text,
              case .service(let service)? = store.object(ObjectIdentity(kind: .service, namespace: namespace, name: name)),
              service.isHeadless else { return "cluster_ip" }
        return service.selector == nil ? "headless_without_selector" : "headless_with_selector"
    }
}

/// What one LIST page said about the list.
struct ListPage: Sendable {
    var version: String?
    var continueToken: String?
    var complete = false
}

/// What one watch has seen so far; touched only by the task reading that watch.
final class WatchSession: @unchecked Sendable {
    var lastVersion: String
    var waitingForInitialEnd: Bool
    var receivedBytes = false

    init(lastVersion: String, waitingForInitialEnd: Bool) {
        self.lastVersion = lastVersion
        self.waitingForInitialEnd = waitingForInitialEnd
    }
}

/// Exponential backoff with full jitter between half and all of the step.
struct Backoff {
    let initial: Duration
    let maximum: Duration
    private var step: Duration

    init(initial: Duration, maximum: Duration) {
        self.initial = initial
        self.maximum = maximum
        self.step = initial
    }

    mutating func next() -> Duration {
        let current = step
        step = min(step * 2, maximum)
        let jitter = Double.random(in: 0.5...1.0)
        return current * jitter
    }

    mutating func reset() { step = initial }
}

/// Progress of a body being read, watched by `withStallWatchdog`.
final class ReadProgress: Sendable {
    private let lastTouch = Atomic<Int64>(ReadProgress.nowNanoseconds())
    private let deadlineCleared = Atomic<Bool>(false)

    static func nowNanoseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    func touch() { lastTouch.store(Self.nowNanoseconds(), ordering: .relaxed) }
    func clearDeadline() { deadlineCleared.store(true, ordering: .relaxed) }
    var isDeadlineCleared: Bool { deadlineCleared.load(ordering: .relaxed) }

    var idle: Duration { .nanoseconds(Self.nowNanoseconds() - lastTouch.load(ordering: .relaxed)) }
}

/// Runs `body`, cancelling it with `ResourceWatcher.Failure.stalled` when it reports no progress
/// for `limit`, or with `deadlineError` when `deadline` passes before it clears it.
func withStallWatchdog<T: Sendable>(
    limit: Duration, deadline: ContinuousClock.Instant? = nil, deadlineError: any Error = ResourceWatcher.Failure.stalled,
    _ body: @escaping @Sendable (ReadProgress) async throws -> T
) async throws -> T {
    let progress = ReadProgress()
    let check = min(limit / 4, .milliseconds(500))
    return try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body(progress) }
        group.addTask {
            while true {
                try await Task.sleep(for: max(check, .milliseconds(20)))
                if progress.idle > limit { throw ResourceWatcher.Failure.stalled }
                if let deadline, !progress.isDeadlineCleared, ContinuousClock.now >= deadline { throw deadlineError }
            }
        }
        // The first to finish decides: the body's end (or error), or the watchdog's verdict.
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else { throw CancellationError() }
        return value
    }
}
