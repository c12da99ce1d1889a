import ClusterDNSCSystem
import DNSWire
import Testing

/// Differential tests against libldns, an independent implementation of the same RFCs: DNSWire
/// encodes and ldns decodes, then ldns encodes and DNSWire decodes, over thousands of random
/// messages. Every run uses a new seed unless `CROSSCHECK_SEED` is set; the seed is printed, and
/// every failure names the seed and the message index, so any disagreement can be replayed:
///
///     CROSSCHECK_SEED=1234 swift test --filter LDNSCrossCheckTests
///
/// Where the two libraries legitimately differ, the exclusion is narrow and documented in
/// Docs/wire-codec.md ("libldns cross-check").
@Suite struct LDNSCrossCheckTests {
    static let seed: UInt64 = {
        if let text = getenv("CROSSCHECK_SEED"), let value = UInt64(String(cString: text)) { return value }
        var system = SystemRandomNumberGenerator()
        return system.next() >> 16   // short enough to copy from a log
    }()

    /// `CROSSCHECK_MESSAGES` lowers it for slow runs (valgrind's leak check).
    static let messagesPerDirection: Int = {
        if let text = getenv("CROSSCHECK_MESSAGES"), let value = Int(String(cString: text)), value > 0 { return value }
        return 10_000
    }()
    /// More than this many failing messages in one test only repeats the same story.
    static let maxReported = 5

    /// Presentation text is compared on every other message: printing names is most of a debug
    /// build's time here, and half the messages still print tens of thousands of records.
    static func comparesPresentation(_ index: Int) -> Bool { index % 2 == 0 }

    /// The message a test index stands for: one in ten is a compression-heavy answer.
    static func message(_ index: Int, _ generator: inout RandomMessages) -> Message {
        index % 10 == 9 ? generator.compressionHeavyMessage() : generator.message()
    }

    static func report(_ test: String, _ index: Int, _ differences: [String], dnswire: String, ldns: String,
                       wire: [UInt8]) -> Comment {
        Comment(rawValue: """
            \(test): message \(index) of seed \(seed) (rerun with CROSSCHECK_SEED=\(seed))
            differences:
              \(differences.joined(separator: "\n  "))
            --- DNSWire:
            \(dnswire)
            --- ldns:
            \(ldns)
            --- wire (\(wire.count) octets): \(hex(wire))
            """)
    }

    @Test("DNSWire encodes, libldns decodes: random messages agree field by field and in presentation")
    func dnswireToLDNS() {
        print("LDNSCrossCheckTests seed \(LDNSCrossCheckTests.seed) (set CROSSCHECK_SEED to replay)")
        var generator = RandomMessages(seed: LDNSCrossCheckTests.seed)
        var failures = 0
        var records = 0
        for index in 0..<LDNSCrossCheckTests.messagesPerDirection where failures < LDNSCrossCheckTests.maxReported {
            let message = LDNSCrossCheckTests.message(index, &generator)
            guard let wire = message.encoded() else {
                Issue.record("message \(index) of seed \(LDNSCrossCheckTests.seed) does not encode:\n\(message)")
                failures += 1
                continue
            }
            let ldns: LDNSMessage
            switch LDNSReader.parse(wire) {
            case .failure(let error):
                Issue.record(LDNSCrossCheckTests.report("dnswireToLDNS", index, ["\(error)"], dnswire: message.description,
                                                        ldns: "(ldns could not parse)", wire: wire))
                failures += 1
                continue
            case .success(let parsed):
                ldns = parsed
            }
            // DNSWire writes names byte for byte and compresses only identical octets, so every
            // name must reach ldns in the case it was given.
            var comparison = LDNSComparison(exactCase: true)
            comparison.compare(ldns, message)
            records += message.answers.count + message.authorities.count + message.additionals.count
            if LDNSCrossCheckTests.comparesPresentation(index) {
                for (l, r) in zip(ldns.answers + ldns.authorities + ldns.additionals,
                                  message.answers + message.authorities + message.additionals) {
                    comparison.differences += PresentationComparison.differences(l, r)
                }
            }
            if !comparison.differences.isEmpty {
                Issue.record(LDNSCrossCheckTests.report("dnswireToLDNS", index, comparison.differences,
                                                        dnswire: message.description, ldns: LDNSReader.text(wire), wire: wire))
                failures += 1
            }
        }
        print("LDNSCrossCheckTests dnswireToLDNS: \(LDNSCrossCheckTests.messagesPerDirection) messages, \(records) records")
    }

    @Test("libldns encodes from rdf fields, DNSWire decodes: random messages agree with ldns's own reading and with the input")
    func ldnsFieldsToDNSWire() {
        ldnsToDNSWire(source: .fields, count: LDNSCrossCheckTests.messagesPerDirection, seedOffset: 1)
    }

    @Test("libldns parses DNSWire's presentation text (ldns_rr_new_frm_str), encodes, DNSWire decodes the same records")
    func ldnsTextToDNSWire() {
        ldnsToDNSWire(source: .text, count: LDNSCrossCheckTests.messagesPerDirection / 4, seedOffset: 2)
    }

    func ldnsToDNSWire(source: LDNSWriter.RecordSource, count: Int, seedOffset: UInt64) {
        let test = source == .fields ? "ldnsFieldsToDNSWire" : "ldnsTextToDNSWire"
        var generator = RandomMessages(seed: LDNSCrossCheckTests.seed &+ seedOffset)
        var failures = 0
        var skipped = 0
        defer { if source == .text { print("LDNSCrossCheckTests \(test): \(count) messages, \(skipped) records skipped (ldns cannot read them as text)") } }
        for index in 0..<count where failures < LDNSCrossCheckTests.maxReported {
            var model = LDNSCrossCheckTests.ldnsExpressible(LDNSCrossCheckTests.message(index, &generator))
            if source == .text { model = LDNSCrossCheckTests.ldnsReadable(model, skipped: &skipped) }
            let wire: [UInt8]
            switch LDNSWriter.encode(model, records: source) {
            case .failure(let error):
                Issue.record("\(test): message \(index) of seed \(LDNSCrossCheckTests.seed): \(error)\n\(model)")
                failures += 1
                continue
            case .success(let bytes):
                wire = bytes
            }
            let parsed: Message
            do throws(WireError) { parsed = try Message(parsing: wire) } catch {
                Issue.record(LDNSCrossCheckTests.report(test, index, ["DNSWire cannot parse: \(error)"], dnswire: model.description,
                                                        ldns: LDNSReader.text(wire),
                                                        wire: wire))
                failures += 1
                continue
            }
            var differences: [String] = []
            // 1. DNSWire and ldns read the same octets the same way, case included.
            switch LDNSReader.parse(wire) {
            case .failure(let error):
                differences.append("ldns cannot parse its own output: \(error)")
            case .success(let ldns):
                var comparison = LDNSComparison(exactCase: true)
                comparison.compare(ldns, parsed)
                if LDNSCrossCheckTests.comparesPresentation(index) {
                    for (l, r) in zip(ldns.answers + ldns.authorities + ldns.additionals,
                                      parsed.answers + parsed.authorities + parsed.additionals) {
                        comparison.differences += PresentationComparison.differences(l, r)
                    }
                }
                differences += comparison.differences
            }
            // 2. The in-place query reader agrees with ldns on header, question and OPT.
            differences += LDNSCrossCheckTests.queryParserDifferences(wire)
            // 3. What DNSWire read is what was put in. ldns compresses names case-insensitively,
            //    so a name after an equal one in another case comes back in the first one's case.
            let expected = LDNSCrossCheckTests.caseFolded(model)
            let got = LDNSCrossCheckTests.caseFolded(parsed)
            if expected != got {
                differences += LDNSCrossCheckTests.recordDifferences(expected, got)
            }
            if !differences.isEmpty {
                Issue.record(LDNSCrossCheckTests.report(test, index, differences, dnswire: "given to ldns:\n\(model)\n--- DNSWire read:\n\(parsed)",
                                                        ldns: LDNSReader.text(wire), wire: wire))
                failures += 1
            }
        }
    }

    /// Removes from a message what ldns's writer cannot express (Docs/wire-codec.md):
    /// the header's Z bit, and an OPT record whose every field ldns would take for "no EDNS".
    static func ldnsExpressible(_ message: Message) -> Message {
        var m = message
        m.header.zero = false
        if var edns = m.edns, edns.udpPayloadSize == 0, edns.extendedRCode == 0, !edns.dnssecOK, edns.options.isEmpty {
            edns.udpPayloadSize = 512
            m.edns = edns
        }
        return m
    }

    /// What `QueryParser` reads in place, against ldns's reading of the same octets.
    static func queryParserDifferences(_ wire: [UInt8]) -> [String] {
        guard case .success(let l) = LDNSReader.parse(wire) else { return [] }
        let result: Result<ParsedQuery, WireError> = wire.withUnsafeBytes { raw in
            do throws(WireError) { return .success(try QueryParser.parse(raw)) } catch { return .failure(error) }
        }
        let parsed: ParsedQuery
        switch result {
        case .success(let p): parsed = p
        case .failure(let error): return ["QueryParser rejects what ldns reads: \(error)"]
        }
        var out: [String] = []
        if parsed.header.id != l.id || parsed.header.opcode.rawValue != l.opcode || parsed.header.rcodeBits != l.rcode
            || parsed.header.isResponse != l.qr || parsed.header.recursionDesired != l.rd {
            out.append("QueryParser header \(parsed.header) disagrees with ldns")
        }
        if let q = l.questions.first {
            let name = Array(wire[ParsedQuery.nameOffset..<(ParsedQuery.nameOffset + parsed.nameLength)])
            if name != q.owner || parsed.type.rawValue != q.type || parsed.queryClass.rawValue != q.recordClass {
                out.append("QueryParser question \(hex(name)) \(parsed.type) \(parsed.queryClass) disagrees with ldns \(hex(q.owner)) \(q.type) \(q.recordClass)")
            }
        } else if parsed.hasQuestion {
            out.append("QueryParser found a question ldns did not")
        }
        switch (parsed.edns, l.edns) {
        case (nil, nil): break
        case (let e?, let le?):
            if e.udpPayloadSize != le.udpPayloadSize || e.flags != le.flags || e.version != le.version
                || e.extendedRCode != le.extendedRCode || e.optionsLength != (le.data?.count ?? 0) {
                out.append("QueryParser EDNS \(e) disagrees with ldns")
            }
        default:
            out.append("QueryParser EDNS \(String(describing: parsed.edns)) disagrees with ldns (present: \(l.edns != nil))")
        }
        return out
    }

    /// Names the parts of two messages that differ, for a failure report.
    static func recordDifferences(_ expected: Message, _ got: Message) -> [String] {
        var out: [String] = []
        if expected.header != got.header { out.append("header: given \(expected.header), read \(got.header)") }
        if expected.questions != got.questions { out.append("questions: given \(expected.questions), read \(got.questions)") }
        if expected.edns != got.edns { out.append("EDNS: given \(String(describing: expected.edns)), read \(String(describing: got.edns))") }
        for (title, a, b) in [("answer", expected.answers, got.answers), ("authority", expected.authorities, got.authorities),
                              ("additional", expected.additionals, got.additionals)] {
            if a.count != b.count { out.append("\(title) count: given \(a.count), read \(b.count)") }
            for (i, (x, y)) in zip(a, b).enumerated() where x != y {
                out.append("\(title) \(i): given '\(x)' (\(x.rdata)), read '\(y)' (\(y.rdata))")
            }
        }
        return out
    }

    /// Drops the records ldns_rr_new_frm_str cannot read back (Docs/wire-codec.md):
    /// - an owner whose text is 255 characters or more: ldns reads the owner token into a buffer of
    ///   LDNS_MAX_DOMAINLEN octets, NUL included, so a legal name with many escapes (`\\255` is four
    ///   characters for one octet) is a syntax error to it;
    /// - an RDATA name whose first label is the single octet `@`: ldns checks the parsed name, not
    ///   the token, for "@", so `\\@.example.` (or `\\064.example.`) becomes the origin (the root).
    static func ldnsReadable(_ message: Message, skipped: inout Int) -> Message {
        var m = message
        func startsWithAtLabel(_ name: DomainName) -> Bool { name.wire.count > 2 && name.wire[0] == 1 && name.wire[1] == 0x40 }
        func readable(_ record: ResourceRecord) -> Bool {
            guard record.name.description.utf8.count < 255 else { return false }
            switch record.rdata {
            case .ns(let n), .cname(let n), .ptr(let n), .mx(_, let n), .srv(_, _, _, let n): return !startsWithAtLabel(n)
            case .soa(let s): return !startsWithAtLabel(s.primaryNameServer) && !startsWithAtLabel(s.responsibleMailbox)
            default: return true
            }
        }
        func readable(_ records: [ResourceRecord]) -> [ResourceRecord] {
            let kept = records.filter(readable)
            skipped += records.count - kept.count
            return kept
        }
        m.answers = readable(m.answers)
        m.authorities = readable(m.authorities)
        m.additionals = readable(m.additionals)
        return m
    }

    /// The message with counts zeroed and every name's letters in lowercase, opaque RDATA of the
    /// name-bearing RFC 1035 types included. `DomainName`'s `==` already ignores case; the
    /// opaque octets need folding by hand.
    static func caseFolded(_ message: Message) -> Message {
        var m = message
        m.header.questionCount = 0
        m.header.answerCount = 0
        m.header.authorityCount = 0
        m.header.additionalCount = 0
        func fold(_ records: [ResourceRecord]) -> [ResourceRecord] {
            records.map { record in
                var r = record
                if case .unknown(let bytes) = r.rdata {
                    switch r.type {
                    case .md, .mf, .mb, .mg, .mr, .minfo, .rp: r.rdata = .unknown(bytes.map(WireName.lowercase))
                    case .afsdb, .rt: r.rdata = .unknown(Array(bytes.prefix(2)) + bytes.dropFirst(2).map(WireName.lowercase))
                    default: break
                    }
                }
                return r
            }
        }
        m.answers = fold(m.answers)
        m.authorities = fold(m.authorities)
        m.additionals = fold(m.additionals)
        return m
    }
}
