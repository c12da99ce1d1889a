import DNSWire
import Foundation
import Testing
import ZoneFile

/// Every way a zone file is rejected names the file and the line the bad entry starts on.
@Suite struct ZoneErrorTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let body: String
        let line: Int
        let message: String
        var testDescription: String { message }
    }

    // `zoneHead` takes lines 1–5; the body starts on line 6.
    static let cases: [Case] = [
        Case(body: "bad IN A 300.1.1.1\n", line: 6, message: "Syntax error, could not parse the RR's rdata"),
        Case(body: "ok IN A 192.0.2.1\n\n; comment\nx IN NOSUCHTYPE 1\n", line: 9, message: "Syntax error, could not parse the RR's rdata"),
        Case(body: "multi IN TXT ( \"a\"\n  \"b\" )\nbad IN AAAA 1.2.3.4\n", line: 8, message: "Syntax error, could not parse the RR's rdata"),
        Case(body: "alias IN CNAME www\nalias IN A 192.0.2.5\n", line: 7,
             message: "A record at alias.example.test., which already has a CNAME record at {FILE}:6: a CNAME owner can hold no other data"),
        Case(body: "alias IN A 192.0.2.5\nalias IN CNAME www\n", line: 7,
             message: "CNAME record at alias.example.test., which already has a A record at {FILE}:6: a CNAME owner can hold no other data"),
        Case(body: "alias IN CNAME a\nalias IN CNAME b\n", line: 7,
             message: "more than one CNAME record at alias.example.test. (the first is at {FILE}:6)"),
        Case(body: "@ IN SOA ns1 hostmaster 8 3600 600 86400 60\n", line: 6, message: "second SOA record (the first is at {FILE}:3)"),
        Case(body: "sub IN SOA ns1 hostmaster 8 3600 600 86400 60\n", line: 6,
             message: "SOA record for sub.example.test. is not at the zone origin example.test."),
        Case(body: "chaos CH TXT \"x\"\n", line: 6, message: "class CH is not supported: only IN"),
        Case(body: "$TTL 1x\n", line: 6, message: "bad $TTL value '1x'"),
        Case(body: "$INCLUDE\n", line: 6, message: "$INCLUDE needs a file name"),
        Case(body: "$INCLUDE missing.inc\n", line: 6, message: "$INCLUDE missing.inc: cannot open: No such file or directory"),
    ]

    @Test("rejects the entry at its file:line", arguments: cases)
    func rejects(_ testCase: Case) throws {
        let dir = try ZoneDirectory(["db.zone": zoneHead + testCase.body])
        let file = dir.path("db.zone")
        let error = #expect(throws: ZoneFileError.self) { try dir.load() }
        #expect(error?.file == file)
        #expect(error?.line == testCase.line)
        #expect(error?.message == testCase.message.replacingOccurrences(of: "{FILE}", with: file))
        #expect(error?.description == "\(file):\(testCase.line): \(testCase.message.replacingOccurrences(of: "{FILE}", with: file))")
    }

    @Test("a file without SOA is rejected as a whole (line 0)")
    func noSOA() throws {
        let dir = try ZoneDirectory(["db.zone": "$ORIGIN example.test.\nwww 60 IN A 192.0.2.1\n"])
        let error = #expect(throws: ZoneFileError.self) { try dir.load() }
        #expect(error?.description == "\(dir.path("db.zone")): no SOA record at the zone origin example.test.")
    }

    @Test("an empty file is a zone without SOA; a missing file says why it cannot be opened")
    func emptyAndMissing() throws {
        let dir = try ZoneDirectory(["db.zone": ""])
        #expect(throws: ZoneFileError.self) { try dir.load() }
        let missing = #expect(throws: ZoneFileError.self) { try dir.load("nope.zone") }
        #expect(missing?.description == "\(dir.path("nope.zone")): cannot open: No such file or directory")
        let directory = #expect(throws: ZoneFileError.self) { try Zone.load(file: dir.url.path, origin: "example.test.") }
        #expect(directory?.message == "is a directory")
    }

    @Test("an error in an included file names the included file and its line")
    func errorInInclude() throws {
        let dir = try ZoneDirectory([
            "db.zone": zoneHead + "$INCLUDE part.inc\n",
            "part.inc": "good IN A 192.0.2.2\n\nbad IN A nonsense\n",
        ])
        let error = #expect(throws: ZoneFileError.self) { try dir.load() }
        #expect(error?.file == dir.path("part.inc"))
        #expect(error?.line == 3)
    }
}
