import DNSWire
import Foundation
import Testing
@testable import Plugins

/// Classification and TTL rules, in the spirit of CoreDNS's `TestCacheInsertion` table.
@Suite struct ResponseClassTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let qname: String
        let qtype: RecordType
        var rcode: ResponseCode = .noError
        var answer: [String] = []
        var authority: [String] = []
        var additional: [String] = []
        var truncated = false
        var dnssecOK = false
        var signature: Signature? = nil
        let expected: ResponseType
        let cacheable: Bool
        /// The cached duration with the default configuration, when cacheable.
        var duration: UInt32? = nil

        enum Signature: Sendable { case expired, valid }

        var testDescription: String { name }

        func message() -> Message {
            var header = Header(id: 1)
            header.isResponse = true
            header.truncated = truncated
            header.recursionAvailable = true
            var message = Message(header: header, questions: [Question(name: (try? DomainName(qname)) ?? .root, type: qtype)],
                                  answers: Records.parse(answer), authorities: Records.parse(authority),
                                  additionals: Records.parse(additional),
                                  edns: dnssecOK ? EDNS(udpPayloadSize: 1232, dnssecOK: true) : nil)
            message.rcode = rcode
            if let signature {
                let now = UInt32(Date().timeIntervalSince1970)
                let (inception, expiration): (UInt32, UInt32) = signature == .expired
                    ? (1_461_208_381, 1_463_800_381)      // April–May 2016
                    : (now - 86_400, now + 86_400 * 30)
                var rdata: [UInt8] = [0, 15, 8, 2, 0, 0, 7, 8]
                for v in [expiration, inception] { rdata += [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
                rdata += [0x2F, 0x13, 0] + [UInt8](repeating: 0x5A, count: 32)
                message.answers.append(ResourceRecord(name: (try? DomainName(qname)) ?? .root, type: .rrsig, ttl: 1800,
                                                      rdata: .unknown(rdata)))
            }
            return message
        }
    }

    static let soa = "example.org. 3600 IN SOA sns.dns.icann.org. noc.dns.icann.org. 2016082540 7200 3600 1209600 3600"

    static let cases: [Case] = [
        Case(name: "NOERROR with answers", qname: "miek.nl.", qtype: .mx,
             answer: ["miek.nl. 3601 IN MX 1 aspmx.l.google.com.", "miek.nl. 3601 IN MX 10 aspmx2.googlemail.com."],
             expected: .noError, cacheable: true, duration: 3600),
        Case(name: "truncated is never cached", qname: "miek.nl.", qtype: .mx,
             answer: ["miek.nl. 1800 IN MX 1 aspmx.l.google.com."], truncated: true, expected: .noError, cacheable: false),
        Case(name: "NXDOMAIN with SOA: min of SOA TTL and MINIMUM", qname: "example.org.", qtype: .a, rcode: .nameError,
             authority: [soa], expected: .nameError, cacheable: true, duration: 1800),
        Case(name: "NXDOMAIN without SOA is not cached", qname: "1.1.168.192.in-addr.arpa.", qtype: .ptr, rcode: .nameError,
             expected: .nameError, cacheable: false),
        Case(name: "SERVFAIL is cached briefly", qname: "example.org.", qtype: .a, rcode: .serverFailure,
             expected: .serverError, cacheable: true, duration: 5),
        Case(name: "NOTIMP counts as a server error", qname: "example.org.", qtype: .a, rcode: .notImplemented,
             expected: .serverError, cacheable: true, duration: 5),
        Case(name: "REFUSED is never cached", qname: "example.org.", qtype: .a, rcode: .refused,
             expected: .otherError, cacheable: false),
        Case(name: "NXDOMAIN with answers is an error", qname: "example.org.", qtype: .a, rcode: .nameError,
             answer: ["example.org. 300 IN A 192.0.2.1"], expected: .otherError, cacheable: false),
        Case(name: "an expired RRSIG with DO is not cached", qname: "miek.nl.", qtype: .mx, dnssecOK: true,
             signature: .expired, expected: .otherError, cacheable: false),
        Case(name: "a valid RRSIG with DO is cached", qname: "example.org.", qtype: .mx,
             answer: ["example.org. 3600 IN MX 1 aspmx.l.google.com."], dnssecOK: true, signature: .valid,
             expected: .noError, cacheable: true, duration: 1800),
        Case(name: "an expired RRSIG without DO does not matter", qname: "example.org.", qtype: .mx,
             answer: ["example.org. 300 IN MX 1 aspmx.l.google.com."], signature: .expired,
             expected: .noError, cacheable: true, duration: 300),
        Case(name: "a dangling CNAME chain without SOA is not cached", qname: "alias.example.org.", qtype: .a,
             answer: ["alias.example.org. 3600 IN CNAME target1.example.net.",
                      "target1.example.net. 3600 IN CNAME target2.example.net."],
             expected: .noError, cacheable: false),
        Case(name: "a CNAME chain ending in another type without SOA is not cached", qname: "alias.example.org.", qtype: .a,
             answer: ["alias.example.org. 3600 IN CNAME target.example.net.", "target.example.net. 3600 IN AAAA 2001:db8::1"],
             expected: .noError, cacheable: false),
        Case(name: "a CNAME chain to NODATA with SOA is a denial", qname: "alias.example.org.", qtype: .a,
             answer: ["alias.example.org. 600 IN CNAME target.example.org."], authority: [soa],
             expected: .noData, cacheable: true, duration: 600),
        Case(name: "a complete CNAME chain is an answer", qname: "Alias.Example.org.", qtype: .a,
             answer: ["alias.example.org. 600 IN CNAME t.example.net.", "t.example.net. 60 IN A 192.0.2.1"],
             expected: .noError, cacheable: true, duration: 60),
        Case(name: "a CNAME loop is not an answer", qname: "a.example.", qtype: .a,
             answer: ["a.example. 60 IN CNAME b.example.", "b.example. 60 IN CNAME a.example."],
             expected: .noError, cacheable: false),
        Case(name: "two CNAME targets for one owner are not an answer", qname: "a.example.", qtype: .a,
             answer: ["a.example. 60 IN CNAME b.example.", "a.example. 60 IN CNAME c.example.", "b.example. 60 IN A 192.0.2.1"],
             expected: .noError, cacheable: false),
        Case(name: "a CNAME query answered by its CNAME", qname: "a.example.", qtype: .cname,
             answer: ["a.example. 60 IN CNAME b.example."], expected: .noError, cacheable: true, duration: 60),
        Case(name: "an ANY query answered at its name", qname: "a.example.", qtype: .any,
             answer: ["a.example. 60 IN TXT \"x\""], expected: .noError, cacheable: true, duration: 60),
        Case(name: "NODATA: NOERROR, SOA, no answer", qname: "example.org.", qtype: .aaaa, authority: [soa],
             expected: .noData, cacheable: true, duration: 1800),
        Case(name: "a referral is cached for 5 s whatever its TTLs", qname: "www.example.org.", qtype: .a,
             authority: ["example.org. 86400 IN NS ns1.example.org."], additional: ["ns1.example.org. 86400 IN A 192.0.2.53"],
             expected: .delegation, cacheable: true, duration: 5),
        Case(name: "an empty NOERROR without SOA is kept the minimal 5 s", qname: "whoami.example.", qtype: .a,
             expected: .noError, cacheable: true, duration: 5),
        Case(name: "data only in the additional section is cacheable", qname: "whoami.example.", qtype: .a,
             additional: ["whoami.example. 0 IN A 10.0.0.1"], expected: .noError, cacheable: true, duration: 5),
        Case(name: "a zone transfer is meta", qname: "example.org.", qtype: .axfr, answer: [soa],
             expected: .meta, cacheable: false),
    ]

    @Test("classification, cacheability and duration", arguments: cases)
    func classify(_ c: Case) throws {
        let bytes = try #require(c.message().encoded())
        let scanner = ResponseScanner()
        let scanned = try #require(bytes.withUnsafeBytes { scanner.scan($0, wallClock: Int64(Date().timeIntervalSince1970)) })
        let kind = ResponseType(scanned)
        #expect(kind == c.expected)
        #expect(kind.isCacheable(scanned) == c.cacheable)
        if let duration = c.duration {
            #expect(CacheTTL.duration(for: kind, scanned, config: CacheConfig()) == duration)
        }
    }

    @Test("durations clamp to the minimum first, then the maximum, as CoreDNS does")
    func clamp() {
        #expect(CacheTTL.clamp(1, min: 5, max: 3600) == 5)
        #expect(CacheTTL.clamp(7200, min: 5, max: 3600) == 3600)
        #expect(CacheTTL.clamp(10, min: 60, max: 30) == 30)
        #expect(CacheTTL.clamp(0, min: 0, max: 30) == 0)
    }

    @Test("the scanner finds each record's TTL, the RRset cut points, and strips a trailing OPT")
    func scanLayout() throws {
        var message = Records.answer("a.example. 60 IN A 192.0.2.1", "a.example. 60 IN A 192.0.2.2",
                                     "a.example. 60 IN TXT \"t\"", authority: ["example. 60 IN NS ns.example."],
                                     additional: ["ns.example. 60 IN A 192.0.2.53", "ns.example. 60 IN AAAA 2001:db8::53"])
        message.header.isResponse = true
        message.questions = [Question(name: "a.example.", type: .a)]
        message.edns = EDNS(udpPayloadSize: 1232)
        let bytes = try #require(message.encoded())
        let scanner = ResponseScanner()
        let scanned = try #require(bytes.withUnsafeBytes { scanner.scan($0, wallClock: 0) })
        #expect(scanned.recordCount == 6)
        #expect(scanned.hasOPT && scanned.optIsLast)
        #expect(scanned.storedLength == bytes.count - 11)
        for offset in scanner.recordTTLOffsets {
            let ttl = UInt32(bytes[Int(offset)]) << 24 | UInt32(bytes[Int(offset) + 1]) << 16
                | UInt32(bytes[Int(offset) + 2]) << 8 | UInt32(bytes[Int(offset) + 3])
            #expect(ttl == 60)
        }
        // Cuts: after the question, after the A set, the TXT set, the NS set, the glue A, the glue AAAA.
        #expect(scanner.cutPoints.map(\.recordsBefore) == [0, 2, 3, 4, 5, 6])
        #expect(Int(scanner.cutPoints.last?.offset ?? 0) == scanned.storedLength)
        #expect(Int(scanner.cutPoints.first?.offset ?? 0) == scanned.questionEnd)
        // Every prefix at a cut point parses as a message with that many records.
        for cut in scanner.cutPoints {
            var prefix = Array(bytes[0..<Int(cut.offset)])
            let records = Int(cut.recordsBefore)
            let answers = min(records, 3)
            let authority = min(records - answers, 1)
            prefix[6] = 0; prefix[7] = UInt8(answers)
            prefix[8] = 0; prefix[9] = UInt8(authority)
            prefix[10] = 0; prefix[11] = UInt8(records - answers - authority)
            let parsed = try Message(parsing: prefix)
            #expect(parsed.answers.count + parsed.authorities.count + parsed.additionals.count == records)
        }
    }

    @Test("malformed responses are rejected, not trusted")
    func malformed() throws {
        let scanner = ResponseScanner()
        var good = Records.answer("a.example. 60 IN A 192.0.2.1")
        good.header.isResponse = true
        good.questions = [Question(name: "a.example.", type: .a)]
        let bytes = try #require(good.encoded())
        for cut in [5, 20, bytes.count - 1] {
            let truncated = Array(bytes[0..<cut])
            #expect(truncated.withUnsafeBytes { scanner.scan($0, wallClock: 0) } == nil)
        }
        var forward = bytes
        forward[bytes.count - 16] = 0xC0       // owner pointer that points forward
        forward[bytes.count - 15] = 0xFF
        #expect(forward.withUnsafeBytes { scanner.scan($0, wallClock: 0) } == nil)
    }
}
