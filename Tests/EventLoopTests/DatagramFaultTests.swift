import ClusterDNSCSystem
import Synchronization
import Testing

@testable import EventLoop

/// Batch I/O that behaves like the kernel would if certain entries failed: a reply whose payload starts with a
/// marker fails in `sendmmsg` the way the kernel reports it (entries before it are sent and the call returns
/// their count; the next call, starting at it, fails). Marked per payload, so the outcome does not depend on
/// how the datagrams were split into batches.
struct FaultyDatagramIO: DatagramIO {
    final class Script: Sendable {
        /// recvmmsg calls to fail before behaving normally, and with which errno.
        let receiveFailures = Mutex<(count: Int, errno: Int32)>((0, 0))
        let sendCalls = Atomic<Int>(0)
    }

    let script: Script

    static let markers: [(prefix: [UInt8], outcome: Int32)] = [
        (Array("NOBUF".utf8), ENOBUFS), (Array("INVAL".utf8), EINVAL), (Array("AGAIN".utf8), EAGAIN),
        (Array("EPERM".utf8), EPERM), (Array("SHORT".utf8), 0),
    ]

    static func outcome(of message: CSystem_mmsghdr) -> Int32? {
        guard let iov = message.msg_hdr.msg_iov, let base = iov.pointee.iov_base else { return nil }
        let bytes = UnsafeRawBufferPointer(start: base, count: iov.pointee.iov_len)
        for marker in markers where bytes.starts(with: marker.prefix) { return marker.outcome }
        return nil
    }

    mutating func recvmmsg(fd: Int32, messages: UnsafeMutablePointer<CSystem_mmsghdr>, count: Int) throws(SystemError) -> IOResult<Int> {
        let failure: Int32? = script.receiveFailures.withLock { state in
            guard state.count > 0 else { return nil }
            state.count -= 1
            return state.errno
        }
        if let failure { throw SystemError(errno: failure, call: "recvmmsg") }
        return try Syscall.recvmmsg(fd: fd, messages: messages, count: count, flags: 0)
    }

    mutating func sendmmsg(fd: Int32, messages: UnsafeMutablePointer<CSystem_mmsghdr>, count: Int) throws(SystemError) -> IOResult<Int> {
        script.sendCalls.add(1, ordering: .relaxed)
        if let first = Self.outcome(of: messages[0]) {
            switch first {
            case EAGAIN: return .wouldBlock
            case 0: return try Syscall.sendmmsg(fd: fd, messages: messages, count: 1, flags: 0)  // a short count
            default: throw SystemError(errno: first, call: "sendmmsg")
            }
        }
        var clean = 1
        while clean < count, Self.outcome(of: messages[clean]) == nil { clean += 1 }
        return try Syscall.sendmmsg(fd: fd, messages: messages, count: clean, flags: 0)
    }
}

/// Echoes every datagram unchanged, so markers reach the send side.
final class EchoDatagramHandler: DatagramHandler {
    let count = Shared(0)
    func handleDatagram(_ packet: UnsafeRawBufferPointer, truncated: Bool, from target: UDPReplyTarget, response: UnsafeMutableRawBufferPointer) -> Int? {
        count.update { $0 += 1 }
        response.copyMemory(from: packet)
        return packet.count
    }
}

@Suite("UDP send and receive faults through the DatagramIO seam")
struct DatagramFaultTests {
    struct Fixture {
        let running: RunningGroup
        let group: WorkerGroup
        let bound: SocketAddress
        let script = FaultyDatagramIO.Script()
        let handler = EchoDatagramHandler()
        let client: UDPClient

        init() throws {
            let group = try WorkerGroup(count: 1)
            let script = self.script
            let handler = self.handler
            bound = try group.listenUDP(on: .ipv4Loopback(port: 0), makeHandler: { _ in handler }, makeIO: { _ in FaultyDatagramIO(script: script) })
            self.group = group
            running = try RunningGroup(group)
            client = try UDPClient(family: .ipv4)
        }

        /// Sends `payloads`, then a clean "END" probe, and returns every reply up to and including the probe's.
        func exchange(_ payloads: [String]) throws -> [String] {
            for payload in payloads { try client.send([UInt8](text: payload), to: bound) }
            try client.send([UInt8](text: "END"), to: bound)
            var replies: [String] = []
            while true {
                let reply = String(decoding: try client.receive().bytes, as: UTF8.self)
                replies.append(reply)
                if reply == "END" { return replies }
            }
        }
    }

    @Test("ENOBUFS drops the rest of the batch, counts every drop, and the next batch is sent")
    func noBuffersIsCountedAsDropped() throws {
        let fixture = try Fixture()
        defer { fixture.running.shutdown() }
        // The rest of a batch goes with the failing entry, so the probe is sent only after the drops are counted.
        for payload in ["NOBUF 1", "NOBUF 2", "NOBUF 3"] { try fixture.client.send([UInt8](text: payload), to: fixture.bound) }
        #expect(waitUntil { fixture.group.counters.udpDroppedNoBuffers == 3 })
        #expect(try fixture.exchange([]) == ["END"])
        #expect(waitUntil { fixture.group.counters.udpSent == 1 })
    }

    @Test("EAGAIN on send drops the rest of the batch as would-block")
    func wouldBlockIsCountedAsDropped() throws {
        let fixture = try Fixture()
        defer { fixture.running.shutdown() }
        for payload in ["AGAIN 1", "AGAIN 2"] { try fixture.client.send([UInt8](text: payload), to: fixture.bound) }
        #expect(waitUntil { fixture.group.counters.udpDroppedWouldBlock == 2 })
        #expect(try fixture.exchange([]) == ["END"])
    }

    @Test("EINVAL skips exactly one entry and the others in the batch are still sent")
    func invalidSkipsOneEntry() throws {
        let fixture = try Fixture()
        defer { fixture.running.shutdown() }
        let replies = try fixture.exchange(["ok 1", "ok 2", "INVAL 3", "ok 4", "EPERM 5", "ok 6"])
        #expect(replies == ["ok 1", "ok 2", "ok 4", "ok 6", "END"])
        #expect(waitUntil {
            let counters = fixture.group.counters
            return counters.udpDroppedInvalid == 1 && counters.udpDroppedOther == 1 && counters.udpSent == 5
        })
    }

    @Test("a short sendmmsg count is resent from the first unsent entry")
    func partialSendIsResent() throws {
        let fixture = try Fixture()
        defer { fixture.running.shutdown() }
        let replies = try fixture.exchange(["SHORT 1", "SHORT 2", "plain 3", "SHORT 4"])
        #expect(replies == ["SHORT 1", "SHORT 2", "plain 3", "SHORT 4", "END"])
        #expect(waitUntil { fixture.group.counters.udpSent == 5 })
        let counters = fixture.group.counters
        #expect(counters.udpDroppedNoBuffers + counters.udpDroppedInvalid + counters.udpDroppedOther + counters.udpDroppedWouldBlock == 0)
        #expect(counters.udpSendCalls >= 3)
    }

    @Test("a failing recvmmsg is counted and reading carries on")
    func receiveErrorIsCounted() throws {
        let fixture = try Fixture()
        defer { fixture.running.shutdown() }
        fixture.script.receiveFailures.withLock { $0 = (1, ENOMEM) }
        let replies = try fixture.exchange(["after error"])
        #expect(replies == ["after error", "END"])
        #expect(waitUntil { fixture.group.counters.udpReceiveErrors == 1 })
    }
}
