import DNSWire

/// `clusterdns simulate --json`: the schema documented in Docs/simulate.md. Keys appear in the
/// order written here; new keys are only ever added, never renamed.
extension SimulationReport {
    package func json() -> JSONValue {
        let conf = request.conf
        var members: [(String, JSONValue)] = [
            ("name", .string(request.name)),
            ("type", .string(request.kind.description)),
            ("resolver", .string(request.resolverKind.rawValue)),
            ("ndots", .int(conf.ndots)),
            ("search", .array(conf.search.map(JSONValue.string))),
            ("timeout", .int(conf.timeoutSeconds)),
            ("attempts_per_server", .int(conf.attempts)),
            ("options", .array(conf.options.words.map(JSONValue.string))),
            ("nameservers", .array(conf.effectiveNameservers.map(JSONValue.string))),
            ("source", .string(source)),
            ("attempts", .array(trace.attempts.map(Self.attemptJSON))),
            ("resolved_name", .string(resolvedName?.description)),
            ("rcode", .string(finalRcode?.description)),
        ]
        switch trace.outcome {
        case .resolved(_, let records):
            members.append(("error", .null))
            members.append(("answers", .array(records.map { .string(Self.shortRecord($0)) })))
        case .failed(let error):
            members.append(("error", .string(error.rawValue)))
            members.append(("answers", .array([])))
        case .notQueried(let why):
            members.append(("error", .null))
            members.append(("answers", .array([])))
            members.append(("not_queried", .string(why)))
        }
        members += [
            ("names_tried", .array(trace.candidates.map { .string($0.text) })),
            ("query_count", .int(queryCount)),
            ("wasted_count", .int(wastedCount)),
            ("elapsed_ms", .double(Self.milliseconds(trace.elapsed))),
            ("assumed_upstream", .bool(usedGuesses)),
            ("notes", .array(trace.notes.map(JSONValue.string))),
            ("warnings", .array(conf.warnings.map { .string($0.description) })),
            ("advice", .array(advice.map(Self.adviceJSON))),
        ]
        return .object(members)
    }

    static func attemptJSON(_ attempt: QueryAttempt) -> JSONValue {
        var rcode: JSONValue = .null
        var outcome = "reply"
        var answers: [JSONValue] = []
        var ms: JSONValue = .null
        var flags: [JSONValue] = []
        var assumed: JSONValue = .null
        switch attempt.result {
        case .timeout:
            outcome = "timeout"
        case .connectionRefused:
            outcome = "unreachable"
        case .reply(let reply, let elapsed):
            rcode = .string(reply.rcode.description)
            outcome = reply.isNoData ? "nodata" : reply.rcode == .noError ? "answer" : reply.rcode.description.lowercased()
            answers = reply.answers.map { .string(shortRecord($0)) }
            if reply.guess == nil { ms = .double(milliseconds(elapsed)) }
            if reply.authoritative { flags.append(.string("aa")) }
            if reply.recursionAvailable { flags.append(.string("ra")) }
            if reply.truncated { flags.append(.string("tc")) }
            assumed = .string(reply.guess?.rawValue)
        }
        return .object([
            ("qname", .string(attempt.qname.description)),
            ("qtype", .string(attempt.qtype.description)),
            ("rcode", rcode),
            ("answers", .array(answers)),
            ("ms", ms),
            ("outcome", .string(outcome)),
            ("flags", .array(flags)),
            ("server", .int(attempt.server)),
            ("transport", .string(attempt.transport.rawValue)),
            ("socket", .int(attempt.socket)),
            ("sent_at_ms", .double(milliseconds(attempt.sentAt))),
            ("name_index", .int(attempt.candidate)),
            ("used", .bool(attempt.used)),
            ("assumed", assumed),
            ("note", .string(attempt.note)),
        ])
    }

    static func adviceJSON(_ advice: Advice) -> JSONValue {
        .object([
            ("kind", .string(advice.kind.rawValue)),
            ("text", .string(advice.text)),
            ("query_count", advice.queryCount.map(JSONValue.int) ?? .null),
            ("ndots", advice.ndots.map(JSONValue.int) ?? .null),
        ])
    }
}
