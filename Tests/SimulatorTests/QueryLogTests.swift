import DNSWire
import Foundation
import Testing
@testable import Simulator

/// `simulate --from-log`: the CoreDNS `log` format parser and the search-path cost analysis,
/// on a crafted log (Tests/Fixtures/simulator/logs/coredns-log.txt).
@Suite struct QueryLogTests {
    static func fixture() throws -> String {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/simulator/logs/coredns-log.txt")
        return try String(contentsOf: url, encoding: .utf8)
    }

    @Test("a default-format line is read field by field, with or without the [INFO] prefix")
    func parsesLine() throws {
        let line = "[INFO] 10.244.1.7:51234 - 4242 \"A IN api.example.com.production.svc.cluster.local. udp 74 false 1232\" NXDOMAIN qr,aa,rd 167 0.000123s"
        guard case .entry(let entry) = QueryLogParser.parseLine(Substring(line), line: 3) else {
            Issue.record("not parsed")
            return
        }
        #expect(entry.client == IPAddress("10.244.1.7"))
        #expect(entry.port == 51234)
        #expect(entry.id == 4242)
        #expect(entry.type == .a)
        #expect(entry.name == DomainName("api.example.com.production.svc.cluster.local."))
        #expect(entry.transport == "udp")
        #expect(entry.rcode == .nameError)
        #expect(entry.duration == .nanoseconds(123_000))
        #expect(entry.line == 3)
        let bare = String(line.dropFirst("[INFO] ".count))
        #expect(QueryLogParser.parseLine(Substring(bare), line: 3) == .entry(entry))
    }

    @Test("IPv6 clients in brackets, timestamps before the line, and non-query lines")
    func variants() {
        guard case .entry(let v6) = QueryLogParser.parseLine("[INFO] [fd00::5]:5353 - 18 \"A IN x. udp 45 false 512\" NOERROR qr 76 0.1s", line: 1) else {
            Issue.record("IPv6 remote not parsed")
            return
        }
        #expect(v6.client == IPAddress("fd00::5"))
        #expect(v6.port == 5353)
        #expect(QueryLogParser.parseLine("[INFO] plugin/reload: Running configuration SHA512 = 0b5b", line: 1) == .notAQuery)
        if case .malformed(let why) = QueryLogParser.parseLine("[INFO] 1.2.3.4:5 - 6 \"BOGUS IN x. udp 45 false 512\" NOERROR qr 7 0.1s", line: 1) {
            #expect(why == "query type 'BOGUS'")
        } else {
            Issue.record("expected a malformed line")
        }
    }

    @Test("the crafted log: entries, malformed and other lines are counted")
    func parseFixture() throws {
        let result = QueryLogParser.parse(try Self.fixture())
        #expect(result.entries.count == 17)
        #expect(result.malformed == [QueryLogParser.Skipped(line: 22, reason: "query type 'BOGUS'")])
        #expect(result.otherLines == 5)
    }

    @Test("per client: inferred namespace, failed expansions, autopath and ndots savings")
    func analysis() throws {
        let analysis = QueryLogAnalysis.analyze(QueryLogParser.parse(try Self.fixture()).entries)
        #expect(analysis.totalQueries == 17)
        #expect(analysis.clients.map(\.client.description) == ["10.244.1.7", "10.244.2.9", "fd00::5"])
        let pod = analysis.clients[0]
        #expect(pod.namespace == "production")
        #expect(pod.queries == 10)
        #expect(pod.failedExpansions == 6)
        #expect(pod.autopathSavings == 6)
        #expect(pod.ndots.map(\.saved) == [6, 6, 0, 0])
        #expect(pod.ndots.map(\.added) == [0, 0, 0, 0])
        let staging = analysis.clients[1]
        #expect(staging.namespace == "staging")
        #expect(staging.failedExpansions == 4)
        #expect(staging.autopathSavings == 0)
        #expect(analysis.failedExpansions == 11)
        #expect(analysis.autopathSavings == 6)
        #expect(analysis.ndots.first { $0.ndots == 2 }?.saved == 6)
    }

    @Test("a name found under a search domain costs one more query with a lower ndots")
    func ndotsAddsQueries() {
        func entry(_ name: String, _ rcode: ResponseCode, _ line: Int) -> QueryLogEntry {
            QueryLogEntry(client: .v4(IPv4Address(10, 0, 0, 1)), port: 1, id: 1, type: .a, name: DomainName(stringLiteral: name),
                          transport: "udp", rcode: rcode, duration: nil, line: line)
        }
        let analysis = QueryLogAnalysis.analyze([
            entry("web.other.team.svc.cluster.local.", .nameError, 1),
            entry("web.other.svc.cluster.local.", .noError, 2),
            entry("x.team.svc.cluster.local.", .noError, 3),
        ])
        let client = analysis.clients[0]
        #expect(client.namespace == "team")
        #expect(client.ndots.map(\.added) == [1, 0, 0, 0])
        #expect(client.autopathSavings == 1)
    }

    @Test("text and JSON reports carry the totals")
    func reports() throws {
        let parsed = QueryLogParser.parse(try Self.fixture())
        let analysis = QueryLogAnalysis.analyze(parsed.entries)
        let text = analysis.text(source: "coredns-log.txt", skipped: parsed.malformed.count)
        #expect(text.contains("17 queries from 3 clients"))
        #expect(text.contains("failed search-path expansions (NXDOMAIN under a client's search domain): 11 (64.7%)"))
        #expect(text.contains("autopath would have saved: 6 queries (35.3%)"))
        #expect(text.contains("10.244.1.7  production"))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(analysis.json(source: "f", malformed: parsed.malformed).serialized().utf8)) as? [String: Any])
        #expect(json["query_count"] as? Int == 17)
        #expect(json["failed_expansions"] as? Int == 11)
        #expect((json["clients"] as? [[String: Any]])?.first?["namespace"] as? String == "production")
        #expect((json["malformed_lines"] as? [[String: Any]])?.count == 1)
    }
}
