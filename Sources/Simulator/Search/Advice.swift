import DNSWire

/// One concrete way to make a lookup cheaper or make it work, with the query count it would
/// cost, computed from the trace (no extra queries are sent to find out).
package struct Advice: Sendable, Equatable {
    package enum Kind: String, Sendable, Hashable {
        /// Write the name that resolved as an FQDN, with a trailing dot.
        case fqdn
        /// Lower `ndots` so the name is tried as written first.
        case ndots
        /// Let the server walk the search path (`autopath @kubernetes`).
        case autopath
        /// The name has no AAAA record: half the queries are AAAA asked for nothing.
        case aaaaNoData = "aaaa-nodata"
        /// musl stopped where glibc would have gone on.
        case muslStopped = "musl-stopped"
        /// A reply was lost or refused and cost a timeout.
        case timeout
    }

    package var kind: Kind
    package var text: String
    /// Queries the lookup would cost with this change, when that is computable.
    package var queryCount: Int?
    /// For `.ndots`: the value to use.
    package var ndots: Int?

    package init(kind: Kind, text: String, queryCount: Int? = nil, ndots: Int? = nil) {
        self.kind = kind
        self.text = text
        self.queryCount = queryCount
        self.ndots = ndots
    }

    /// The advice for a finished trace, most effective first.
    static func make(request: SimulationRequest, trace: LookupTrace) -> [Advice] {
        var out: [Advice] = []
        let sent = trace.attempts.count
        let perName = request.kind.queryTypes.count - (request.kind == .addresses && request.conf.options.contains(.noAAAA)
                                                       && request.resolverKind == .glibc ? 1 : 0)
        let dots = request.name.utf8.reduce(0) { $0 + ($1 == UInt8(ascii: ".") ? 1 : 0) }
        let trailingDot = request.name.hasSuffix(".")

        guard case .resolved(let resolved, _) = trace.outcome else {
            out += failureAdvice(request: request, trace: trace)
            return out
        }
        let resolvedIndex = trace.attempts.first { $0.used }?.candidate ?? 0
        let resolvedCandidate = resolvedIndex < trace.candidates.count ? trace.candidates[resolvedIndex] : nil

        if !trailingDot && sent > perName {
            out.append(Advice(kind: .fqdn,
                              text: "write it as an FQDN, \"\(resolved)\" (trailing dot): \(perName) \(plural(perName, "query")) instead of \(sent).",
                              queryCount: perName))
        }
        if !trailingDot, resolvedCandidate?.isSearchExpansion == false, dots > 0, dots < request.conf.ndots, resolvedIndex > 0 {
            out.append(Advice(kind: .ndots,
                              text: "with `options ndots:\(dots)` (pod dnsConfig) or lower, a name with \(dots) \(plural(dots, "dot")) is tried as written first: \(perName) \(plural(perName, "query")) instead of \(sent). Names with fewer dots still get the search list.",
                              queryCount: perName, ndots: dots))
        }
        // autopath walks the path server-side and returns the first answer that is not
        // NXDOMAIN: it helps only when every earlier name was NXDOMAIN.
        let earlierAllNXDOMAIN = trace.attempts.filter { $0.candidate < resolvedIndex }
            .allSatisfy { $0.reply?.rcode == .nameError }
        if let namespace = request.namespace, resolvedIndex > 0, earlierAllNXDOMAIN,
           let firstDomain = trace.candidates.first?.domain,
           firstDomain.lowercased() == "\(namespace).svc.\(request.zone)".lowercased() {
            out.append(Advice(kind: .autopath,
                              text: "with `autopath @kubernetes` (needs `pods verified`; not behind NodeLocal DNSCache) the server answers the first query, \(trace.candidates[0].text)., with a CNAME to \(resolved): \(perName) \(plural(perName, "query")) instead of \(sent).",
                              queryCount: perName))
        }
        if request.kind == .addresses {
            let aaaa = trace.attempts.filter { $0.qtype == .aaaa }
            let resolvedAAAA = aaaa.filter { $0.candidate == resolvedIndex }
            if !resolvedAAAA.isEmpty, resolvedAAAA.allSatisfy({ $0.reply?.isNoData == true || $0.reply == nil }) {
                let wastedAAAA = aaaa.filter { !$0.used }.count
                let fix = request.resolverKind == .glibc
                    ? "if the program only uses IPv4, ask for AF_INET, or add `options no-aaaa` (glibc 2.36 and later)"
                    : "if the program only uses IPv4, ask for AF_INET (musl has no option to stop AAAA queries)"
                out.append(Advice(kind: .aaaaNoData,
                                  text: "\(resolved) has no AAAA record: every lookup also asks for AAAA, \(wastedAAAA) of the \(sent) \(plural(sent, "query")) here; \(fix).",
                                  queryCount: sent - wastedAAAA))
            }
        }
        out += timeoutAdvice(trace: trace)
        return out
    }

    static func failureAdvice(request: SimulationRequest, trace: LookupTrace) -> [Advice] {
        var out: [Advice] = []
        // musl's search ends at the last name it tried; if that is a search-domain expansion,
        // the answer there stopped it.
        if request.resolverKind == .musl, case .failed(let error) = trace.outcome, let last = trace.attempts.last,
           let index = trace.candidates.indices.last, trace.candidates[index].isSearchExpansion {
            let stop: String?
            if error == .eaiNoName, trace.attempts.contains(where: { $0.candidate == index && $0.reply?.isNoData == true }) {
                stop = "\(trace.candidates[index].text). exists without an address (NODATA)"
            } else if error == .eaiAgain {
                stop = "\(trace.candidates[index].text). got no accepted reply (\(last.reply.map { "\($0.rcode)" } ?? "timeout"))"
            } else {
                stop = nil
            }
            if let stop {
                out.append(Advice(kind: .muslStopped,
                                  text: "musl stopped at a search domain because \(stop); glibc would have gone on to the next name. Fix the record or use the FQDN with a trailing dot."))
            }
        }
        out += timeoutAdvice(trace: trace)
        return out
    }

    static func timeoutAdvice(trace: LookupTrace) -> [Advice] {
        let lost = trace.attempts.filter { $0.result == .timeout }.count
        guard lost > 0 else { return [] }
        return [Advice(kind: .timeout,
                       text: "\(lost) \(plural(lost, "query")) got no reply and cost a timeout; the lookup took \(SimulationReport.formatDuration(trace.elapsed)).")]
    }

    static func plural(_ n: Int, _ word: String) -> String {
        if n == 1 { return word }
        return word.hasSuffix("y") ? String(word.dropLast()) + "ies" : word + "s"
    }
}
