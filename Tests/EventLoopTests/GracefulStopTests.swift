import ClusterDNSCSystem
import Synchronization
import Testing

@testable import EventLoop

/// Answers every UDP datagram and TCP frame after `delay`, or never when `delay` is nil.
final class DelayedHandler: DatagramHandler, StreamHandler {
    unowned let worker: Worker
    let delay: Duration?
    let received = Shared(0)
    var owed = 0

    init(worker: Worker, delay: Duration?) {
        self.worker = worker
        self.delay = delay
    }

    var pendingReplies: Int { owed }

    func handleDatagram(_ packet: UnsafeRawBufferPointer, truncated: Bool, from target: UDPReplyTarget, response: UnsafeMutableRawBufferPointer) -> Int? {
        received.update { $0 += 1 }
        guard let delay else { return nil }
        let reply = Array(packet)
        owed += 1
        worker.loop.schedule(after: delay) { [self] in
            owed -= 1
            _ = reply.withUnsafeBytes { worker.sendDatagram($0, to: target) }
        }
        return nil
    }

    func handleFrame(_ frame: UnsafeRawBufferPointer, from target: TCPReplyTarget, response: UnsafeMutableRawBufferPointer) -> FrameReply {
        received.update { $0 += 1 }
        guard let delay else { return .later }
        let reply = Array(frame)
        worker.loop.schedule(after: delay) { [worker] in
            _ = reply.withUnsafeBytes { worker.sendFrame($0, to: target) }
        }
        return .later
    }
}

@Suite("Graceful stop")
struct GracefulStopTests {
    @Test("a graceful stop still delivers replies in flight, then closes everything")
    func drainDeliversInFlightReplies() throws {
        let group = try WorkerGroup(count: 2)
        var handlers: [DelayedHandler] = []
        let make: (Worker) -> DelayedHandler = { worker in
            let handler = DelayedHandler(worker: worker, delay: .milliseconds(200))
            handlers.append(handler)
            return handler
        }
        let udpAddress = try group.listenUDP(on: .ipv4Loopback(port: 0), makeHandler: make)
        let tcpAddress = try group.listenTCP(on: .ipv4Loopback(port: 0)) { worker in handlers[worker.index] }
        let running = try RunningGroup(group)
        defer { running.shutdown() }

        let udp = try UDPClient(family: .ipv4)
        let tcp = try TCPClient(connectingTo: tcpAddress)
        try udp.send([1, 2, 3], to: udpAddress)
        try tcp.sendFrame([4, 5, 6])
        #expect(waitUntil { handlers.reduce(0) { $0 + $1.received.value } == 2 })

        group.stop(drainFor: .seconds(10))
        #expect(try udp.receive().bytes == [1, 2, 3])
        #expect(try tcp.readFrame() == [4, 5, 6])
        #expect(tcp.waitForServerClose())
        group.join()
        #expect(throws: ClientError.self) { _ = try TCPClient(connectingTo: tcpAddress) }  // nobody listens any more
        #expect(group.counters.tcpClosed == 1)
    }

    @Test("a graceful stop ends at its deadline when replies never come")
    func drainEndsAtDeadline() throws {
        let group = try WorkerGroup(count: 1)
        var handler: DelayedHandler?
        let tcpAddress = try group.listenTCP(on: .ipv6Loopback(port: 0)) { worker in
            let made = DelayedHandler(worker: worker, delay: nil)
            handler = made
            return made
        }
        let running = try RunningGroup(group)
        defer { running.shutdown() }
        let tcp = try TCPClient(connectingTo: tcpAddress)
        try tcp.sendFrame([1])
        #expect(waitUntil { handler?.received.value == 1 })
        group.stop(drainFor: .milliseconds(100))
        #expect(tcp.waitForServerClose())
        group.join()
        #expect(group.counters.tcpClosed == 1)
    }
}

@Suite("Signals")
struct SignalTests {
    @Test("a blocked signal sent to this thread is read from the signalfd")
    func signalThroughSignalfd() throws {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGUSR1)
        let old = try Syscall.pthread_sigmask(how: SIG_BLOCK, set: set)
        defer {
            do { _ = try Syscall.pthread_sigmask(how: SIG_SETMASK, set: old) } catch { Issue.record("restoring the mask: \(error)") }
        }
        var received: [Int32] = []
        let channel = try SignalChannel(signals: [SIGUSR1]) { received.append($0) }
        #expect(try channel.readSignal() == nil)
        #expect(pthread_kill(pthread_self(), SIGUSR1) == 0)
        channel.ioReady(.readable)
        #expect(received == [SIGUSR1])
    }
}
