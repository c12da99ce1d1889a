import DNSWire

/// What the registry says a name's answer must be, in a form a reply can be checked against.
enum ExpectedAnswer: Equatable {
    case nxdomain
    /// The A and AAAA records, all of them.
    case addresses([IPAddress])

    /// A description of how `checks` differ from this expectation; nil when they agree or
    /// when nothing comparable came back (timeouts, answers assumed in-process).
    func mismatch(_ checks: [Explanation.Check]) -> String? {
        var replies: [(RecordType, ResolverReply)] = []
        for check in checks {
            guard case .reply(let reply, _) = check.result, reply.guess == nil else { return nil }
            replies.append((check.type, reply))
        }
        switch self {
        case .nxdomain:
            if let (type, reply) = replies.first(where: { $0.1.rcode != .nameError }) {
                return "\(type) is \(reply.isNoData ? "NODATA" : reply.rcode.description) where NXDOMAIN is expected"
            }
            return nil
        case .addresses(let expected):
            var differences: [String] = []
            for (type, reply) in replies where type == .a || type == .aaaa {
                let want = Set(expected.filter { $0.recordType == type })
                let got = Set(reply.answers.compactMap { record -> IPAddress? in
                    switch record.rdata {
                    case .a(let v4) where type == .a: .v4(v4)
                    case .aaaa(let v6) where type == .aaaa: .v6(v6)
                    default: nil
                    }
                })
                if reply.rcode != .noError {
                    differences.append("\(type) is \(reply.rcode)")
                } else if want != got {
                    let wantText = want.isEmpty ? "none" : want.map(\.description).sorted().joined(separator: ", ")
                    let gotText = got.isEmpty ? "none" : got.map(\.description).sorted().joined(separator: ", ")
                    differences.append("\(type) answers \(gotText), the registry has \(wantText)")
                }
            }
            return differences.isEmpty ? nil : differences.joined(separator: "; ")
        }
    }
}
