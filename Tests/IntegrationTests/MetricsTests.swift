import DNSWire
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite(.serialized) struct MetricsTests {
    /// The value of the sample `line` starts with (name and labels), nil when absent.
    func value(_ exposition: String, _ series: String) -> Double? {
        for line in exposition.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1))
        }
        return nil
    }

    func server(_ extra: String = "") throws -> (ServerProcess, UInt16) {
        let http = ControlPorts.make(1)[0]
        let server = try ServerProcess(corefile: ".:{PORT} {\n    prometheus 127.0.0.1:\(http)\n    whoami\n\(extra)}\n")
        return (server, http)
    }

    @Test("GET /metrics has CoreDNS's names and labels, and the counts move with queries")
    func countsMove() throws {
        let (server, http) = try server()
        let udpA = "coredns_dns_requests_total{server=\"dns://:\(server.port)\",zone=\".\",view=\"\",proto=\"udp\",family=\"1\",type=\"A\"}"
        let tcpAAAA = "coredns_dns_requests_total{server=\"dns://:\(server.port)\",zone=\".\",view=\"\",proto=\"tcp\",family=\"1\",type=\"AAAA\"}"
        let responses = "coredns_dns_responses_total{server=\"dns://:\(server.port)\",zone=\".\",view=\"\",rcode=\"NOERROR\",plugin=\"whoami\"}"
        let durations = "coredns_dns_request_duration_seconds_count{server=\"dns://:\(server.port)\",zone=\".\",view=\"\"}"
        _ = try server.client.query("warm.example.", .a)
        let before = try Curl.get("http://127.0.0.1:\(http)/metrics")
        #expect(before.status == 200)
        #expect(before.contentType.hasPrefix("text/plain; version=0.0.4"))
        for i in 0..<7 { _ = try server.client.query("q\(i).example.", .a) }
        for i in 0..<3 { _ = try server.client.queryTCP("t\(i).example.", .aaaa) }
        // Workers publish as they answer; a scrape right after may precede the last store by a hair.
        var after = ""
        _ = try ServerProcess.eventually {
            after = try Curl.get("http://127.0.0.1:\(http)/metrics").body
            return (value(after, responses) ?? 0) - (value(before.body, responses) ?? 0) >= 10
        }
        #expect((value(after, udpA) ?? 0) - (value(before.body, udpA) ?? 0) == 7)
        #expect((value(after, tcpAAAA) ?? 0) - (value(before.body, tcpAAAA) ?? 0) == 3)
        #expect((value(after, responses) ?? 0) - (value(before.body, responses) ?? 0) == 10)
        #expect((value(after, durations) ?? 0) - (value(before.body, durations) ?? 0) == 10)
        #expect(after.contains("coredns_build_info{version="))
        #expect(after.contains("coredns_plugin_enabled{server=\"dns://:\(server.port)\",zone=\".\",view=\"\",name=\"whoami\"}"))
        #expect(after.contains("\nprocess_resident_memory_bytes "))
        #expect(after.contains("\nclusterdns_udp_received_total "))
        #expect(after.contains("\ncoredns_health_request_failures_total "))
    }

    @Test("promtool check metrics accepts a real scrape")
    func promtool() throws {
        let (server, http) = try server("    log\n")
        for i in 0..<5 { _ = try server.client.query("p\(i).example.", .a) }
        _ = try server.client.queryTCP("tcp.example.", .srv)
        let scrape = try Curl.get("http://127.0.0.1:\(http)/metrics")
        let (status, output) = try Curl.run("/usr/bin/env", ["promtool", "check", "metrics"], input: Data(scrape.body.utf8))
        #expect(status == 0, "promtool: \(output)")
    }

    @Test("queries refused before any block count under zone=\"dropped\"")
    func dropped() throws {
        let (server, http) = try server()
        let chaos = Message.query(id: 7, name: "version.bind.", type: .txt, recordClass: .chaos)
        _ = try server.client.exchangeRawUDP(try #require(chaos.encoded()))
        let series = "coredns_dns_responses_total{server=\"dns://:\(server.port)\",zone=\"dropped\",view=\"\",rcode=\"REFUSED\",plugin=\"\"}"
        let seen = try ServerProcess.eventually {
            value(try Curl.get("http://127.0.0.1:\(http)/metrics").body, series) == 1
        }
        #expect(seen)
    }

    @Test("kubeadm's `prometheus :9153` form listens on every address")
    func wildcardAddress() throws {
        let http = ControlPorts.make(1)[0]
        let server = try ServerProcess(corefile: ".:{PORT} {\n    prometheus :\(http)\n    whoami\n}\n")
        #expect(try Curl.get("http://127.0.0.1:\(http)/metrics").status == 200)
        _ = server
    }
}
