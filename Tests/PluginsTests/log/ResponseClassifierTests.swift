import DNSWire
import Testing
@testable import Plugins

@Suite struct ResponseClassifierTests {
    func type(rcode: ResponseCode, withAnswer: Bool, authority: RecordType?, query: RecordType = .a) throws -> ResponseType {
        let engine = ChainHarness(handlers: [FixedAnswerPlugin(rcode: rcode, withAnswer: withAnswer, authority: authority)], names: ["fixed"])
        let response = try #require(engine.exchange("www.example.org.", query))
        return response.withUnsafeBytes { ResponseClassifier.type(of: $0, queryType: query) }
    }

    @Test("answers, NXDOMAIN, NODATA, delegations and errors are typed as CoreDNS's Typify does")
    func types() throws {
        #expect(try type(rcode: .noError, withAnswer: true, authority: nil) == .noError)
        #expect(try type(rcode: .noError, withAnswer: true, authority: .soa) == .noError)
        #expect(try type(rcode: .nameError, withAnswer: false, authority: .soa) == .nameError)
        #expect(try type(rcode: .nameError, withAnswer: true, authority: nil) == .otherError)
        #expect(try type(rcode: .noError, withAnswer: false, authority: .soa) == .noData)
        #expect(try type(rcode: .noError, withAnswer: false, authority: .ns) == .delegation)
        #expect(try type(rcode: .noError, withAnswer: false, authority: nil) == .noError)
        #expect(try type(rcode: .serverFailure, withAnswer: false, authority: nil) == .serverError)
        #expect(try type(rcode: .notImplemented, withAnswer: false, authority: nil) == .serverError)
        #expect(try type(rcode: .refused, withAnswer: false, authority: nil) == .otherError)
        #expect(try type(rcode: .noError, withAnswer: true, authority: nil, query: .axfr) == .meta)
    }

    @Test("types map to the log classes")
    func classes() {
        #expect(ResponseType.noError.responseClass == .success)
        #expect(ResponseType.delegation.responseClass == .success)
        #expect(ResponseType.nameError.responseClass == .denial)
        #expect(ResponseType.noData.responseClass == .denial)
        #expect(ResponseType.serverError.responseClass == .error)
        #expect(ResponseType.otherError.responseClass == .error)
    }

    @Test("a truncated or garbled response is an error, never a crash")
    func garbled() {
        let short: [UInt8] = [0, 1, 0x81]
        #expect(short.withUnsafeBytes { ResponseClassifier.type(of: $0, queryType: .a) } == .otherError)
        // Header says one authority record, then the octets run out.
        var bytes: [UInt8] = [0, 1, 0x81, 0x80, 0, 0, 0, 0, 0, 1, 0, 0, 3, 0x61]
        #expect(bytes.withUnsafeBytes { ResponseClassifier.type(of: $0, queryType: .a) } == .noError)
        bytes[3] = 0x83
        #expect(bytes.withUnsafeBytes { ResponseClassifier.type(of: $0, queryType: .a) } == .nameError)
    }
}
