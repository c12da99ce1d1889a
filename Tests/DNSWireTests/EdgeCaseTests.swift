import Testing
import DNSWire

// Edge cases of the codec at the wire level: limits, case, awkward octets, the writer's size
// limit to the octet, and the 14-bit reach of compression pointers.

/// Parses or records the error as a test failure.
private func parse(_ wire: [UInt8]) throws -> Message { try Message(parsing: wire) }

/// A header with the given counts and nothing else set.
private func header(qd: UInt8 = 0, an: UInt8 = 0, ns: UInt8 = 0, ar: UInt8 = 0) -> [UInt8] {
    [0x12, 0x34, 0x80, 0x00, 0, qd, 0, an, 0, ns, 0, ar]
}

private func label(_ length: Int, _ byte: UInt8 = UInt8(ascii: "a")) -> [UInt8] {
    [UInt8(length)] + [UInt8](repeating: byte, count: length)
}

@Suite struct NameLimitTests {
    @Test("a 63-octet label is read from the wire and a 64-octet one is rejected as a reserved label type")
    func labelLimit() throws {
        let ok = header(qd: 1) + label(63) + [0, 0, 1, 0, 1]
        let name = try #require(try parse(ok).questions.first?.name)
        #expect(name.firstLabel.count == 63)
        // 64 = 0b01000000: the length octet itself says "extended label type" (RFC 6891 §5).
        let tooLong = header(qd: 1) + label(64) + [0, 0, 1, 0, 1]
        #expect(throws: WireError.badLabelType(offset: 12)) { try parse(tooLong) }
    }

    @Test("a 255-octet name is read from the wire and a 256-octet one is rejected")
    func nameLimit() throws {
        // 3 × 64 + 62 + root = 255 octets.
        let name255 = label(63) + label(63) + label(63) + label(61) + [0]
        #expect(name255.count == 255)
        let parsed = try parse(header(qd: 1) + name255 + [0, 1, 0, 1])
        #expect(parsed.questions[0].name.wireLength == 255)
        let name256 = label(63) + label(63) + label(63) + label(62) + [0]
        #expect(throws: WireError.nameTooLong(offset: 12)) { try parse(header(qd: 1) + name256 + [0, 1, 0, 1]) }
        // The same limit through a pointer: 189 octets of labels + a 67-octet suffix is 256.
        let suffix = label(63) + label(1) + [0]                              // 67 octets at offset 12
        let question = suffix + [0, 1, 0, 1]
        let pointerOwner = label(63) + label(63) + label(60) + [0xC0, 12]     // 189 + 67 = 256
        let rr = pointerOwner + [0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4]
        #expect(throws: WireError.nameTooLong(offset: 12 + question.count)) {
            try parse(header(qd: 1, an: 1) + question + rr)
        }
        let fits = label(63) + label(63) + label(59) + [0xC0, 12]            // 188 + 67 = 255
        let record = fits + [0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4]
        #expect(try parse(header(qd: 1, an: 1) + question + record).answers[0].name.wireLength == 255)
    }

    @Test("DomainName(labels:) enforces 63 and 255 exactly")
    func buildLimits() throws {
        let a63 = [UInt8](repeating: 0x61, count: 63)
        #expect(try DomainName(labels: [a63]).wireLength == 65)
        #expect(throws: NameError.labelTooLong(64)) { try DomainName(labels: [a63 + [0x61]]) }
        #expect(try DomainName(labels: [a63, a63, a63, [UInt8](repeating: 0x62, count: 61)]).wireLength == 255)
        #expect(throws: NameError.nameTooLong(256)) { try DomainName(labels: [a63, a63, a63, [UInt8](repeating: 0x62, count: 62)]) }
        #expect(throws: NameError.emptyLabel) { try DomainName(labels: [[UInt8]()]) }
    }

    @Test("labels holding dots, backslashes, NUL and 0xFF print escaped, read back, and survive the wire",
          arguments: [
              ([[0x2E], [0x5C], [0x00], [0xFF]], "\\..\\\\.\\000.\\255."),
              ([Array("a.b".utf8), Array("c d".utf8)], "a\\.b.c\\032d."),
              ([Array("semi;colon(paren)".utf8)], "semi\\;colon\\(paren\\)."),
              ([Array("at@dollar$quote\"".utf8)], "at\\@dollar\\$quote\\\"."),
          ] as [([[UInt8]], String)])
    func awkwardOctets(labels: [[UInt8]], text: String) throws {
        let name = try DomainName(labels: labels)
        #expect(name.description == text)
        #expect(try DomainName(text).exactlyEquals(name))
        let message = Message(header: Header(id: 1), questions: [Question(name: name, type: .txt)],
                              answers: [ResourceRecord(name: name, ttl: 1, rdata: .cname(name))])
        let back = try parse(try #require(message.encoded()))
        #expect(back.questions[0].name.exactlyEquals(name))
        #expect(back.answers[0].name.exactlyEquals(name))
        #expect(back.answers[0].rdata == .cname(name))
    }

    @Test("escapes that do not stand for an octet are rejected", arguments: ["a\\", "\\1", "\\12", "\\1a2.", "\\300."])
    func badEscapes(text: String) {
        #expect(throws: NameError.self) { try DomainName(text) }
    }
}

@Suite struct CaseTests {
    @Test("the question's 0x20 case is echoed byte for byte in every record that reuses the name")
    func caseEcho() throws {
        let asked: DomainName = "wEb.DeFaUlT.SvC.cLuStEr.LoCaL."
        var message = Message(header: Header(id: 9), questions: [Question(name: asked, type: .a)])
        message.header.isResponse = true
        message.answers = (1...3).map { ResourceRecord(name: asked, ttl: 5, rdata: .a(IPv4Address(10, 0, 0, UInt8($0)))) }
        let wire = try #require(message.encoded())
        let back = try parse(wire)
        #expect(back.questions[0].name.exactlyEquals(asked))
        #expect(back.answers.allSatisfy { $0.name.exactlyEquals(asked) })
        // The owners are pointers to the question: 12 + 36 + 3 × (2 + 10 + 4).
        #expect(wire.count == 12 + asked.wireLength + 4 + 3 * 16)
    }

    @Test("a name that differs from an earlier one only in case is not compressed into it")
    func caseSensitiveCompression() throws {
        let lower: DomainName = "svc.cluster.local."
        let upper: DomainName = "SVC.CLUSTER.LOCAL."
        let message = Message(header: Header(id: 1), questions: [Question(name: lower, type: .ns)],
                              answers: [ResourceRecord(name: upper, ttl: 1, rdata: .ns(lower)),
                                        ResourceRecord(name: lower, ttl: 1, rdata: .ns(upper))])
        let back = try parse(try #require(message.encoded()))
        #expect(back.answers[0].name.exactlyEquals(upper))
        #expect(back.answers[0].rdata == .ns(lower))
        guard case .ns(let target) = back.answers[1].rdata else { Issue.record("not NS"); return }
        #expect(target.exactlyEquals(upper))
        #expect(back.answers[1].name.exactlyEquals(lower))
        #expect(back.answers[0].name == back.answers[1].name)   // still equal for lookups
    }
}

@Suite struct CodeNameTests {
    @Test("every opcode has dig's name", arguments: [
        (0, "QUERY"), (1, "IQUERY"), (2, "STATUS"), (3, "OPCODE3"), (4, "NOTIFY"), (5, "UPDATE"), (6, "OPCODE6"), (15, "OPCODE15"),
    ])
    func opcodeNames(value: UInt8, name: String) {
        #expect(Opcode(rawValue: value).description == name)
        var header = Header()
        header.opcode = Opcode(rawValue: value)
        #expect(header.opcode.rawValue == value)
        #expect(header.flags == UInt16(value) << 11)
    }

    @Test("every RCODE has dig's name and reads back from it", arguments: [
        (0, "NOERROR"), (1, "FORMERR"), (2, "SERVFAIL"), (3, "NXDOMAIN"), (4, "NOTIMP"), (5, "REFUSED"), (6, "YXDOMAIN"),
        (7, "YXRRSET"), (8, "NXRRSET"), (9, "NOTAUTH"), (10, "NOTZONE"), (11, "RCODE11"), (16, "BADVERS"), (23, "BADCOOKIE"),
        (4095, "RCODE4095"),
    ])
    func rcodeNames(value: UInt16, name: String) {
        let code = ResponseCode(rawValue: value)
        #expect(code.description == name)
        #expect(ResponseCode(mnemonic: name) == code)
        #expect(ResponseCode(mnemonic: name.lowercased()) == code)
    }

    @Test("every 12-bit RCODE survives a message round trip through header and OPT")
    func everyRCode() throws {
        for value in UInt16(0)...0x0FFF {
            var message = Message(header: Header(id: value), edns: EDNS())
            message.rcode = ResponseCode(rawValue: value)
            let back = try parse(try #require(message.encoded()))
            #expect(back.rcode.rawValue == value)
        }
    }

    @Test("every type and class mnemonic reads back, and unknown ones use the RFC 3597 form")
    func mnemonics() {
        for raw in UInt16(0)...300 {
            let type = RecordType(rawValue: raw)
            #expect(RecordType(mnemonic: type.description) == type, "\(type)")
        }
        #expect(RecordType(rawValue: 65280).description == "TYPE65280")
        for raw: UInt16 in [0, 1, 2, 3, 4, 254, 255, 4660, 65535] {
            let c = RecordClass(rawValue: raw)
            #expect(RecordClass(mnemonic: c.description) == c, "\(c)")
        }
        #expect(RecordClass(rawValue: 4660).description == "CLASS4660")
    }

    static func setFlag(_ name: String, in header: inout Header) {
        switch name {
        case "qr": header.isResponse = true
        case "aa": header.authoritative = true
        case "tc": header.truncated = true
        case "rd": header.recursionDesired = true
        case "ra": header.recursionAvailable = true
        case "z": header.zero = true
        case "ad": header.authenticData = true
        default: header.checkingDisabled = true
        }
    }

    @Test("each header flag sets its own bit, prints under dig's name and survives the wire", arguments: [
        ("qr", Header.qrMask), ("aa", Header.aaMask), ("tc", Header.tcMask), ("rd", Header.rdMask),
        ("ra", Header.raMask), ("z", Header.zMask), ("ad", Header.adMask), ("cd", Header.cdMask),
    ])
    func flagBits(name: String, mask: UInt16) throws {
        var header = Header()
        CodeNameTests.setFlag(name, in: &header)
        #expect(header.flags == mask)
        #expect(header.flagNames == [name])
        let back = try parse(try #require(Message(header: header).encoded()))
        #expect(back.header.flags == mask)
    }
}

@Suite struct RDataEdgeTests {
    @Test("an empty TXT string, a 255-octet one and several strings survive encode and parse")
    func txtStrings() throws {
        let strings: [[UInt8]] = [[], [UInt8](repeating: 0x78, count: 255), Array("x".utf8), []]
        let record = ResourceRecord(name: "t.example.", ttl: 1, rdata: .txt(strings))
        let back = try parse(try #require(Message(answers: [record]).encoded()))
        #expect(back.answers == [record])
        #expect(record.rdata.presentation == "\"\" \"\(String(repeating: "x", count: 255))\" \"x\" \"\"")
        #expect(try ResourceRecord(presentation: "t.example. 1 IN TXT \"\" \"x\"").rdata == .txt([[], Array("x".utf8)]))
    }

    @Test("an unknown class and an unknown type keep their numbers and octets")
    func unknownClassAndType() throws {
        let record = ResourceRecord(name: "u.example.", type: RecordType(rawValue: 65280),
                                    recordClass: RecordClass(rawValue: 4660), ttl: 7, rdata: .unknown([0xDE, 0xAD]))
        let back = try parse(try #require(Message(answers: [record]).encoded()))
        #expect(back.answers == [record])
        #expect(record.description == "u.example.\t7\tCLASS4660\tTYPE65280\t\\# 2 DEAD")
        #expect(try ResourceRecord(presentation: record.description) == record)
    }

    @Test("RFC 3597 generic text of a known type means the typed record (RFC 3597 §5)", arguments: [
        ("g. 60 IN A \\# 4 0A000001", "g.\t60\tIN\tA\t10.0.0.1"),
        ("g. 60 IN MX \\# 7 000A01610162 00", "g.\t60\tIN\tMX\t10 a.b."),
        ("g. 60 IN TXT \\# 3 026869", "g.\t60\tIN\tTXT\t\"hi\""),
        ("g. 60 IN NS \\# 0", "g.\t60\tIN\tNS\t\\# 0"),
    ])
    func genericKnownType(text: String, printed: String) throws {
        #expect(try ResourceRecord(presentation: text).description == printed)
    }

    @Test("generic text that is not valid for its type, or whose length is absurd, is an error", arguments: [
        "g. 60 IN A \\# 3 0A0000",                           // A needs 4 octets
        "g. 60 IN NS \\# 2 C00C",                            // no compression in generic RDATA
        "g. 60 IN MX \\# 3 000A05",                          // name runs past the data
        "g. 60 IN TYPE65280 \\# 9223372036854775807 00",     // length * 2 would overflow
        "g. 60 IN TYPE65280 \\# -1",
        "g. 60 IN TYPE65280 \\# 2 0A",
    ])
    func genericInvalid(text: String) {
        #expect(throws: PresentationError.self) { try ResourceRecord(presentation: text) }
    }

    @Test("RDLENGTH that disagrees with the typed fields is an error, not a misread", arguments: [
        ([0, 1, 0, 1, 0, 0, 0, 0, 0, 5, 1, 2, 3, 4, 5], WireError.rdataLength(type: .a, offset: 30)),
        ([0, 16, 0, 1, 0, 0, 0, 0, 0, 3, 5, 0x61, 0x62], WireError.badRData(type: .txt, offset: 30)),
        ([0, 15, 0, 1, 0, 0, 0, 0, 0, 4, 0, 1, 0, 0xFF], WireError.rdataLength(type: .mx, offset: 30)),
    ] as [([UInt8], WireError)])
    func rdataMismatch(tail: [UInt8], error: WireError) {
        // Question "a." A IN (19 octets with the header), then an answer owned by the root whose
        // RDATA starts at 19 + 1 + 10 = 30.
        let wire = header(qd: 1, an: 1) + [1, 0x61, 0, 0, 1, 0, 1] + [0] + tail
        #expect(throws: error) { try parse(wire) }
    }

    @Test("octets after the last record are ignored")
    func trailingOctets() throws {
        let wire = try #require(Message(header: Header(id: 5), questions: [Question(name: "a.", type: .a)]).encoded())
        #expect(try parse(wire + [0xFF, 0x00, 0x13]).questions.count == 1)
    }

    @Test("EDNS options that run past the OPT RDATA, and OPT owned by another name, are errors")
    func ednsDefects() throws {
        var wire = try #require(Message(header: Header(id: 1), edns: EDNS(options: [EDNSOption(code: .nsid, data: [1, 2])])).encoded())
        // The option's length (last option header octets at count-4...count-3) claims 3 octets.
        wire[wire.count - 3] = 3
        #expect(throws: WireError.badEDNSOption(offset: wire.count - 6)) { try parse(wire) }
        var owned = try #require(Message(header: Header(id: 1), edns: EDNS()).encoded())
        owned.replaceSubrange(12..<13, with: [1, 0x61, 0])
        #expect(throws: WireError.misplacedOPT(offset: 12)) { try parse(owned) }
    }
}

@Suite struct WriterLimitTests {
    static func response(answers: Int, additionals: Int = 0, edns: EDNS? = nil) -> Message {
        var message = Message(header: Header(id: 77), questions: [Question(name: "big.example.", type: .a)], edns: edns)
        message.header.isResponse = true
        // Answers alternate owners so that each record is its own RRset.
        message.answers = (0..<answers).map {
            ResourceRecord(name: $0 % 2 == 0 ? "big.example." : "other.example.", ttl: 5, rdata: .a(IPv4Address(10, 0, 0, UInt8($0))))
        }
        message.additionals = (0..<additionals).map {
            ResourceRecord(name: DomainName(stringLiteral: "ns\($0).example."), ttl: 5, rdata: .aaaa(IPv6Address(high: 0xFD00 << 48, low: UInt64($0))))
        }
        return message
    }

    @Test("a message that takes exactly N octets fits a limit of N and is cut, with TC, at N - 1",
          arguments: [nil, EDNS(udpPayloadSize: 1232, options: [.cookie(client: [1, 2, 3, 4, 5, 6, 7, 8])])])
    func exactBoundary(edns: EDNS?) throws {
        let message = WriterLimitTests.response(answers: 6, edns: edns)
        let full = try #require(message.encoded())
        let n = full.count
        let atN = try #require(message.encoded(maxSize: n))
        #expect(atN == full)
        #expect(!(try parse(atN).header.truncated))
        let cut = try #require(message.encoded(maxSize: n - 1))
        #expect(cut.count < n)
        let back = try parse(cut)
        #expect(back.header.truncated)
        #expect(back.answers == Array(message.answers.prefix(5)))
        #expect(back.edns == edns)    // the OPT is kept whatever is cut
    }

    @Test("additional records cut at N - 1 are dropped without TC")
    func additionalBoundary() throws {
        let message = WriterLimitTests.response(answers: 1, additionals: 3)
        let n = try #require(message.encoded()).count
        let back = try parse(try #require(message.encoded(maxSize: n - 1)))
        #expect(!back.header.truncated)
        #expect(back.additionals.count == 2)
    }

    @Test("nothing is written when even the header, question and OPT do not fit")
    func tooSmall() throws {
        let message = WriterLimitTests.response(answers: 1, edns: EDNS())
        let minimum = 12 + 17 + 11
        #expect(message.encoded(maxSize: minimum)?.count == minimum)
        #expect(message.encoded(maxSize: minimum - 1) == nil)
    }

    @Test("MessageWriter writes a record that ends exactly at its limit and throws one octet short, leaving nothing")
    func writerToTheOctet() throws {
        let record = ResourceRecord(name: "a.", ttl: 1, rdata: .a(IPv4Address(1, 2, 3, 4)))   // 3 + 10 + 4 = 17
        var storage = [UInt8](repeating: 0, count: 64)
        var table = [UInt16](repeating: 0, count: 8)
        try storage.withUnsafeMutableBytes { out in
            try table.withUnsafeMutableBufferPointer { compression in
                var writer = MessageWriter(buffer: out, limit: 17, compression: compression)
                try writer.writeRecord(record)
                #expect(writer.position == 17)
                writer.reset()
                writer.limit = 16
                #expect(throws: WriterFull.self) { try writer.writeRecord(record) }
                #expect(writer.position == 0)
            }
        }
    }

    @Test("after a record is rolled back at the limit, the octets it left behind are neither kept nor pointed at")
    func rollbackForgetsNames() throws {
        var storage = [UInt8](repeating: 0, count: 128)
        var table = [UInt16](repeating: 0, count: 16)
        let big = ResourceRecord(name: "fresh.example.", ttl: 1, rdata: .txt([[UInt8](repeating: 0x7A, count: 100)]))
        let other = ResourceRecord(name: "x.", ttl: 1, rdata: .a(IPv4Address(2, 2, 2, 2)))
        let small = ResourceRecord(name: "fresh.example.", ttl: 1, rdata: .a(IPv4Address(1, 1, 1, 1)))
        let length: Int = try storage.withUnsafeMutableBytes { out in
            try table.withUnsafeMutableBufferPointer { compression in
                var writer = MessageWriter(buffer: out, limit: 70, compression: compression)
                try writer.writeHeader(Header(id: 1, answerCount: 2))
                #expect(throws: WriterFull.self) { try writer.writeRecord(big) }   // owner written, then rolled back
                #expect(writer.position == 12)
                try writer.writeRecord(other)    // overwrites where "fresh.example." was
                try writer.writeRecord(small)
                return writer.position
            }
        }
        let back = try parse(Array(storage.prefix(length)))
        #expect(back.answers == [other, small])
        #expect(length == 12 + (3 + 10 + 4) + (small.name.wireLength + 10 + 4))   // written in full, no stale pointer
    }

    @Test("names past offset 0x3FFF are never pointer targets; repeats point to an earlier copy or are written in full")
    func pointerReach() throws {
        let bulk = ResourceRecord(name: "bulk.example.", type: RecordType(rawValue: 65280), ttl: 1,
                                  rdata: .unknown([UInt8](repeating: 0xAB, count: 17_000)))
        let late: DomainName = "late.name.example.net."
        let message = Message(header: Header(id: 3),
                              answers: [bulk,
                                        ResourceRecord(name: late, ttl: 1, rdata: .a(IPv4Address(1, 0, 0, 1))),
                                        ResourceRecord(name: late, ttl: 1, rdata: .cname(late)),
                                        ResourceRecord(name: "bulk.example.", ttl: 1, rdata: .ns(late))])
        let wire = try #require(message.encoded())
        let back = try parse(wire)
        #expect(back.answers == message.answers)
        // `late` starts past 0x3FFF, so none of its three repeats can point at it: each copy
        // is in full (23 octets), while "bulk.example." (first at offset 12) compresses.
        let lateWire = late.wire
        let copies = (0...(wire.count - lateWire.count)).filter { Array(wire[$0..<($0 + lateWire.count)]) == lateWire }
        #expect(copies.count == 4)
        #expect(copies.allSatisfy { $0 > 0x3FFF })
        #expect(wire.count == 12 + (14 + 10 + 17_000) + (23 + 10 + 4) + (23 + 10 + 23) + (2 + 10 + 23))
    }
}

@Suite struct QueryParserEdgeTests {
    @Test("a query whose name is exactly 255 octets is read in place; one of 256 is rejected")
    func longestQuestion() throws {
        let name255 = label(63) + label(63) + label(63) + label(61) + [0]
        let wire = header(qd: 1) + name255 + [0, 1, 0, 1]
        let parsed = try wire.withUnsafeBytes { try QueryParser.parse($0) }
        #expect(parsed.nameLength == 255)
        #expect(parsed.questionEnd == wire.count)
        let name256 = label(63) + label(63) + label(63) + label(62) + [0]
        #expect(throws: WireError.nameTooLong(offset: 12)) {
            try (header(qd: 1) + name256 + [0, 1, 0, 1]).withUnsafeBytes { try QueryParser.parse($0) }
        }
    }

    @Test("an OPT record owned by a pointer to the root is refused in place although the full parser accepts it")
    func optOwnerPointer() throws {
        // Question "." NS; OPT owner is a pointer to the question's root octet at offset 12.
        let wire = header(qd: 1, ar: 1) + [0, 0, 2, 0, 1] + [0xC0, 12, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 0]
        #expect(throws: WireError.misplacedOPT(offset: 17)) { try wire.withUnsafeBytes { try QueryParser.parse($0) } }
        #expect(try parse(wire).edns?.udpPayloadSize == 4096)
    }

    @Test("the OPT record is found after skipped answer and authority records (NOTIFY, UPDATE)")
    func optAfterRecords() throws {
        var message = Message(header: Header(id: 2), questions: [Question(name: "zone.example.", type: .soa)],
                              answers: [ResourceRecord(name: "zone.example.", ttl: 1, rdata: .a(IPv4Address(1, 2, 3, 4)))],
                              authorities: [ResourceRecord(name: "zone.example.", ttl: 1, rdata: .ns("ns.zone.example."))],
                              edns: EDNS(udpPayloadSize: 1400, dnssecOK: true))
        message.header.opcode = .notify
        let wire = try #require(message.encoded())
        let parsed = try wire.withUnsafeBytes { try QueryParser.parse($0) }
        #expect(parsed.header.opcode == .notify)
        #expect(parsed.edns?.udpPayloadSize == 1400)
        #expect(parsed.edns?.dnssecOK == true)
    }
}

@Suite struct OversizeTests {
    @Test("RDATA or OPT options over 65535 octets do not fit even a larger buffer: WriterFull, not a trap")
    func oversizeFields() throws {
        var storage = [UInt8](repeating: 0, count: 140_000)
        var table = [UInt16](repeating: 0, count: 8)
        let huge = ResourceRecord(name: "h.", type: RecordType(rawValue: 65280), ttl: 1, rdata: .unknown([UInt8](repeating: 1, count: 70_000)))
        let manyStrings = ResourceRecord(name: "h.", ttl: 1, rdata: .txt(Array(repeating: [UInt8](repeating: 2, count: 255), count: 300)))
        let bigOption = EDNS(options: [EDNSOption(code: .padding, data: [UInt8](repeating: 0, count: 70_000))])
        let manyOptions = EDNS(options: Array(repeating: EDNSOption(code: .padding, data: [UInt8](repeating: 0, count: 30_000)), count: 3))
        storage.withUnsafeMutableBytes { out in
            table.withUnsafeMutableBufferPointer { compression in
                var writer = MessageWriter(buffer: out, compression: compression)
                #expect(throws: WriterFull.self) { try writer.writeRecord(huge) }
                #expect(throws: WriterFull.self) { try writer.writeRecord(manyStrings) }
                #expect(throws: WriterFull.self) { try writer.writeOPT(bigOption) }
                #expect(throws: WriterFull.self) { try writer.writeOPT(manyOptions) }
                #expect(writer.position == 0)
            }
        }
    }
}
