import EventLoop
import Plugins
import Foundation
import Testing

@testable import Server

/// The event loop's counters as the server hands them to `prometheus`: every family documented,
/// values summed over the workers as the loop counted them.
@Suite struct TransportMetricsTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test("every transport counter family is named in Docs/metrics.md")
    func documented() throws {
        let documented = try String(contentsOf: Self.root.appendingPathComponent("Docs/metrics.md"), encoding: .utf8)
        let samples = WorkerCounters().samples
        #expect(samples.count > 20)
        for name in Set(samples.map(\.name)) {
            #expect(documented.contains("`\(name)`"), "Docs/metrics.md does not mention \(name)")
        }
    }

    @Test("values come from the loop's counters, drops labelled by reason")
    func values() {
        var counters = WorkerCounters()
        counters.udpReceived = 7
        counters.udpDroppedNoBuffers = 3
        let samples = counters.samples
        #expect(samples.first { $0.name == "clusterdns_udp_received_total" }?.value == 7)
        let noBuffers = samples.first { $0.name == "clusterdns_udp_replies_dropped_total" && $0.labels.first?.1 == "no_buffers" }
        #expect(noBuffers?.value == 3)
    }
}
