import Testing
@testable import DNSWire

func rr(_ text: String) -> ResourceRecord {
    do { return try ResourceRecord(presentation: text) } catch { preconditionFailure("\(error)") }
}

@Suite struct MessageTests {
    static func sample() -> Message {
        var header = Header(id: 0xBEEF)
        header.isResponse = true
        header.authoritative = true
        header.recursionDesired = true
        header.checkingDisabled = true
        return Message(
            header: header,
            questions: [Question(name: "_http._tcp.web-app.production.svc.cluster.local.", type: .srv)],
            answers: [
                rr("_http._tcp.web-app.production.svc.cluster.local. 30 IN SRV 0 100 80 web-app.production.svc.cluster.local."),
            ],
            authorities: [
                rr("cluster.local. 30 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 1700000000 7200 1800 86400 30"),
                rr("cluster.local. 30 IN NS ns.dns.cluster.local."),
            ],
            additionals: [
                rr("web-app.production.svc.cluster.local. 30 IN A 10.96.0.20"),
                rr("web-app.production.svc.cluster.local. 30 IN AAAA fd00::20"),
                rr("example.com. 300 IN MX 10 mail.example.com."),
                rr("example.com. 300 IN TXT \"v=spf1 -all\" \"second \\\"quoted\\\"\" \"\\000binary\""),
                rr("example.com. 300 IN TYPE65280 \\# 3 ABCDEF"),
                rr("example.com. 300 CH HINFO \\# 4 01410142"),
            ],
            edns: EDNS(udpPayloadSize: 1232, dnssecOK: true, options: [
                .cookie(client: [1, 2, 3, 4, 5, 6, 7, 8]),
                ClientSubnet(family: 1, sourcePrefixLength: 24, scopePrefixLength: 0, address: [10, 1, 2]).option,
                EDNSOption(code: EDNSOptionCode(rawValue: 65001), data: [9, 9]),
                .padding(length: 5),
            ])
        )
    }

    @Test("a message with every typed record survives encode and parse unchanged")
    func roundTrip() throws {
        let message = MessageTests.sample()
        let wire = try #require(message.encoded())
        var decoded = try Message(parsing: wire)
        #expect(decoded.header.answerCount == 1)
        decoded.header = message.header   // counts are recomputed on encode
        #expect(decoded == message, "\(decoded)\n---\n\(message)")
    }

    @Test("names repeated across records are compressed")
    func compression() throws {
        let message = MessageTests.sample()
        let wire = try #require(message.encoded())
        var uncompressedSize = 12
        for q in message.questions { uncompressedSize += q.name.wireLength + 4 }
        for r in message.answers + message.authorities + message.additionals { uncompressedSize += r.name.wireLength + 10 + 40 }
        #expect(wire.count < uncompressedSize - 200)
        // The SRV target must not be compressed (RFC 2782): its full name follows the 6 fixed octets.
        let target = Array(try DomainName("web-app.production.svc.cluster.local.").wire)
        #expect(wire.indices.contains { i in i + target.count <= wire.count && Array(wire[i..<(i + target.count)]) == target })
    }

    @Test("a pointer loop, a forward pointer and a pointer into the header are errors, not hangs")
    func pointerSafety() {
        // Header with one question whose name is a pointer to itself.
        var selfLoop: [UInt8] = [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12, 0, 1, 0, 1]
        #expect(throws: WireError.self) { try Message(parsing: selfLoop) }
        selfLoop[13] = 2     // into the header
        #expect(throws: WireError.self) { try Message(parsing: selfLoop) }
        // Answer name pointing forward to itself after a valid question.
        let forward: [UInt8] = [0, 1, 0x80, 0, 0, 1, 0, 1, 0, 0, 0, 0,
                                1, 0x61, 0, 0, 1, 0, 1,
                                0xC0, 19, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4]
        #expect(throws: WireError.badPointer(offset: 19, target: 19)) { try Message(parsing: forward) }
        // Two labels pointing at each other: 0xC0 0x0E at 12 and 0xC0 0x0C at 14.
        let mutual: [UInt8] = [0, 1, 0x80, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0x61, 0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0]
        #expect(throws: WireError.self) { try Message(parsing: mutual) }
    }

    @Test("truncated input at every length throws instead of trapping")
    func everyPrefix() throws {
        let wire = try #require(MessageTests.sample().encoded())
        for n in 0..<wire.count {
            #expect(throws: WireError.self) { try Message(parsing: Array(wire.prefix(n))) }
        }
    }

    @Test("truncation drops whole RRsets, sets TC for answers and keeps the OPT")
    func truncation() throws {
        var message = Message(header: Header(id: 7), questions: [Question(name: "big.example.", type: .a)],
                              edns: EDNS(udpPayloadSize: 512))
        message.header.isResponse = true
        for i in 0..<100 { message.answers.append(rr("big.example. 5 IN A 10.0.\(i / 256).\(i % 256)")) }
        let wire = try #require(message.encoded(maxSize: 512))
        #expect(wire.count <= 512)
        let decoded = try Message(parsing: wire)
        #expect(decoded.header.truncated)
        #expect(decoded.answers.isEmpty)   // a single RRset that does not fit is dropped whole
        #expect(decoded.edns?.udpPayloadSize == 512)

        var two = message
        two.answers = Array(message.answers.prefix(3)) + [rr("other.example. 5 IN TXT \"" + String(repeating: "x", count: 200) + "\"")]
            + [rr("third.example. 5 IN TXT \"" + String(repeating: "y", count: 250) + "\"")]
        let cut = try Message(parsing: try #require(two.encoded(maxSize: 512)))
        #expect(cut.header.truncated)
        #expect(cut.answers.count == 4)   // the A RRset and the first TXT fit, the second TXT does not
    }

    @Test("additional records that do not fit are dropped without TC")
    func additionalNoTC() throws {
        var message = Message(header: Header(id: 1), questions: [Question(name: "svc.example.", type: .srv)])
        message.answers = [rr("svc.example. 5 IN SRV 0 100 80 t.example.")]
        for i in 0..<60 { message.additionals.append(rr("t\(i).example. 5 IN AAAA fd00::\(i + 1)")) }
        let decoded = try Message(parsing: try #require(message.encoded(maxSize: 512)))
        #expect(!decoded.header.truncated)
        #expect(decoded.answers.count == 1)
        #expect(decoded.additionals.count < 60)
    }

    @Test("the 12-bit rcode combines header and EDNS bits")
    func extendedRCode() throws {
        var m = Message(header: Header(id: 1), questions: [Question(name: ".", type: .ns)], edns: EDNS())
        m.rcode = .badVersion
        let decoded = try Message(parsing: try #require(m.encoded()))
        #expect(decoded.rcode == .badVersion)
        #expect(decoded.header.rcodeBits == 0)
        #expect(decoded.edns?.extendedRCode == 1)
    }

    @Test("a second OPT record and an OPT in the answer section are rejected")
    func optPlacement() throws {
        let base = Message(header: Header(id: 1), questions: [Question(name: "a.", type: .a)], edns: EDNS())
        var wire = try #require(base.encoded())
        let opt = Array(wire.suffix(11))
        wire += opt
        wire[11] = 2
        #expect(throws: WireError.multipleOPT) { try Message(parsing: wire) }
        var inAnswer = try #require(base.encoded())
        inAnswer[7] = 1; inAnswer[11] = 0
        #expect(throws: WireError.self) { try Message(parsing: inAnswer) }
    }

    @Test("description reads like dig")
    func digLike() throws {
        let text = MessageTests.sample().description
        #expect(text.contains(";; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: 48879"))
        #expect(text.contains(";; flags: qr aa rd cd; QUERY: 1, ANSWER: 1, AUTHORITY: 2, ADDITIONAL: 7"))
        #expect(text.contains("; EDNS: version: 0, flags: do; udp: 1232"))
        #expect(text.contains("; CLIENT-SUBNET: 10.1.2.0/24/0"))
        #expect(text.contains(";; ANSWER SECTION:\n_http._tcp.web-app.production.svc.cluster.local.\t30\tIN\tSRV\t0 100 80 web-app.production.svc.cluster.local."))
        #expect(text.contains("example.com.\t300\tIN\tTYPE65280\t\\# 3 ABCDEF"))
    }
}

@Suite struct QueryParserTests {
    @Test("reads header, question and EDNS in place")
    func parsesQuery() throws {
        let query = Message.query(id: 4242, name: "Web-App.production.svc.cluster.local.", type: .aaaa,
                                  edns: EDNS(udpPayloadSize: 4096, dnssecOK: true, options: [.cookie(client: Array(repeating: 7, count: 8))]))
        let wire = try #require(query.encoded())
        let parsed = try wire.withUnsafeBytes { try QueryParser.parse($0) }
        #expect(parsed.header.id == 4242)
        #expect(parsed.type == .aaaa)
        #expect(parsed.queryClass == .in)
        #expect(parsed.nameLength == query.questions[0].name.wireLength)
        let edns = try #require(parsed.edns)
        #expect(edns.udpPayloadSize == 4096 && edns.dnssecOK && edns.version == 0)
        let cookie = wire.withUnsafeBytes { QueryParser.option(.cookie, in: $0, edns: edns) }
        #expect(cookie?.length == 8)
    }

    @Test("rejects a compressed question name and short packets")
    func rejects() {
        let compressed: [UInt8] = [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12, 0, 1, 0, 1]
        #expect(throws: WireError.self) { try compressed.withUnsafeBytes { try QueryParser.parse($0) } }
        for n in 0..<12 {
            #expect(throws: WireError.self) { try [UInt8](repeating: 0, count: n).withUnsafeBytes { try QueryParser.parse($0) } }
        }
    }

    @Test("random bytes never trap the query or message parser")
    func randomBytes() {
        var g = SystemRandomNumberGenerator()
        for _ in 0..<20000 {
            let n = Int.random(in: 0...80, using: &g)
            var bytes = (0..<n).map { _ in UInt8.random(in: 0...255, using: &g) }
            if n >= 12 { bytes[4] = 0; bytes[5] = UInt8.random(in: 0...2, using: &g); bytes[6] = 0; bytes[8] = 0; bytes[10] = 0 }
            _ = try? bytes.withUnsafeBytes { try QueryParser.parse($0) }
            _ = try? Message(parsing: bytes)
        }
    }
}
