import Foundation
import Synchronization

/// The bearer token to send, re-read from its file at most every `refreshInterval` and at once
/// after the server said 401: bound service-account tokens expire and the kubelet rotates the
/// file (hourly by default), so a token must never be cached for the life of the process
/// (client-go's cached file token source does the same).
final class BearerTokenSource: Sendable {
    private let inline: String?
    private let file: String?
    private let refreshInterval: Duration
    private struct Cached {
        var token: String?
        var readAt: ContinuousClock.Instant?
    }
    private let cached = Mutex(Cached())

    init(inline: String?, file: String?, refreshInterval: Duration = .seconds(60)) {
        self.inline = inline
        self.file = file
        self.refreshInterval = refreshInterval
    }

    /// The token to send now; nil when the settings name none. A file that cannot be read
    /// keeps the last token (the kubelet replaces it atomically, so this is a passing state).
    func current() -> String? {
        guard let file else { return inline }
        let now = ContinuousClock.now
        return cached.withLock { state in
            if let at = state.readAt, at.duration(to: now) < refreshInterval, state.token != nil { return state.token }
            if let text = try? String(contentsOfFile: file, encoding: .utf8) {
                let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
                if !token.isEmpty { state.token = token }
            }
            state.readAt = now
            return state.token
        }
    }

    /// Forgets the cached token, so the next request reads the file again.
    func invalidate() {
        cached.withLock { $0.readAt = nil }
    }
}
