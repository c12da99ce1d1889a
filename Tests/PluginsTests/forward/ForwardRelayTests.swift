import DNSWire
import Testing
@testable import Plugins

/// A request as the engine would hold it, built by hand around a client query.
final class ForwardRequestFixture {
    let request = Request(poolIndex: 0, storageSize: 4096)
    let packetStorage: UnsafeMutableRawBufferPointer
    let output = UnsafeMutableRawBufferPointer.allocate(byteCount: 65_535, alignment: 8)

    init(_ query: Message, limit: Int) throws {
        let bytes = try #require(query.encoded())
        packetStorage = .allocate(byteCount: bytes.count, alignment: 8)
        bytes.withUnsafeBytes { packetStorage.copyMemory(from: $0) }
        request.packet = UnsafeRawBufferPointer(packetStorage)
        request.query = try QueryParser.parse(request.packet)
        request.output = output
        request.outputLimit = limit
    }

    deinit {
        packetStorage.deallocate()
        output.deallocate()
    }

    var response: Message? { try? Message(parsing: request.responseBytes) }
}

@Suite("forward reply checks")
struct ReplyCheckTests {
    static func reply(id: UInt16, name: String, type: RecordType = .a, response: Bool = true, questions: Int = 1) throws -> [UInt8] {
        var message = Message.query(id: id, name: try DomainName(name), type: type, edns: nil)
        message.header.isResponse = response
        if questions == 0 { message.questions = [] }
        return try #require(message.encoded())
    }

    static func check(_ reply: [UInt8], id: UInt16 = 7, name: String = "www.example.", type: RecordType = .a,
                      sent: String? = nil) throws -> ReplyCheck.Verdict {
        let wire = try DomainName(name).wire
        let sentWire = try sent.map { try DomainName($0).wire }
        return reply.withUnsafeBytes { r in
            wire.withUnsafeBytes { n in
                guard let sentWire else { return ReplyCheck.check(r, id: id, name: n, type: type, recordClass: .in) }
                return sentWire.withUnsafeBytes { ReplyCheck.check(r, id: id, name: n, type: type, recordClass: .in, exactCase: $0) }
            }
        }
    }

    @Test("with a randomized case sent, only that exact case is accepted; another case is .wrongCase, another name still .wrongQuestion")
    func exactCase() throws {
        #expect(try Self.check(try Self.reply(id: 7, name: "wWw.ExaMple."), sent: "wWw.ExaMple.") == .accepted)
        #expect(try Self.check(try Self.reply(id: 7, name: "www.example."), sent: "wWw.ExaMple.") == .dropped(.wrongCase))
        #expect(try Self.check(try Self.reply(id: 7, name: "WWW.EXAMPLE."), sent: "wWw.ExaMple.") == .dropped(.wrongCase))
        #expect(try Self.check(try Self.reply(id: 7, name: "wWx.ExaMple."), sent: "wWw.ExaMple.") == .dropped(.wrongQuestion))
        #expect(try Self.check(try Self.reply(id: 8, name: "wWw.ExaMple."), sent: "wWw.ExaMple.") == .dropped(.wrongID))
    }

    @Test("the answer to our question with our ID is accepted, whatever the letter case")
    func accepted() throws {
        #expect(try Self.check(try Self.reply(id: 7, name: "WWW.Example.")) == .accepted)
    }

    @Test("wrong ID, wrong name, wrong type, no question, a query, or a runt are dropped with the reason")
    func dropped() throws {
        #expect(try Self.check(try Self.reply(id: 8, name: "www.example.")) == .dropped(.wrongID))
        #expect(try Self.check(try Self.reply(id: 7, name: "www.example.org.")) == .dropped(.wrongQuestion))
        #expect(try Self.check(try Self.reply(id: 7, name: "wwx.example.")) == .dropped(.wrongQuestion))
        #expect(try Self.check(try Self.reply(id: 7, name: "www.example.", type: .aaaa)) == .dropped(.wrongQuestion))
        #expect(try Self.check(try Self.reply(id: 7, name: "www.example.", questions: 0)) == .dropped(.wrongQuestion))
        #expect(try Self.check(try Self.reply(id: 7, name: "www.example.", response: false)) == .dropped(.malformed))
        #expect(try Self.check([0, 7, 0x80]) == .dropped(.malformed))
    }
}

@Suite("forward relay to the client")
struct ForwardRelayTests {
    static func upstreamAnswer(to query: Message, records: Int) throws -> [UInt8] {
        var header = Header(id: 0xBEEF)
        header.isResponse = true
        header.recursionAvailable = true
        let question = try #require(query.question)
        var lower = question
        lower.name = question.name.lowercased()
        var reply = Message(header: header, questions: [lower])
        for i in 0..<records {
            reply.answers.append(ResourceRecord(name: lower.name, ttl: 60, rdata: .txt([Array("record \(i) ".utf8) + [UInt8](repeating: 0x61, count: 80)])))
        }
        return try #require(reply.encoded())
    }

    @Test("a fitting answer is copied with the client's ID and question case")
    func smallAnswer() throws {
        let query = Message.query(id: 0x1234, name: try DomainName("WwW.ExAmPlE."), type: .txt, edns: nil)
        let fixture = try ForwardRequestFixture(query, limit: 512)
        let upstream = try Self.upstreamAnswer(to: query, records: 2)
        upstream.withUnsafeBytes { ForwardHandler.relay($0, to: fixture.request) }
        let response = try #require(fixture.response)
        #expect(response.header.id == 0x1234)
        #expect(response.question?.name.exactlyEquals(try DomainName("WwW.ExAmPlE.")) == true)
        #expect(response.answers.count == 2)
        #expect(!response.header.truncated)
        #expect(fixture.request.responseBytes.count == upstream.count)
    }

    @Test("an answer larger than the client takes is cut at an RRset boundary with TC set")
    func truncatedAnswer() throws {
        let query = Message.query(id: 0x4321, name: try DomainName("Big.Example."), type: .txt, edns: nil)
        let fixture = try ForwardRequestFixture(query, limit: 512)
        let upstream = try Self.upstreamAnswer(to: query, records: 30)
        #expect(upstream.count > 512)
        upstream.withUnsafeBytes { ForwardHandler.relay($0, to: fixture.request) }
        let response = try #require(fixture.response)
        #expect(fixture.request.responseBytes.count <= 512)
        #expect(response.header.truncated)
        #expect(response.header.id == 0x4321)
        #expect(response.answers.isEmpty)   // one RRset: all of it or none
        #expect(response.question?.name.exactlyEquals(try DomainName("Big.Example.")) == true)
    }
}

@Suite("forward name matching")
struct ForwardMatchTests {
    static func within(_ name: String, _ zone: String) throws -> Bool {
        let wire = try DomainName(name).wire
        let zoneWire = try DomainName(zone).lowercased().wire
        return wire.withUnsafeBytes { ZoneMatch.isWithin($0, zone: zoneWire) }
    }

    @Test("a name is within a zone at label boundaries only, in any case")
    func within() throws {
        #expect(try Self.within("www.Example.com.", "example.com."))
        #expect(try Self.within("example.com.", "example.com."))
        #expect(try Self.within("anything.", "."))
        #expect(try !Self.within("www.badexample.com.", "example.com."))
        #expect(try !Self.within("com.", "example.com."))
    }
}
