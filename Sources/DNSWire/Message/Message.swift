/// A whole DNS message in typed form, for everything off the hot path: the forwarder's cache,
/// zone data, tests, logs. The hot path reads queries with `QueryParser` and writes answers with
/// `MessageWriter` instead, without building one of these.
public struct Message: Hashable, Sendable {
    /// The header as read or to be written. On encode the section counts are recomputed from
    /// the arrays (the caller's counts are ignored) and TC is set when a section had to be cut.
    public var header: Header
    public var questions: [Question]
    public var answers: [ResourceRecord]
    public var authorities: [ResourceRecord]
    /// The additional section without the OPT record, which lives in `edns`.
    public var additionals: [ResourceRecord]
    public var edns: EDNS?

    public init(header: Header = Header(), questions: [Question] = [], answers: [ResourceRecord] = [],
                authorities: [ResourceRecord] = [], additionals: [ResourceRecord] = [], edns: EDNS? = nil) {
        self.header = header
        self.questions = questions
        self.answers = answers
        self.authorities = authorities
        self.additionals = additionals
        self.edns = edns
    }

    /// A query for one question, RD set, with EDNS when `edns` is given.
    public static func query(id: UInt16, name: DomainName, type: RecordType, recordClass: RecordClass = .in,
                             recursionDesired: Bool = true, edns: EDNS? = EDNS()) -> Message {
        var header = Header(id: id)
        header.recursionDesired = recursionDesired
        return Message(header: header, questions: [Question(name: name, type: type, questionClass: recordClass)],
                       edns: edns)
    }

    /// The full 12-bit response code: header bits plus EDNS's upper bits.
    public var rcode: ResponseCode {
        get { ResponseCode(rawValue: UInt16(edns?.extendedRCode ?? 0) << 4 | UInt16(header.rcodeBits)) }
        set {
            header.rcodeBits = newValue.headerBits
            if edns != nil { edns?.extendedRCode = newValue.extendedBits }
        }
    }

    /// The first question, which is the only one in practice (RFC 9619 makes QDCOUNT > 1 FORMERR).
    public var question: Question? { questions.first }
}
