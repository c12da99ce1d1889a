import Corefile
import DNSWire
import Testing
@testable import Plugins

@Suite struct AnyPluginTests {
    static func chain() throws -> InProcessChain {
        try InProcessChain(corefile: ". {\n    any\n    erratic\n}\n", extra: ["erratic": StubNextPlugin.spec])
    }

    @Test("an ANY query gets one HINFO \"ANY obsoleted\" \"See RFC 8482\" with TTL 8482 (RFC 8482, as CoreDNS)")
    func anyQuery() throws {
        let reply = try Self.chain().query("Example.ORG.", .any)
        #expect(reply.rcode == .noError)
        #expect(!reply.header.authoritative)
        #expect(reply.answers.count == 1)
        let hinfo = try #require(reply.answers.first)
        #expect(hinfo.type == .hinfo)
        #expect(hinfo.ttl == 8482)
        #expect(hinfo.name.exactlyEquals("Example.ORG."))
        #expect(hinfo.rdata == .unknown([13] + Array("ANY obsoleted".utf8) + [12] + Array("See RFC 8482".utf8)))
        #expect(!reply.cameFromStub)
    }

    @Test("other types go to the next plugin, TCP or UDP")
    func otherTypes() throws {
        let chain = try Self.chain()
        #expect(try chain.query("example.org.", .a).cameFromStub)
        #expect(try chain.query("example.org.", .txt, transport: .tcp).cameFromStub)
        #expect(try chain.query("example.org.", .any, transport: .tcp).answers.first?.type == .hinfo)
    }

    @Test("any takes no arguments and no block")
    func config() throws {
        let arguments = #expect(throws: CorefileError.self) { try InProcessChain(corefile: ". {\n    any yes\n}\n") }
        #expect(arguments?.description.hasPrefix("Corefile:2: plugin/any: expected no arguments") == true)
        #expect(throws: CorefileError.self) { try InProcessChain(corefile: ". {\n    any {\n    }\n}\n") }
    }
}
