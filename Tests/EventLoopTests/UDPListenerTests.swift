import ClusterDNSCSystem
import Synchronization
import Testing

@testable import EventLoop

@Suite("UDP batches")
struct UDPListenerTests {
    @Test("several SO_REUSEPORT workers answer bursts of datagrams on 127.0.0.1 and ::1", arguments: [SocketAddress.ipv4Loopback(port: 0), .ipv6Loopback(port: 0)])
    func answersBurstsWithSeveralWorkers(address: SocketAddress) throws {
        let group = try WorkerGroup(count: 2)
        var handlers: [ReversingDatagramHandler] = []
        let bound = try group.listenUDP(on: address) { _ in
            let handler = ReversingDatagramHandler()
            handlers.append(handler)
            return handler
        }
        #expect(bound.port != 0)
        let running = try RunningGroup(group)
        defer { running.shutdown() }

        let clients = try (0..<4).map { _ in try UDPClient(family: address.family) }
        var expected: [[UInt8]: Int] = [:]
        for (number, client) in clients.enumerated() {
            for message in 0..<50 {
                let payload = [UInt8](text: "client \(number) message \(message)")
                expected[Array(payload.reversed()), default: 0] += 1
                try client.send(payload, to: bound)
            }
        }
        var received: [[UInt8]: Int] = [:]
        for client in clients {
            for _ in 0..<50 {
                let (bytes, source) = try client.receive()
                #expect(source == bound)
                received[bytes, default: 0] += 1
            }
        }
        #expect(received == expected)
        #expect(handlers.reduce(0) { $0 + $1.seen.value.count } == 200)
        #expect(waitUntil { group.counters.udpReceived == 200 && group.counters.udpSent == 200 })
        #expect(group.counters.udpReceiveBatches <= 200)
    }

    @Test("a wildcard IPv4 socket answers from the address each query was sent to")
    func wildcardIPv4AnswersFromDestination() throws {
        let group = try WorkerGroup(count: 1)
        let handler = ReversingDatagramHandler()
        let bound = try group.listenUDP(on: .ipv4Any(port: 0)) { _ in handler }
        let running = try RunningGroup(group)
        defer { running.shutdown() }

        let client = try UDPClient(family: .ipv4)
        for destination in [SocketAddress(ipv4: (127, 0, 0, 2), port: bound.port), .ipv4Loopback(port: bound.port)] {
            try client.send([1, 2, 3], to: destination)
            let (bytes, source) = try client.receive()
            #expect(bytes == [3, 2, 1])
            #expect(source == destination)
        }
        #expect(handler.seen.value.locals == [SocketAddress(ipv4: (127, 0, 0, 2), port: bound.port), .ipv4Loopback(port: bound.port)])
    }

    @Test("a wildcard IPv6 socket answers ::1 from ::1")
    func wildcardIPv6AnswersFromDestination() throws {
        let group = try WorkerGroup(count: 1)
        let handler = ReversingDatagramHandler()
        let bound = try group.listenUDP(on: .ipv6Any(port: 0)) { _ in handler }
        let running = try RunningGroup(group)
        defer { running.shutdown() }

        let client = try UDPClient(family: .ipv6)
        let destination = SocketAddress.ipv6Loopback(port: bound.port)
        try client.send([9, 8], to: destination)
        let (bytes, source) = try client.receive()
        #expect(bytes == [8, 9])
        #expect(source == destination)
        #expect(handler.seen.value.locals == [destination])
    }

    @Test("a datagram larger than a receive slot is handed on flagged truncated and counted")
    func truncatedDatagramIsFlagged() throws {
        var configuration = WorkerConfiguration()
        configuration.udp.receiveSlotSize = 512
        let group = try WorkerGroup(count: 1, configuration: configuration)
        let handler = ReversingDatagramHandler()
        let bound = try group.listenUDP(on: .ipv4Loopback(port: 0)) { _ in handler }
        let running = try RunningGroup(group)
        defer { running.shutdown() }

        let client = try UDPClient(family: .ipv4)
        try client.send([UInt8](repeating: 7, count: 600), to: bound)
        let (bytes, _) = try client.receive()
        #expect(bytes.count == 512)
        #expect(handler.seen.value.truncated == 1)
        #expect(handler.seen.value.lastLength == 512)
        #expect(waitUntil { group.counters.udpTruncated == 1 })
    }

    @Test("a handler replies later through sendDatagram from a timer")
    func asynchronousReplyFromTimer() throws {
        final class LaterHandler: DatagramHandler {
            unowned let worker: Worker
            var owed = 0
            init(worker: Worker) { self.worker = worker }
            var pendingReplies: Int { owed }
            func handleDatagram(_ packet: UnsafeRawBufferPointer, truncated: Bool, from target: UDPReplyTarget, response: UnsafeMutableRawBufferPointer) -> Int? {
                let reply = [UInt8](text: "later:") + Array(packet)
                owed += 1
                worker.loop.schedule(after: .milliseconds(20)) { [self] in
                    owed -= 1
                    reply.withUnsafeBytes { #expect(worker.sendDatagram($0, to: target)) }
                }
                return nil
            }
        }
        let group = try WorkerGroup(count: 2)
        let bound = try group.listenUDP(on: .ipv6Loopback(port: 0)) { LaterHandler(worker: $0) }
        let running = try RunningGroup(group)
        defer { running.shutdown() }

        let client = try UDPClient(family: .ipv6)
        for number in 0..<10 { try client.send([UInt8(number)], to: bound) }
        var replies: Set<[UInt8]> = []
        for _ in 0..<10 { replies.insert(try client.receive().bytes) }
        #expect(replies == Set((0..<10).map { [UInt8](text: "later:") + [UInt8($0)] }))
        #expect(waitUntil { group.counters.udpSent == 10 })
    }
}
