import DNSWire

// glibc 2.36's stub resolver, step by step, as the source code does it.
//
// - resolv/res_query.c `__res_context_search`: which names are tried and what stops the search.
// - resolv/res_query.c `__res_context_query`: when a pair of replies counts as an answer, and
//   which h_errno a failure leaves (HOST_NOT_FOUND, NO_DATA, TRY_AGAIN, NO_RECOVERY).
// - resolv/res_send.c `__res_context_send`: attempts × nameservers (with `rotate`), TCP after
//   TC; `send_dg`: A and AAAA from one socket, SERVFAIL/REFUSED/NOTIMP and "referrals" as
//   "try the next server", the single-request fallback after a lost second reply.
// - resolv/nss_dns/dns-host.c `_nss_dns_gethostbyname4_r`: AF_UNSPEC asks for A and AAAA per
//   name (T_QUERY_A_AND_AAAA); other families and `res_search` ask for one type.
//
// The model is exact about which packets are sent and in which order; timing is simulated
// from the replies' round trips and the timeouts (`seconds = timeout << ns / nscount`).

/// One `getaddrinfo`/`res_search` call by glibc, driven against a `Resolver`.
struct GlibcLookup {
    let conf: ResolvConf
    let kind: LookupKind
    let resolver: any Resolver

    /// `statp->options`: glibc turns on single-request (then -reopen) by itself when a second
    /// reply is lost, and keeps it for the rest of the process.
    var options: ResolverOptions
    var clock: Duration = .zero
    var attempts: [QueryAttempt] = []
    var notes: [String] = []
    var socketCount = 0
    /// `nameserver_offset`: glibc starts at a random server and moves one on per call; the
    /// simulation starts at the first.
    var rotateCounter = 0
    var candidateIndex = 0
    var candidates: [SearchCandidate] = []

    init(conf: ResolvConf, kind: LookupKind, resolver: any Resolver) {
        self.conf = conf
        self.kind = kind
        self.resolver = resolver
        self.options = conf.options
    }

    // MARK: h_errno and errno as res_query.c leaves them

    enum HErrno: Equatable { case hostNotFound, noData, tryAgain, noRecovery }

    /// What `__res_context_query` returned for one candidate.
    struct QueryResult {
        var success: Bool
        var herrno: HErrno
        /// `hp->rcode` as `__res_context_search` reads it: the rcode last written into the
        /// first answer buffer during this candidate (NOERROR when nothing arrived).
        var firstBufferRcode: ResponseCode
        /// `errno == ECONNREFUSED` after the send: no server was reachable at all.
        var connectionRefused: Bool
        /// Attempt indices of the replies the answer is built from.
        var answerAttempts: [Int]
    }

    // MARK: __res_context_search

    mutating func run(name: String) -> LookupTrace {
        let dots = name.utf8.reduce(0) { $0 + ($1 == UInt8(ascii: ".") ? 1 : 0) }
        let trailingDot = name.hasSuffix(".")
        var savedHErrno: HErrno? = nil
        var triedAsIs = false
        var searched = false
        var rootOnList = false
        var gotNoData = false
        var gotServfail = false
        var last = QueryResult(success: false, herrno: .hostNotFound, firstBufferRcode: .noError,
                               connectionRefused: false, answerAttempts: [])

        if dots >= conf.ndots || trailingDot {
            let result = queryDomain(name: name, domain: nil)
            if result.success || trailingDot { return finish(result) }
            savedHErrno = result.herrno
            last = result
            triedAsIs = true
        }

        // RES_DEFNAMES and RES_DNSRCH are on by default: search a dotless name and a dotted one.
        if !trailingDot {
            var done = false
            for var domain in conf.search where !done {
                searched = true
                if domain.hasPrefix(".") { domain.removeFirst() }
                if domain.isEmpty { rootOnList = true }
                let result = queryDomain(name: name, domain: domain)
                if result.success { return finish(result) }
                last = result
                // "If no server present, give up."
                if result.connectionRefused {
                    last.herrno = .tryAgain
                    return finish(last)
                }
                switch result.herrno {
                case .noData:
                    gotNoData = true
                case .hostNotFound:
                    break
                case .tryAgain where result.firstBufferRcode == .serverFailure:
                    gotServfail = true
                default:
                    // A timeout, REFUSED or anything else: stop searching, but still try the
                    // name as written below.
                    done = true
                }
            }
        }

        if (dots > 0 || !searched || !options.contains(.noTLDQuery)) && !(triedAsIs || rootOnList) {
            let result = queryDomain(name: name, domain: nil)
            if result.success { return finish(result) }
            last = result
        }

        if let savedHErrno {
            last.herrno = savedHErrno
        } else if gotNoData {
            last.herrno = .noData
        } else if gotServfail {
            last.herrno = .tryAgain
        }
        last.success = false
        return finish(last)
    }

    /// `__res_context_querydomain`: `name.domain`, or the name as written.
    mutating func queryDomain(name: String, domain: String?) -> QueryResult {
        let text = domain.map { name + "." + $0 } ?? name
        candidates.append(SearchCandidate(text: text, domain: domain))
        candidateIndex = candidates.count - 1
        guard text.utf8.count < 1025, let qname = try? DomainName(text), !qname.isRoot || text == "." else {
            // res_mkquery fails before anything is sent.
            notes.append("\(text): not a valid DNS name (too long or an empty label); nothing sent (NO_RECOVERY)")
            return QueryResult(success: false, herrno: .noRecovery, firstBufferRcode: .noError,
                               connectionRefused: false, answerAttempts: [])
        }
        return query(qname, isSearchExpansion: !(domain ?? "").isEmpty)
    }

    /// The query types for one candidate.
    var queryTypes: [RecordType] {
        switch kind {
        case .addresses: options.contains(.noAAAA) ? [.a] : [.a, .aaaa]
        case .family(let type), .records(let type): [type]
        }
    }

    // MARK: __res_context_query

    mutating func query(_ qname: DomainName, isSearchExpansion: Bool) -> QueryResult {
        let edns = options.contains(.edns0)
        let queries = queryTypes.map {
            ResolverQuery(name: qname, type: $0, edns: edns, isSearchExpansion: isSearchExpansion)
        }
        var firstBuffer: ResolverReply? = nil
        let sent = send(queries, firstBuffer: &firstBuffer)
        let firstRcode = firstBuffer?.rcode ?? .noError
        guard let sent else {
            return QueryResult(success: false, herrno: .tryAgain, firstBufferRcode: firstRcode,
                               connectionRefused: lastErrnoRefused, answerAttempts: [])
        }
        // hp: the first buffer; hp2: the second when it holds a reply, else hp. With no usable
        // first reply (resplen 0) both are the second.
        var hp = sent.first
        var hp2 = sent.second ?? sent.first
        if sent.first == nil || sent.firstLength == 0, let second = sent.second { hp = second; hp2 = second }
        guard let one = hp?.reply, let two = hp2?.reply else {
            return QueryResult(success: false, herrno: .tryAgain, firstBufferRcode: firstRcode,
                               connectionRefused: false, answerAttempts: [])
        }
        let oneAnswers = one.rcode == .noError && one.answerCount > 0
        let twoAnswers = two.rcode == .noError && two.answerCount > 0
        if oneAnswers || twoAnswers {
            var used: [Int] = []
            if oneAnswers, let index = hp?.attempt { used.append(index) }
            if twoAnswers, let index = hp2?.attempt, !used.contains(index) { used.append(index) }
            return QueryResult(success: true, herrno: .hostNotFound, firstBufferRcode: firstRcode,
                               connectionRefused: false, answerAttempts: used)
        }
        let rcode = one.rcode == .noError ? two.rcode : one.rcode
        let herrno: HErrno
        switch rcode {
        case .nameError: herrno = .hostNotFound
        case .serverFailure: herrno = .tryAgain
        case .noError: herrno = .noData
        default: herrno = .noRecovery
        }
        return QueryResult(success: false, herrno: herrno, firstBufferRcode: firstRcode,
                           connectionRefused: false, answerAttempts: [])
    }

    // MARK: __res_context_send

    /// A reply held in one of glibc's two answer buffers, with the attempt it came from.
    struct Buffered {
        var reply: ResolverReply?
        var attempt: Int
    }

    /// `__res_context_send`'s successful return: the two buffers and `resplen` (0 when the
    /// first buffer holds a rejected reply and only the second counts).
    struct Sent {
        var first: Buffered?
        var firstLength: Int
        var second: Buffered?
    }

    var lastErrnoRefused = false

    /// Attempts × nameservers until one exchange succeeds; nil when all failed (errno is
    /// ECONNREFUSED if no server was ever reached, else ETIMEDOUT).
    mutating func send(_ queries: [ResolverQuery], firstBuffer: inout ResolverReply?) -> Sent? {
        let servers = conf.effectiveNameservers.count
        var offset = 0
        if options.contains(.rotate) && servers > 1 {
            offset = rotateCounter % servers
            rotateCounter += 1
        }
        var virtualCircuit = options.contains(.useVC)
        var gotSomewhere = false
        var attempt = 0
        var lastTry = false
        while attempt < max(conf.attempts, 1) && !lastTry {
            for shift in 0..<servers {
                let ns = (shift + offset) % servers
                var sameServer = true
                while sameServer {
                    sameServer = false
                    if virtualCircuit {
                        // "Use VC; at most one attempt per server."
                        lastTry = true
                        let result = sendVC(queries, server: ns, round: attempt, firstBuffer: &firstBuffer)
                        guard let result else { break }
                        return result
                    }
                    let result = sendDG(queries, server: ns, round: attempt, gotSomewhere: &gotSomewhere,
                                        firstBuffer: &firstBuffer)
                    switch result {
                    case .nextServer:
                        break
                    case .truncated:
                        virtualCircuit = true
                        sameServer = true
                    case .done(let sent):
                        return sent
                    }
                }
            }
            attempt += 1
        }
        lastErrnoRefused = !virtualCircuit && !gotSomewhere
        return nil
    }

    /// The wait for one server: `retrans << ns`, divided by the server count after the first,
    /// at least one second.
    func timeout(server ns: Int) -> Duration {
        var seconds = conf.timeoutSeconds << ns
        if ns > 0 { seconds /= conf.effectiveNameservers.count }
        return .seconds(max(seconds, 1))
    }

    mutating func openSocket() -> Int {
        socketCount += 1
        return socketCount
    }

    func note(round: Int, base: String?) -> String? {
        let retry = round > 0 ? "attempt \(round + 1) of \(max(conf.attempts, 1))" : nil
        switch (retry, base) {
        case (nil, nil): return nil
        case (let r?, nil): return r
        case (nil, let b?): return b
        case (let r?, let b?): return "\(r), \(b)"
        }
    }

    /// Sends `queries` (all on the wire at `clock`) and records them.
    mutating func exchange(_ queries: [ResolverQuery], server: Int, transport: QueryTransport, socket: Int,
                           timeout: Duration, note: String?) -> [(attempt: Int, result: ResolverResult)] {
        let results = resolver.exchange(queries, server: server, transport: transport, timeout: timeout)
        var out: [(Int, ResolverResult)] = []
        for (i, query) in queries.enumerated() {
            var result = i < results.count ? results[i] : .timeout
            // A reply later than the wait is, to the stub, no reply.
            if case .reply(_, let elapsed) = result, elapsed > timeout { result = .timeout }
            attempts.append(QueryAttempt(qname: query.name, qtype: query.type, server: server, transport: transport,
                                         socket: socket, sentAt: clock, result: result, candidate: candidateIndex,
                                         note: note))
            out.append((attempts.count - 1, result))
        }
        return out
    }

    // MARK: send_dg

    enum DatagramResult {
        case nextServer
        case truncated
        case done(Sent)
    }

    /// One server, UDP: glibc's `send_dg`, including the single-request fallback.
    mutating func sendDG(_ queries: [ResolverQuery], server ns: Int, round: Int, gotSomewhere: inout Bool,
                         firstBuffer: inout ResolverReply?) -> DatagramResult {
        let wait = timeout(server: ns)
        var singleRequestReopen = options.contains(.singleRequestReopen)
        var singleRequest = options.contains(.singleRequest) || singleRequestReopen
        let savedGotSomewhere = gotSomewhere
        var socket = openSocket()
        var fallback: String? = nil
        let paired = queries.count == 2

        while true {
            let start = clock
            let deadline = start + wait
            // Replies in flight: (arrival time, query index 0/1, attempt, result).
            var inFlight: [(at: Duration, query: Int, attempt: Int, result: ResolverResult)] = []
            let sendNote = note(round: round, base: fallback)
            if paired && !singleRequest {
                for (i, sent) in exchange(queries, server: ns, transport: .udp, socket: socket, timeout: wait,
                                          note: sendNote).enumerated() {
                    inFlight.append((Self.arrival(start, sent.result), i, sent.attempt, sent.result))
                }
            } else {
                let sent = exchange([queries[0]], server: ns, transport: .udp, socket: socket, timeout: wait,
                                    note: sendNote)[0]
                inFlight.append((Self.arrival(start, sent.result), 0, sent.attempt, sent.result))
            }
            var received = [false, !paired]
            var firstLength = 0
            var first: Buffered? = nil
            var second: Buffered? = nil
            var secondSent = paired && !singleRequest

            var outcome: DatagramResult? = nil
            while outcome == nil {
                inFlight.sort { ($0.at, $0.attempt) < ($1.at, $1.attempt) }
                guard let next = inFlight.first, next.at <= deadline else { break }
                inFlight.removeFirst()
                clock = next.at
                let reply: ResolverReply
                switch next.result {
                case .connectionRefused:
                    // recvfrom fails with ECONNREFUSED: close, next server.
                    return .nextServer
                case .timeout:
                    continue
                case .reply(let r, _):
                    reply = r
                }
                gotSomewhere = true
                let intoFirst = (!received[0] && !received[1]) || !paired
                if reply.isServerRejection || reply.isReferral {
                    if received[0] || (paired && received[1]) {
                        // The other reply is in: return what there is, without this one. When
                        // that was a rejection too, `resplen` and `resplen2` are both 0 and
                        // `__res_context_send` moves on to the next server.
                        if firstLength == 0 { return .nextServer }
                        outcome = .done(Sent(first: first, firstLength: firstLength, second: nil))
                        break
                    }
                    if intoFirst { firstBuffer = reply }
                    if paired {
                        // "No data from the first reply"; wait for the other.
                        firstLength = 0
                        first = Buffered(reply: reply, attempt: next.attempt)
                        received[next.query] = true
                        continue
                    }
                    return .nextServer
                }
                if intoFirst { firstBuffer = reply }
                if reply.truncated {
                    return .truncated
                }
                if intoFirst {
                    first = Buffered(reply: reply, attempt: next.attempt)
                    firstLength = 1
                } else {
                    second = Buffered(reply: reply, attempt: next.attempt)
                }
                received[next.query] = true
                if !(received[0] && received[1]) {
                    if !secondSent {
                        // single-request: the second query goes out once the first reply is in.
                        secondSent = true
                        if singleRequestReopen { socket = openSocket() }
                        let sent = exchange([queries[1]], server: ns, transport: .udp, socket: socket,
                                            timeout: deadline - clock, note: sendNote)[0]
                        inFlight.append((Self.arrival(clock, sent.result), 1, sent.attempt, sent.result))
                    }
                    continue
                }
                outcome = .done(Sent(first: first, firstLength: firstLength, second: second))
            }
            if let outcome { return outcome }

            // Timed out.
            clock = deadline
            if firstLength > 0 && (received[0] || (paired && received[1])) {
                // One reply in, the other lost: broken servers or firewalls; glibc switches
                // mode for the rest of the process and sends both again.
                if !singleRequest {
                    options.insert(.singleRequest)
                    singleRequest = true
                    gotSomewhere = savedGotSomewhere
                    fallback = "resent in single-request mode (a reply was lost)"
                    notes.append("a reply was lost after the other arrived: glibc switched to single-request for the rest of the process")
                    continue
                } else if !singleRequestReopen {
                    options.insert(.singleRequestReopen)
                    singleRequestReopen = true
                    gotSomewhere = savedGotSomewhere
                    socket = openSocket()
                    fallback = "resent in single-request-reopen mode (a reply was lost again)"
                    notes.append("lost again: glibc switched to single-request-reopen for the rest of the process")
                    continue
                }
                return .done(Sent(first: first, firstLength: firstLength, second: nil))
            }
            gotSomewhere = true
            return .nextServer
        }
    }

    static func arrival(_ start: Duration, _ result: ResolverResult) -> Duration {
        switch result {
        case .reply(_, let elapsed): start + elapsed
        case .connectionRefused: start
        case .timeout: .seconds(1_000_000)
        }
    }

    // MARK: send_vc

    /// One server over TCP (`use-vc`, or after TC): both queries on one connection, replies
    /// taken whatever their rcode. Nil when the connection failed or a reply never came.
    mutating func sendVC(_ queries: [ResolverQuery], server ns: Int, round: Int,
                         firstBuffer: inout ResolverReply?) -> Sent? {
        let socket = openSocket()
        let wait = timeout(server: ns)
        let start = clock
        let sent = exchange(queries, server: ns, transport: .tcp, socket: socket, timeout: wait,
                            note: note(round: round, base: options.contains(.useVC) ? nil : "over TCP after a truncated reply"))
        var arrivals: [(at: Duration, attempt: Int, reply: ResolverReply)] = []
        for item in sent {
            guard case .reply(let reply, let elapsed) = item.result else {
                clock = start + (item.result == .connectionRefused ? .zero : wait)
                return nil
            }
            arrivals.append((start + elapsed, item.attempt, reply))
        }
        arrivals.sort { ($0.at, $0.attempt) < ($1.at, $1.attempt) }
        clock = arrivals.last?.at ?? start
        guard let head = arrivals.first else { return nil }
        firstBuffer = head.reply
        let second = arrivals.count > 1 ? Buffered(reply: arrivals[1].reply, attempt: arrivals[1].attempt) : nil
        return Sent(first: Buffered(reply: head.reply, attempt: head.attempt), firstLength: 1, second: second)
    }

    // MARK: Result

    mutating func finish(_ result: QueryResult) -> LookupTrace {
        let outcome: LookupOutcome
        if result.success {
            // In sending order (A before AAAA), whichever reply arrived first.
            let used = result.answerAttempts.sorted()
            for index in used { attempts[index].used = true }
            let records = used.flatMap { attempts[$0].reply?.answers ?? [] }
            let name = used.first.map { attempts[$0].qname } ?? .root
            outcome = .resolved(name: name, records: records)
        } else {
            outcome = .failed(Self.error(result.herrno, kind: kind))
        }
        return LookupTrace(candidates: candidates, attempts: attempts, outcome: outcome, elapsed: clock, notes: notes)
    }

    /// What the application sees: `getaddrinfo` maps TRY_AGAIN to EAI_AGAIN and NO_DATA to
    /// EAI_NODATA (the name exists), anything else to EAI_NONAME; `res_search` leaves h_errno.
    static func error(_ herrno: HErrno, kind: LookupKind) -> LookupError {
        if kind.isAddressLookup {
            switch herrno {
            case .tryAgain: return .eaiAgain
            case .noData: return .eaiNoData
            case .hostNotFound, .noRecovery: return .eaiNoName
            }
        }
        switch herrno {
        case .hostNotFound: return .hostNotFound
        case .noData: return .noData
        case .tryAgain: return .tryAgain
        case .noRecovery: return .noRecovery
        }
    }
}
