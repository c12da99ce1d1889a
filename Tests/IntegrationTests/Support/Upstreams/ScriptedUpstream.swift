import DNSWire
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A DNS server on 127.0.0.1 (UDP and TCP, one port) that a test controls: it answers, drops,
/// delays, truncates, lies about IDs, answers from another port, returns an rcode, or closes a
/// TCP connection mid-answer — and it records every query it received, so a test can check the
/// transport, the ID, the question's letter case and which connection carried it.
///
/// Normal answers are `NAME 60 IN A <marker>` (the marker tells tests which upstream answered);
/// TXT questions for names starting with `big` get `bigRecordCount` TXT records of 100 octets.
/// Only loopback is used. Runs on its own threads until `stop()` or deinit.
final class ScriptedUpstream: @unchecked Sendable {
    // @unchecked: mutable state lives behind `state`'s lock; sockets are closed once in `stop()`.

    enum Mode: Sendable, Equatable {
        case answer
        /// Never answers.
        case drop
        /// Answers after this many milliseconds (each query on its own thread).
        case delay(milliseconds: Int)
        /// UDP: an empty answer with TC set; TCP: the full answer.
        case truncateUDP
        /// UDP: first an answer with a wrong ID (marker 6.6.6.6), then the right one.
        case wrongIDFirst
        /// UDP: first the right ID from another source port (marker 6.6.6.6), then the real answer.
        case spoofFromOtherPort
        /// UDP: first the right ID and question from 127.0.0.2 on the upstream's own port
        /// (marker 6.6.6.6), then the real answer.
        case spoofFromOtherAddress
        /// UDP: first the right ID with another question (marker 6.6.6.6), then the right one.
        case wrongQuestionFirst
        /// Answers with this rcode and no records.
        case rcode(ResponseCode)
        /// TCP: sends the length and half of the answer, then closes; UDP: answers normally.
        case closeTCPMidFrame
        /// UDP: the full answer whatever the query's size limit (a misbehaving upstream).
        case oversizeUDP
        /// UDP: first the right ID and question with every letter's case swapped (marker
        /// 6.6.6.6: a forger that guessed ID and port but not the 0x20 case), then the real answer.
        case wrongCaseFirst
        /// UDP: answers with the question name in lower case (an upstream that does not keep case).
        case foldCase
    }

    struct Received: Sendable {
        var transport: String          // "udp" or "tcp"
        var id: UInt16
        var name: String               // as sent, letter case kept
        var type: RecordType
        var sourcePort: UInt16
        var connection: Int            // TCP connection number, 0 for UDP
        var hasEDNS: Bool
        var recursionDesired: Bool
        /// The codes of the query's EDNS options, in order.
        var optionCodes: [EDNSOptionCode] = []
    }

    private struct State {
        var mode: Mode = .answer
        var received: [Received] = []
        var connections = 0
        var closedByPeer = 0
        var stopped = false
    }

    let port: UInt16
    let marker: IPv4Address
    var bigRecordCount = 40
    private let udpFD: Int32
    private let tcpFD: Int32
    private let spoofFD: Int32
    /// Bound to 127.0.0.2 on the upstream's port (-1 when that could not be bound).
    private let spoofAddressFD: Int32
    private let state = Mutex(State())
    private var threads: [Thread] = []

    /// Binds a free port on 127.0.0.1 for UDP and TCP and starts serving.
    init(marker: IPv4Address, mode: Mode = .answer) throws {
        self.marker = marker
        var bound: (Int32, Int32, UInt16)? = nil
        for _ in 0..<50 {
            let candidate = ServerProcess.freePort()
            guard let udp = ScriptedUpstream.bindSocket(type: Int32(SOCK_DGRAM.rawValue), port: candidate) else { continue }
            guard let tcp = ScriptedUpstream.bindSocket(type: Int32(SOCK_STREAM.rawValue), port: candidate) else {
                close(udp)
                continue
            }
            bound = (udp, tcp, candidate)
            break
        }
        guard let (udp, tcp, port) = bound else { throw UpstreamError("no free port for the scripted upstream") }
        guard listen(tcp, 64) == 0, let spoof = ScriptedUpstream.bindSocket(type: Int32(SOCK_DGRAM.rawValue), port: 0) else {
            close(udp)
            close(tcp)
            throw UpstreamError("listen failed")
        }
        udpFD = udp
        tcpFD = tcp
        spoofFD = spoof
        spoofAddressFD = ScriptedUpstream.bindSocket(type: Int32(SOCK_DGRAM.rawValue), port: port, host: 0x7F00_0002) ?? -1
        self.port = port
        state.withLock { $0.mode = mode }
        let udpThread = Thread { [unowned self] in self.serveUDP() }
        let tcpThread = Thread { [unowned self] in self.acceptTCP() }
        threads = [udpThread, tcpThread]
        udpThread.start()
        tcpThread.start()
    }

    deinit { stop() }

    struct UpstreamError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    var mode: Mode {
        get { state.withLock { $0.mode } }
        set { state.withLock { $0.mode = newValue } }
    }

    /// Every query received so far, in arrival order.
    var received: [Received] { state.withLock { $0.received } }
    /// Received queries for `name` (any case), health checks and other names left out.
    func received(named name: String) -> [Received] {
        received.filter { $0.name.lowercased() == name.lowercased() }
    }
    /// Health checks received (`. IN NS`).
    var healthChecks: [Received] { received.filter { $0.name == "." && $0.type == .ns } }
    /// TCP connections accepted so far.
    var connectionCount: Int { state.withLock { $0.connections } }
    /// TCP connections the other side (the forwarder) closed.
    var connectionsClosedByPeer: Int { state.withLock { $0.closedByPeer } }

    /// `127.0.0.1:PORT`, as a Corefile TO.
    var address: String { "127.0.0.1:\(port)" }

    func stop() {
        let first = state.withLock { s -> Bool in
            defer { s.stopped = true }
            return !s.stopped
        }
        guard first else { return }
        shutdown(udpFD, Int32(SHUT_RDWR))
        shutdown(tcpFD, Int32(SHUT_RDWR))
        // The serving threads notice `stopped` within their 100 ms receive timeout.
        usleep(250_000)
        close(udpFD)
        close(tcpFD)
        close(spoofFD)
        if spoofAddressFD >= 0 { close(spoofAddressFD) }
    }

    private var isStopped: Bool { state.withLock { $0.stopped } }

    // MARK: Sockets

    static func bindSocket(type: Int32, port: UInt16, host: UInt32 = 0x7F00_0001) -> Int32? {
        let fd = socket(AF_INET, type, 0)
        guard fd >= 0 else { return nil }
        var one: Int32 = 1
        if type == Int32(SOCK_STREAM.rawValue) {
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        }
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = host.bigEndian
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            close(fd)
            return nil
        }
        return fd
    }

    // MARK: UDP

    private func serveUDP() {
        var buffer = [UInt8](repeating: 0, count: 65_535)
        while !isStopped {
            var peer = sockaddr_in()
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let n = withUnsafeMutablePointer(to: &peer) { p in
                p.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(udpFD, &buffer, buffer.count, 0, $0, &length) }
            }
            guard n > 0 else { continue }
            let query = Array(buffer[0..<n])
            guard let message = try? Message(parsing: query), let question = message.question else { continue }
            record(message, transport: "udp", sourcePort: UInt16(bigEndian: peer.sin_port), connection: 0)
            let mode = self.mode
            switch mode {
            case .drop:
                continue
            case .delay(let milliseconds):
                let fd = udpFD
                let reply = answer(to: message, question: question, overUDP: true)
                let destination = peer
                Thread.detachNewThread {
                    usleep(UInt32(milliseconds) * 1000)
                    ScriptedUpstream.send(reply, on: fd, to: destination)
                }
            case .truncateUDP:
                var reply = answerMessage(to: message, question: question)
                reply.answers = []
                reply.header.truncated = true
                ScriptedUpstream.send(reply.encoded() ?? [], on: udpFD, to: peer)
            case .wrongIDFirst:
                var fake = answerMessage(to: message, question: question, marker: IPv4Address(6, 6, 6, 6))
                fake.header.id = message.header.id &+ 1
                ScriptedUpstream.send(fake.encoded() ?? [], on: udpFD, to: peer)
                usleep(20_000)
                ScriptedUpstream.send(answer(to: message, question: question, overUDP: true), on: udpFD, to: peer)
            case .spoofFromOtherPort:
                let fake = answerMessage(to: message, question: question, marker: IPv4Address(6, 6, 6, 6))
                ScriptedUpstream.send(fake.encoded() ?? [], on: spoofFD, to: peer)
                usleep(20_000)
                ScriptedUpstream.send(answer(to: message, question: question, overUDP: true), on: udpFD, to: peer)
            case .spoofFromOtherAddress:
                let fake = answerMessage(to: message, question: question, marker: IPv4Address(6, 6, 6, 6))
                ScriptedUpstream.send(fake.encoded() ?? [], on: spoofAddressFD, to: peer)
                usleep(20_000)
                ScriptedUpstream.send(answer(to: message, question: question, overUDP: true), on: udpFD, to: peer)
            case .wrongQuestionFirst:
                var other = question
                other.name = DomainName("other.example.")
                var fake = answerMessage(to: message, question: other, marker: IPv4Address(6, 6, 6, 6))
                fake.questions = [other]
                ScriptedUpstream.send(fake.encoded() ?? [], on: udpFD, to: peer)
                usleep(20_000)
                ScriptedUpstream.send(answer(to: message, question: question, overUDP: true), on: udpFD, to: peer)
            case .oversizeUDP:
                ScriptedUpstream.send(answerMessage(to: message, question: question).encoded() ?? [], on: udpFD, to: peer)
            case .wrongCaseFirst:
                var swapped = question
                swapped.name = ScriptedUpstream.recase(question.name) { $0 ^ 0x20 }
                ScriptedUpstream.send(answerMessage(to: message, question: swapped, marker: IPv4Address(6, 6, 6, 6)).encoded() ?? [],
                                      on: udpFD, to: peer)
                usleep(20_000)
                ScriptedUpstream.send(answer(to: message, question: question, overUDP: true), on: udpFD, to: peer)
            case .foldCase:
                var folded = question
                folded.name = ScriptedUpstream.recase(question.name) { $0 | 0x20 }
                ScriptedUpstream.send(answer(to: message, question: folded, overUDP: true), on: udpFD, to: peer)
            case .answer, .rcode, .closeTCPMidFrame:
                ScriptedUpstream.send(answer(to: message, question: question, overUDP: true), on: udpFD, to: peer)
            }
        }
    }

    /// `name` with `change` applied to each ASCII letter of its labels.
    static func recase(_ name: DomainName, _ change: (UInt8) -> UInt8) -> DomainName {
        let labels = name.labels.map { label in
            label.map { byte in (byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z") ? change(byte) : byte }
        }
        return (try? DomainName(labels: labels)) ?? name
    }

    private static func send(_ bytes: [UInt8], on fd: Int32, to peer: sockaddr_in) {
        var peer = peer
        _ = withUnsafePointer(to: &peer) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(fd, bytes, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
    }

    // MARK: TCP

    private func acceptTCP() {
        while !isStopped {
            let fd = accept(tcpFD, nil, nil)
            guard fd >= 0 else { continue }
            let number = state.withLock { s -> Int in
                s.connections += 1
                return s.connections
            }
            Thread.detachNewThread { [self] in serveConnection(fd, number: number) }
        }
    }

    private func serveConnection(_ fd: Int32, number: Int) {
        defer { close(fd) }
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var pending: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_535)
        let writeLock = NSLock()
        while !isStopped {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n == 0 {
                state.withLock { $0.closedByPeer += 1 }
                return
            }
            if n < 0 {
                if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { continue }
                return
            }
            pending += buffer[0..<n]
            while pending.count >= 2 {
                let length = Int(pending[0]) << 8 | Int(pending[1])
                guard pending.count >= 2 + length else { break }
                let query = Array(pending[2..<(2 + length)])
                pending.removeFirst(2 + length)
                guard let message = try? Message(parsing: query), let question = message.question else { continue }
                var peer = sockaddr_in()
                var peerLength = socklen_t(MemoryLayout<sockaddr_in>.size)
                _ = withUnsafeMutablePointer(to: &peer) { p in
                    p.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &peerLength) }
                }
                record(message, transport: "tcp", sourcePort: UInt16(bigEndian: peer.sin_port), connection: number)
                let reply = answer(to: message, question: question, overUDP: false)
                let frame = [UInt8(reply.count >> 8), UInt8(reply.count & 0xFF)] + reply
                switch mode {
                case .drop:
                    continue
                case .closeTCPMidFrame:
                    let half = Array(frame[0..<(frame.count / 2)])
                    ScriptedUpstream.writeAll(half, to: fd)
                    return
                case .delay(let milliseconds):
                    Thread.detachNewThread {
                        usleep(UInt32(milliseconds) * 1000)
                        writeLock.lock()
                        ScriptedUpstream.writeAll(frame, to: fd)
                        writeLock.unlock()
                    }
                default:
                    writeLock.lock()
                    ScriptedUpstream.writeAll(frame, to: fd)
                    writeLock.unlock()
                }
            }
        }
    }

    private static func writeAll(_ bytes: [UInt8], to fd: Int32) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { return }
            offset += n
        }
    }

    // MARK: Answers

    private func record(_ message: Message, transport: String, sourcePort: UInt16, connection: Int) {
        guard let question = message.question else { return }
        let entry = Received(transport: transport, id: message.header.id, name: question.name.description,
                             type: question.type, sourcePort: sourcePort, connection: connection,
                             hasEDNS: message.edns != nil, recursionDesired: message.header.recursionDesired,
                             optionCodes: message.edns?.options.map(\.code) ?? [])
        state.withLock { $0.received.append(entry) }
    }

    private func answerMessage(to query: Message, question: Question, marker: IPv4Address? = nil) -> Message {
        var header = Header(id: query.header.id)
        header.isResponse = true
        header.recursionDesired = query.header.recursionDesired
        header.recursionAvailable = true
        var reply = Message(header: header, questions: [question])
        if let edns = query.edns {
            reply.edns = EDNS(udpPayloadSize: 1232)
            // As a cookie-capable server: the client cookie back with a server cookie of its own.
            if let cookie = edns.option(.cookie), cookie.data.count >= 8 {
                let serverCookie = Self.upstreamServerCookie
                reply.edns?.options = [EDNSOption(code: .cookie, data: Array(cookie.data.prefix(8)) + serverCookie)]
            }
        }
        if case .rcode(let code) = mode {
            reply.rcode = code
            return reply
        }
        if question.type == .txt, question.name.description.lowercased().hasPrefix("big") {
            let text = [UInt8](repeating: UInt8(ascii: "x"), count: 100)
            for i in 0..<bigRecordCount {
                var data = text
                data[0] = UInt8(ascii: "0") + UInt8(i % 10)
                data[1] = UInt8(ascii: "a") + UInt8(i / 10 % 26)
                reply.answers.append(ResourceRecord(name: question.name, ttl: 60, rdata: .txt([data])))
            }
        } else if question.type == .a {
            reply.answers.append(ResourceRecord(name: question.name, ttl: 60, rdata: .a(marker ?? self.marker)))
        }
        return reply
    }

    /// The server cookie this upstream returns to a query with a client cookie.
    static let upstreamServerCookie: [UInt8] = [UInt8](repeating: 0xAA, count: 16)

    /// The wire answer: over UDP cut to the query's size (512 without EDNS) with TC, as a good server does.
    private func answer(to query: Message, question: Question, overUDP: Bool) -> [UInt8] {
        let reply = answerMessage(to: query, question: question)
        let limit = overUDP ? max(Int(query.edns?.udpPayloadSize ?? 512), 512) : 65_535
        return reply.encoded(maxSize: limit) ?? []
    }
}
