import ClusterDNSCSystem
import Synchronization
import Testing

@testable import EventLoop

/// Answers frames by their text: "later N" after N milliseconds through sendFrame, "hold" never (it keeps the
/// target for the test), "parts N" with N leading messages through sendFramePart before its reply, anything else
/// at once; every reply is "re:" + the frame.
final class ScriptedStreamHandler: StreamHandler {
    unowned let worker: Worker
    let held = Shared<[TCPReplyTarget]>([])
    let closedTargets = Shared<[TCPReplyTarget]>([])
    let frames = Shared(0)

    init(worker: Worker) { self.worker = worker }

    func handleFrame(_ frame: UnsafeRawBufferPointer, from target: TCPReplyTarget, response: UnsafeMutableRawBufferPointer) -> FrameReply {
        frames.update { $0 += 1 }
        let text = String(decoding: frame, as: UTF8.self)
        let reply = [UInt8](text: "re:") + Array(frame)
        if text.hasPrefix("later "), let delay = Int64(text.dropFirst(6)) {
            worker.loop.schedule(after: .milliseconds(delay)) { [worker] in
                _ = reply.withUnsafeBytes { worker.sendFrame($0, to: target) }
            }
            return .later
        }
        if text.hasPrefix("inline") {
            _ = reply.withUnsafeBytes { worker.sendFrame($0, to: target) }
            return .later
        }
        if text.hasPrefix("parts "), let count = Int(text.dropFirst(6)) {
            for i in 0..<count {
                let part = [UInt8](text: "part \(i) of ") + Array(frame)
                _ = part.withUnsafeBytes { worker.sendFramePart($0, to: target) }
            }
        }
        if text == "hold" {
            held.update { $0.append(target) }
            return .later
        }
        reply.withUnsafeBytes { response.copyMemory(from: $0) }
        return .now(length: reply.count)
    }

    func connectionClosed(_ target: TCPReplyTarget) { closedTargets.update { $0.append(target) } }
}

@Suite("TCP connections")
struct TCPConnectionTests {
    static func serve(workers: Int = 1, configure: (inout WorkerConfiguration) -> Void = { _ in }) throws
        -> (RunningGroup, SocketAddress, [ScriptedStreamHandler])
    {
        var configuration = WorkerConfiguration()
        configure(&configuration)
        let group = try WorkerGroup(count: workers, configuration: configuration)
        var handlers: [ScriptedStreamHandler] = []
        let bound = try group.listenTCP(on: .ipv4Loopback(port: 0)) { worker in
            let handler = ScriptedStreamHandler(worker: worker)
            handlers.append(handler)
            return handler
        }
        return (try RunningGroup(group), bound, handlers)
    }

    @Test("a frame sent one byte at a time is assembled and answered")
    func frameSplitByteByByte() throws {
        let (running, bound, _) = try Self.serve()
        defer { running.shutdown() }
        let client = try TCPClient(connectingTo: bound)
        for byte in TCPClient.frame([UInt8](text: "split query")) {
            try client.send([byte])
            usleep(500)
        }
        #expect(try client.readFrame() == [UInt8](text: "re:split query"))
    }

    @Test("pipelined frames are all answered, each as soon as it completes")
    func pipelinedFramesOutOfOrder() throws {
        let (running, bound, _) = try Self.serve()
        defer { running.shutdown() }
        let client = try TCPClient(connectingTo: bound)
        let requests = ["later 300", "now 1", "later 50", "now 2"]
        try client.send(requests.flatMap { TCPClient.frame([UInt8](text: $0)) })
        var replies: [String] = []
        for _ in requests { replies.append(String(decoding: try client.readFrame(), as: UTF8.self)) }
        #expect(Set(replies) == Set(requests.map { "re:" + $0 }))
        #expect(replies.first == "re:now 1")
        #expect(replies.last == "re:later 300")
    }

    @Test("a 60 KB reply reaches a slow reader through partial writes", arguments: [SocketAddress.ipv4Loopback(port: 0), .ipv6Loopback(port: 0)])
    func largeReplyToSlowReader(address: SocketAddress) throws {
        var configuration = WorkerConfiguration()
        configuration.tcp.socketSendBufferBytes = 4096
        let group = try WorkerGroup(count: 1, configuration: configuration)
        let bound = try group.listenTCP(on: address) { _ in ReversingStreamHandler() }
        let running = try RunningGroup(group)
        defer { running.shutdown() }

        let client = try TCPClient(connectingTo: bound, receiveBuffer: 4096)
        let payload = (0..<60_000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 8) }
        try client.sendFrame(payload)
        usleep(50_000)  // let the server fill both socket buffers before reading
        let prefix = try client.read(exactly: 2)
        #expect(Int(prefix[0]) << 8 | Int(prefix[1]) == payload.count)
        let reply = try client.read(exactly: payload.count, chunk: 1024, pauseMicroseconds: 100)
        #expect(reply == Array(payload.reversed()))
    }

    @Test("a silent connection is closed after the idle timeout")
    func idleTimeoutClosesSilentConnection() throws {
        let (running, bound, handlers) = try Self.serve { $0.tcp.idleTimeout = .milliseconds(200) }
        defer { running.shutdown() }
        let active = try TCPClient(connectingTo: bound)
        try active.sendFrame([UInt8](text: "hello"))
        #expect(try active.readFrame() == [UInt8](text: "re:hello"))
        let silent = try TCPClient(connectingTo: bound)
        #expect(silent.waitForServerClose())
        #expect(waitUntil { running.group.counters.tcpIdleClosed >= 1 })
        #expect(waitUntil { handlers[0].closedTargets.value.count >= 1 })
    }

    @Test("at the connection cap a new connection evicts the longest-idle one")
    func capEvictsLongestIdle() throws {
        let (running, bound, _) = try Self.serve { $0.tcp.maxConnections = 3 }
        defer { running.shutdown() }
        var clients: [TCPClient] = []
        for number in 0..<3 {
            let client = try TCPClient(connectingTo: bound)
            try client.sendFrame([UInt8](text: "q\(number)"))
            #expect(try client.readFrame() == [UInt8](text: "re:q\(number)"))
            clients.append(client)
        }
        // Make the first connection the most recently active: the second is now the longest idle.
        try clients[0].sendFrame([UInt8](text: "again"))
        #expect(try clients[0].readFrame() == [UInt8](text: "re:again"))

        let newcomer = try TCPClient(connectingTo: bound)
        try newcomer.sendFrame([UInt8](text: "new"))
        #expect(try newcomer.readFrame() == [UInt8](text: "re:new"))
        #expect(clients[1].waitForServerClose())
        #expect(waitUntil { running.group.counters.tcpEvicted == 1 })
        for number in [0, 2] {
            try clients[number].sendFrame([UInt8](text: "still \(number)"))
            #expect(try clients[number].readFrame() == [UInt8](text: "re:still \(number)"))
        }
    }

    @Test("a reply sent through sendFrame before handleFrame returns .later does not leak an in-flight place")
    func replyDuringHandleFrameSettlesIt() throws {
        let (running, bound, _) = try Self.serve { $0.tcp.maxInFlightPerConnection = 2 }
        defer { running.shutdown() }
        let client = try TCPClient(connectingTo: bound)
        let requests = (0..<6).map { "inline \($0)" }
        try client.send(requests.flatMap { TCPClient.frame([UInt8](text: $0)) })
        var replies: [String] = []
        for _ in requests { replies.append(String(decoding: try client.readFrame(), as: UTF8.self)) }
        #expect(replies == requests.map { "re:" + $0 })
    }

    @Test("a multi-message reply: its parts come first, in order, then its reply; they settle no other query's place")
    func partsBeforeReply() throws {
        let (running, bound, _) = try Self.serve()
        defer { running.shutdown() }
        let client = try TCPClient(connectingTo: bound)
        // "later 50" is in flight while "parts 3" is answered; the half-close then waits for it.
        try client.send(["later 50", "parts 3"].flatMap { TCPClient.frame([UInt8](text: $0)) })
        try Syscall.shutdown(fd: client.fd, how: Int32(SHUT_WR))
        var replies: [String] = []
        for _ in 0..<5 { replies.append(String(decoding: try client.readFrame(), as: UTF8.self)) }
        #expect(replies == ["part 0 of parts 3", "part 1 of parts 3", "part 2 of parts 3", "re:parts 3", "re:later 50"])
        #expect(client.waitForServerClose())
    }

    @Test("a client that half-closes after its queries still gets every reply, then EOF")
    func halfCloseGetsReplies() throws {
        let (running, bound, _) = try Self.serve()
        defer { running.shutdown() }
        let client = try TCPClient(connectingTo: bound)
        try client.send(["a", "later 30", "b"].flatMap { TCPClient.frame([UInt8](text: $0)) })
        try Syscall.shutdown(fd: client.fd, how: Int32(SHUT_WR))
        var replies: Set<String> = []
        for _ in 0..<3 { replies.insert(String(decoding: try client.readFrame(), as: UTF8.self)) }
        #expect(replies == ["re:a", "re:later 30", "re:b"])
        #expect(client.waitForServerClose())
    }

    @Test("one query and a half-close sent at once: answered, then closed without an error")
    func queryThenHalfCloseAtOnce() throws {
        let (running, bound, _) = try Self.serve()
        defer { running.shutdown() }
        let client = try TCPClient(connectingTo: bound)
        try client.sendFrame([UInt8](text: "only"))
        try Syscall.shutdown(fd: client.fd, how: Int32(SHUT_WR))
        #expect(try client.readFrame() == [UInt8](text: "re:only"))
        #expect(client.waitForServerClose())
        #expect(waitUntil { running.group.counters.tcpClosed == 1 })
        #expect(running.group.counters.tcpErrors == 0)
    }

    @Test("one query per connection, many times over (descriptors reused): every one answered and closed")
    func oneQueryPerConnectionRepeatedly() throws {
        let (running, bound, _) = try Self.serve()
        defer { running.shutdown() }
        for i in 0..<200 {
            let client = try TCPClient(connectingTo: bound)
            try client.sendFrame([UInt8](text: "q\(i)"))
            #expect(try client.readFrame() == [UInt8](text: "re:q\(i)"))
            if i % 2 == 0 { try Syscall.shutdown(fd: client.fd, how: Int32(SHUT_WR)) }
            client.close()
        }
        #expect(waitUntil { running.group.counters.tcpClosed == 200 })
        #expect(running.group.counters.tcpAccepted == 200)
        #expect(running.group.counters.tcpErrors == 0)
    }

    @Test("a reset by the client closes the connection and is counted")
    func resetClosesConnection() throws {
        let (running, bound, _) = try Self.serve()
        defer { running.shutdown() }
        let client = try TCPClient(connectingTo: bound)
        try client.sendFrame([UInt8](text: "x"))
        _ = try client.readFrame()
        try client.send([0, 10, 1])  // half a frame, then reset
        client.reset()
        #expect(waitUntil { running.group.counters.tcpClosed == 1 })
    }

    @Test("a late reply to a closed connection is dropped, even after its slot is reused")
    func lateReplyToClosedConnectionIsDropped() throws {
        let (running, bound, handlers) = try Self.serve()
        defer { running.shutdown() }
        let handler = handlers[0]
        let worker = running.group.workers[0]

        let first = try TCPClient(connectingTo: bound)
        try first.sendFrame([UInt8](text: "hold"))
        #expect(waitUntil { handler.held.value.count == 1 })
        // A reset, not a FIN: after a FIN the server still owes the held reply (the client may have only
        // half-closed, RFC 7766), so it keeps the connection until the reply is written.
        first.reset()
        #expect(waitUntil { handler.closedTargets.value.count == 1 })

        let second = try TCPClient(connectingTo: bound)
        try second.sendFrame([UInt8](text: "hold"))
        #expect(waitUntil { handler.held.value.count == 2 })
        let targets = handler.held.value
        #expect(targets[0].slot == targets[1].slot)  // the slot was reused, with a new generation

        let results = Shared<[Bool]>([])
        worker.loop.execute {
            let stale = [UInt8](text: "stale").withUnsafeBytes { worker.sendFrame($0, to: targets[0]) }
            let fresh = [UInt8](text: "fresh").withUnsafeBytes { worker.sendFrame($0, to: targets[1]) }
            results.update { $0 = [stale, fresh] }
        }
        #expect(waitUntil { results.value.count == 2 })
        #expect(results.value == [false, true])
        #expect(try second.readFrame() == [UInt8](text: "fresh"))
        #expect(waitUntil { running.group.counters.tcpLateRepliesDropped == 1 })
    }

    @Test("500 stalled TCP connections and readers that never read do not delay UDP or other TCP clients")
    func stalledConnectionsDoNotDelayOthers() throws {
        var configuration = WorkerConfiguration()
        configuration.tcp.maxPendingOutputBytes = 16 * 1024
        configuration.tcp.socketSendBufferBytes = 4096
        let group = try WorkerGroup(count: 2, configuration: configuration)
        let udpAddress = try group.listenUDP(on: .ipv4Loopback(port: 0)) { _ in ReversingDatagramHandler() }
        let tcpAddress = try group.listenTCP(on: .ipv4Loopback(port: 0)) { _ in ReversingStreamHandler() }
        let running = try RunningGroup(group)
        defer { running.shutdown() }

        var stalled: [TCPClient] = []
        for _ in 0..<500 {
            let client = try TCPClient(connectingTo: tcpAddress)
            try client.send([0x01])  // half a length prefix, then nothing
            stalled.append(client)
        }
        // Readers that never read: they pipeline queries whose replies fill their socket and output buffers.
        var nonReaders: [TCPClient] = []
        let query = TCPClient.frame([UInt8](repeating: 0x5A, count: 2000))
        for _ in 0..<10 {
            let client = try TCPClient(connectingTo: tcpAddress, receiveBuffer: 4096)
            try Syscall.setsockopt(fd: client.fd, level: SOL_SOCKET, name: SO_SNDTIMEO, value: timeval(tv_sec: 0, tv_usec: 200_000))
            for _ in 0..<200 {
                do { try client.send(query) } catch { break }  // the server stopped reading: our send times out
            }
            nonReaders.append(client)
        }
        #expect(waitUntil { running.group.counters.tcpAccepted == 510 })
        #expect(waitUntil { running.group.counters.tcpReadPauses >= 10 })

        let udp = try UDPClient(family: .ipv4)
        let tcp = try TCPClient(connectingTo: tcpAddress)
        for number in 0..<20 {
            try udp.send([UInt8(number), 1], to: udpAddress)
            #expect(try udp.receive().bytes == [1, UInt8(number)])
            try tcp.sendFrame([UInt8(number), 2])
            #expect(try tcp.readFrame() == [2, UInt8(number)])
        }
        #expect(running.group.counters.tcpClosed == 0)
        withExtendedLifetime((stalled, nonReaders)) {}
    }
}
