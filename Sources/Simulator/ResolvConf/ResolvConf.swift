/// A stub resolver's configuration: what `/etc/resolv.conf` (and `options` from the pod's
/// `dnsConfig`) tell glibc or musl.
///
/// Values are stored as the resolver would use them, after its own limits: `ndots` at most 15,
/// glibc `timeout` ≤ 30 and `attempts` ≤ 5, musl `timeout` ≤ 60 and `attempts` ≤ 10, at most
/// three nameservers. Anything the parser ignored or clamped is in `warnings`, so a report can
/// say why a line had no effect instead of silently simulating something else.
package struct ResolvConf: Sendable, Equatable {
    /// Nameserver addresses as written (at most three are used by either library).
    package var nameservers: [String]
    /// The search list in order; `domain` and `search` lines replace it (the last one wins).
    package var search: [String]
    /// Names with at least this many dots are tried as-is first (glibc) or only (musl).
    package var ndots: Int
    /// Seconds to wait for an answer: per nameserver and attempt (glibc), for the whole
    /// exchange (musl).
    package var timeoutSeconds: Int
    /// glibc: rounds over the nameservers; musl: sends per `timeout` (resend interval
    /// timeout/attempts).
    package var attempts: Int
    package var options: ResolverOptions
    /// Lines or words that were ignored, clamped or meaningless for the chosen resolver.
    package var warnings: [ResolvConfWarning]

    /// The defaults of both libraries with no resolv.conf at all: ndots 1, timeout 5 s,
    /// 2 attempts, no search list, nameserver 127.0.0.1.
    package init(nameservers: [String] = [], search: [String] = [], ndots: Int = 1, timeoutSeconds: Int = 5,
                attempts: Int = 2, options: ResolverOptions = [], warnings: [ResolvConfWarning] = []) {
        self.nameservers = nameservers
        self.search = search
        self.ndots = ndots
        self.timeoutSeconds = timeoutSeconds
        self.attempts = attempts
        self.options = options
        self.warnings = warnings
    }

    /// What kubelet writes into a pod with `dnsPolicy: ClusterFirst`:
    /// `search <ns>.svc.<zone> svc.<zone> <zone>` (then the node's own search domains, which
    /// this default leaves out), `options ndots:5`, the cluster DNS service as nameserver.
    package static func pod(namespace: String, zone: String, nameserver: String = "10.96.0.10") -> ResolvConf {
        let zone = ResolvConf.trimmingDots(zone)
        return ResolvConf(nameservers: [nameserver], search: ["\(namespace).svc.\(zone)", "svc.\(zone)", zone], ndots: 5)
    }

    /// The nameservers the resolver actually uses: the first three, or 127.0.0.1 when there
    /// is none (both libraries' fallback).
    package var effectiveNameservers: [String] {
        nameservers.isEmpty ? ["127.0.0.1"] : Array(nameservers.prefix(3))
    }

    /// `text` without dots at either end (`.cluster.local.` → `cluster.local`).
    package static func trimmingDots(_ text: String) -> String {
        var s = Substring(text)
        while s.hasPrefix(".") { s = s.dropFirst() }
        while s.hasSuffix(".") { s = s.dropLast() }
        return String(s)
    }
}

/// Something in a resolv.conf that the resolver ignores or changes, with its line.
package struct ResolvConfWarning: Sendable, Equatable, CustomStringConvertible {
    /// The file (or `--options`) and line, 0 when not from a line.
    package var source: String
    package var line: Int
    package var message: String

    package init(source: String, line: Int, message: String) {
        self.source = source
        self.line = line
        self.message = message
    }

    package var description: String { line > 0 ? "\(source):\(line): \(message)" : "\(source): \(message)" }
}
