import DNSWire

// musl 1.2.3's stub resolver, as the source code does it.
//
// - src/network/lookup_name.c `name_from_dns_search`: no search at all when the name has
//   `ndots` dots or more (or a trailing dot); otherwise each search domain, then the name. The
//   first candidate that does not answer NXDOMAIN ends the search, whatever it answered.
// - src/network/lookup_name.c `name_from_dns`: A and AAAA together; no reply or SERVFAIL for
//   either → EAI_AGAIN; NXDOMAIN for the first → next candidate; no address in the replies →
//   EAI_NONAME (1.2.4 changed this to EAI_NODATA).
// - src/network/res_msend.c `__res_msend_rc`: every query to every nameserver at once, resent
//   every timeout/attempts; only NOERROR and NXDOMAIN replies are accepted; a SERVFAIL is
//   resent at once (at most 2 × queries times per round), REFUSED is ignored; the whole
//   exchange ends after `timeout` seconds. No TCP in 1.2.3 (a truncated reply is used as is).
// - src/network/res_query.c: `res_search` is `res_query`, the name as given only.

/// One `getaddrinfo`/`res_search` call by musl, driven against a `Resolver`.
struct MuslLookup {
    let conf: ResolvConf
    let kind: LookupKind
    let resolver: any Resolver

    var clock: Duration = .zero
    var attempts: [QueryAttempt] = []
    var notes: [String] = []
    var candidates: [SearchCandidate] = []
    var socketCount = 0

    init(conf: ResolvConf, kind: LookupKind, resolver: any Resolver) {
        self.conf = conf
        self.kind = kind
        self.resolver = resolver
    }

    enum Step {
        /// NXDOMAIN: the next candidate.
        case next
        case resolved(attempts: [Int])
        case failed(LookupError)
    }

    mutating func run(name: String) -> LookupTrace {
        if case .records(let type) = kind {
            return resQuery(name: name, type: type)
        }
        return nameFromDNSSearch(name: name)
    }

    // MARK: name_from_dns_search

    mutating func nameFromDNSSearch(name: String) -> LookupTrace {
        let dots = name.utf8.reduce(0) { $0 + ($1 == UInt8(ascii: ".") ? 1 : 0) }
        let search = dots >= conf.ndots || name.hasSuffix(".") ? [] : conf.search
        var base = Substring(name)
        if base.hasSuffix(".") { base = base.dropLast() }
        guard !base.isEmpty, !base.hasSuffix("."), base.utf8.count < 256 else {
            return finish(.failed(.eaiNoName), note: "\(name): empty, over-long or with two trailing dots; nothing sent")
        }
        for domain in search {
            guard domain.utf8.count < 256 - base.utf8.count - 1 else {
                notes.append("\(base).\(domain): longer than 255 characters; musl skips this search domain")
                continue
            }
            switch nameFromDNS(String(base) + "." + domain, domain: domain) {
            case .next: continue
            case .resolved(let used): return resolved(used)
            case .failed(let error): return finish(.failed(error))
            }
        }
        switch nameFromDNS(String(base), domain: nil) {
        case .next: return finish(.failed(.eaiNoName))
        case .resolved(let used): return resolved(used)
        case .failed(let error): return finish(.failed(error))
        }
    }

    /// The query types for one candidate: `afrr` order, A then AAAA.
    var queryTypes: [RecordType] {
        switch kind {
        case .addresses: [.a, .aaaa]
        case .family(let type), .records(let type): [type]
        }
    }

    // MARK: name_from_dns

    mutating func nameFromDNS(_ text: String, domain: String?) -> Step {
        candidates.append(SearchCandidate(text: text, domain: domain))
        guard let qname = try? DomainName(text) else {
            notes.append("\(text): not a valid DNS name; res_mkquery fails and musl gives up (EAI_NONAME)")
            return .failed(.eaiNoName)
        }
        let queries = queryTypes.map { ResolverQuery(name: qname, type: $0, isSearchExpansion: domain != nil) }
        let accepted = msend(queries)
        for index in accepted {
            guard let index, let reply = attempts[index].reply else { return .failed(.eaiAgain) }
            if reply.rcode == .serverFailure { return .failed(.eaiAgain) }
            if reply.rcode == .nameError { return .next }
            if reply.rcode != .noError { return .failed(.eaiFail) }
        }
        let used = accepted.compactMap { $0 }.filter { index in
            attempts[index].reply?.answers.contains { $0.type == .a || $0.type == .aaaa } == true
                || attempts[index].reply?.guess == .resolves
        }
        return used.isEmpty ? .failed(.eaiNoName) : .resolved(attempts: used)
    }

    // MARK: res_query (res_search)

    mutating func resQuery(name: String, type: RecordType) -> LookupTrace {
        candidates.append(SearchCandidate(text: name, domain: nil))
        guard let qname = try? DomainName(name) else {
            return finish(.failed(.noRecovery), note: "\(name): not a valid DNS name; nothing sent")
        }
        let accepted = msend([ResolverQuery(name: qname, type: type)])
        guard let index = accepted[0], let reply = attempts[index].reply else { return finish(.failed(.tryAgain)) }
        if reply.rcode == .nameError { return finish(.failed(.hostNotFound)) }
        if reply.rcode == .noError && reply.answerCount == 0 { return finish(.failed(.noData)) }
        return resolved([index])
    }

    // MARK: __res_msend_rc

    /// Sends `queries` to every nameserver, resending on musl's schedule, until each has an
    /// accepted (NOERROR or NXDOMAIN) reply or the timeout passes.
    /// - Returns: per query, the attempt whose reply was accepted, or nil.
    mutating func msend(_ queries: [ResolverQuery]) -> [Int?] {
        socketCount += 1
        let socket = socketCount
        let servers = conf.effectiveNameservers.count
        let timeout = Duration.seconds(conf.timeoutSeconds)
        let interval = Duration.milliseconds(conf.timeoutSeconds * 1000 / max(conf.attempts, 1))
        let start = clock
        let deadline = start + timeout
        var accepted: [Int?] = Array(repeating: nil, count: queries.count)
        var inFlight: [(at: Duration, query: Int, server: Int, attempt: Int)] = []
        // A server answers in the order it received the queries: a resend's reply never
        // overtakes a reply to an earlier query to the same server (as on the wire; measured
        // round trips alone would let noise reorder them).
        var lastArrival: [Int: Duration] = [:]
        var nextRound = start
        var round = 0
        var servfailRetries = 0

        func send(_ indices: [Int], to server: Int, note: String?, lookup: inout MuslLookup) {
            let batch = indices.map { queries[$0] }
            let results = lookup.resolver.exchange(batch, server: server, transport: .udp, timeout: deadline - lookup.clock)
            for (k, queryIndex) in indices.enumerated() {
                var result = k < results.count ? results[k] : .timeout
                if case .reply(_, let elapsed) = result, lookup.clock + elapsed >= deadline { result = .timeout }
                lookup.attempts.append(QueryAttempt(qname: batch[k].name, qtype: batch[k].type, server: server,
                                                    transport: .udp, socket: socket, sentAt: lookup.clock, result: result,
                                                    candidate: lookup.candidates.count - 1, note: note))
                if case .reply(_, let elapsed) = result {
                    let at = max(lookup.clock + elapsed, lastArrival[server] ?? .zero)
                    lastArrival[server] = at
                    inFlight.append((at, queryIndex, server, lookup.attempts.count - 1))
                }
            }
        }

        while accepted.contains(where: { $0 == nil }) {
            inFlight.sort { ($0.at, $0.attempt) < ($1.at, $1.attempt) }
            let nextReply = inFlight.first?.at
            if nextRound < deadline && nextRound <= (nextReply ?? deadline) {
                // "Query all configured nameservers in parallel", every retry interval.
                clock = nextRound
                let pending = accepted.indices.filter { accepted[$0] == nil }
                let note = round == 0 ? nil : "resent after \(Self.format(nextRound - start)) (no accepted reply yet)"
                for server in 0..<servers { send(pending, to: server, note: note, lookup: &self) }
                servfailRetries = 2 * queries.count
                round += 1
                nextRound = start + interval * round
                continue
            }
            guard let reply = inFlight.first, reply.at < deadline else { break }
            inFlight.removeFirst()
            clock = reply.at
            guard accepted[reply.query] == nil, let message = attempts[reply.attempt].reply else {
                attempts[reply.attempt].note = Self.joined(attempts[reply.attempt].note, "reply ignored: already answered")
                continue
            }
            switch message.rcode {
            case .noError, .nameError:
                accepted[reply.query] = reply.attempt
            case .serverFailure:
                if servfailRetries > 0 {
                    servfailRetries -= 1
                    attempts[reply.attempt].note = Self.joined(attempts[reply.attempt].note, "SERVFAIL: not accepted, resent at once")
                    send([reply.query], to: reply.server, note: "resent after SERVFAIL", lookup: &self)
                } else {
                    attempts[reply.attempt].note = Self.joined(attempts[reply.attempt].note, "SERVFAIL: not accepted")
                }
            default:
                attempts[reply.attempt].note = Self.joined(attempts[reply.attempt].note,
                                                           "\(message.rcode): ignored, musl keeps waiting")
            }
        }
        if accepted.contains(where: { $0 == nil }) { clock = deadline }
        return accepted
    }

    static func joined(_ a: String?, _ b: String) -> String { a.map { "\($0); \(b)" } ?? b }

    static func format(_ duration: Duration) -> String {
        let ms = Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
        return ms.truncatingRemainder(dividingBy: 1000) == 0 ? "\(Int(ms / 1000)) s" : "\(ms / 1000) s"
    }

    // MARK: Result

    mutating func resolved(_ used: [Int]) -> LookupTrace {
        for index in used { attempts[index].used = true }
        let records = used.flatMap { attempts[$0].reply?.answers ?? [] }
        let name = used.first.map { attempts[$0].qname } ?? .root
        return finish(.resolved(name: name, records: records))
    }

    func finish(_ outcome: LookupOutcome, note: String? = nil) -> LookupTrace {
        LookupTrace(candidates: candidates, attempts: attempts, outcome: outcome, elapsed: clock,
                    notes: notes + (note.map { [$0] } ?? []))
    }
}
