import DNSWire
import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `forward` under hostile load and with cookies, against the real server on loopback: a flood
/// of unique names at a silent upstream (sockets and memory bounded by `max_concurrent`, counted
/// in /proc/PID), recovery when the upstream answers again, and the client's DNS cookie kept
/// between the client and this server. The single-fault cases (drop, delay, truncation, refusal,
/// wrong ID, wrong address or port, wrong question) are in `ForwardTests`.
@Suite(.serialized) struct UpstreamFaultTests {
    static let marker = IPv4Address(10, 0, 0, 7)

    // MARK: Cookies

    @Test("the client's COOKIE is not passed upstream; the client gets this server's cookie back, not the upstream's",
          arguments: ["udp", "tcp"])
    func cookieNotForwarded(_ transport: String) throws {
        let upstream = try ScriptedUpstream(marker: Self.marker)
        let server = try ServerProcess(corefile: ".:{PORT} {\n    forward . \(upstream.address)\n}\n")
        var client = server.client
        client.timeout = .seconds(5)
        let clientCookie: [UInt8] = [0x24, 0x64, 0xc4, 0xab, 0xcf, 0x10, 0xc9, 0x57]
        let edns = EDNS(options: [EDNSOption(code: .cookie, data: clientCookie)])
        let reply = transport == "udp" ? try client.query("Cookie.Example.", .a, edns: edns)
                                       : try client.queryTCP("Cookie.Example.", .a, edns: edns)
        #expect(reply.rcode == .noError)
        #expect(reply.answers.first?.rdata == .a(Self.marker))
        let cookie = try #require(reply.edns?.option(.cookie)?.data)
        #expect(cookie.count == 24)
        #expect(Array(cookie.prefix(8)) == clientCookie)
        #expect(Array(cookie.dropFirst(8)) != ScriptedUpstream.upstreamServerCookie)
        #expect(reply.edns?.options.filter { $0.code == .cookie }.count == 1)
        let asked = upstream.received(named: "Cookie.Example.")
        #expect(asked.count == 1)
        #expect(asked.first?.hasEDNS == true)           // EDNS itself still goes upstream
        #expect(asked.first?.optionCodes.contains(.cookie) == false, "\(asked)")
        // The cookie the server gave is accepted on the next forwarded query, and still not passed on.
        let again = transport == "udp"
            ? try client.query("cookie2.example.", .a, edns: EDNS(options: [EDNSOption(code: .cookie, data: cookie)]))
            : try client.queryTCP("cookie2.example.", .a, edns: EDNS(options: [EDNSOption(code: .cookie, data: cookie)]))
        #expect(again.edns?.option(.cookie)?.data == cookie)
        #expect(upstream.received(named: "cookie2.example.").first?.optionCodes.contains(.cookie) == false)
    }

    @Test("with cookie off the client's COOKIE is still not passed upstream, and none comes back")
    func cookieOffNotForwarded() throws {
        let upstream = try ScriptedUpstream(marker: Self.marker)
        let server = try ServerProcess(corefile: ".:{PORT} {\n    cookie off\n    forward . \(upstream.address)\n}\n")
        var client = server.client
        client.timeout = .seconds(5)
        let reply = try client.query("off.example.", .a,
                                     edns: EDNS(options: [EDNSOption(code: .cookie, data: [1, 2, 3, 4, 5, 6, 7, 8])]))
        #expect(reply.answers.first?.rdata == .a(Self.marker))
        #expect(reply.edns?.option(.cookie) == nil)
        #expect(upstream.received(named: "off.example.").first?.optionCodes.contains(.cookie) == false)
    }

    // MARK: Flood

    static let maxConcurrent = 200
    static let floodQueries = 4_000

    @Test("a flood of unique names at a silent upstream: sockets and RSS stay bounded by max_concurrent, every query is answered REFUSED or SERVFAIL, recovery follows")
    func floodBounded() throws {
        let upstream = try ScriptedUpstream(marker: Self.marker, mode: .drop)
        let server = try ServerProcess(corefile: """
            .:{PORT} {
                forward . \(upstream.address) {
                    max_concurrent \(Self.maxConcurrent)
                }
            }

            """)
        let pid = server.process.processIdentifier
        let baseFDs = try #require(ProcessStats.openFiles(pid))
        let baseRSS = try #require(ProcessStats.statusKilobytes(pid, "VmRSS"))
        let flood = try UDPFlood(port: server.port)
        defer { flood.stop() }
        var peakFDs = baseFDs
        var sent = 0
        // Batches of 100 every 10 ms (about 10 000 queries/s), far above what one silent upstream lets through.
        while sent < Self.floodQueries {
            for _ in 0..<100 {
                flood.send(name: "u\(sent)-\(UInt32.random(in: 0...UInt32.max)).flood.example.", id: UInt16(truncatingIfNeeded: sent))
                sent += 1
            }
            peakFDs = max(peakFDs, ProcessStats.openFiles(pid) ?? 0)
            usleep(10_000)
        }
        // Every admitted query gets SERVFAIL by the 5 s deadline; wait for them with room to spare.
        let deadline = ContinuousClock.now + .seconds(15)
        while flood.answered < sent && ContinuousClock.now < deadline {
            peakFDs = max(peakFDs, ProcessStats.openFiles(pid) ?? 0)
            usleep(100_000)
        }
        let rcodes = flood.rcodes
        let peakRSS = ProcessStats.statusKilobytes(pid, "VmHWM") ?? 0
        let rss = ProcessStats.statusKilobytes(pid, "VmRSS") ?? 0
        let report = "sent \(sent), answered \(flood.answered) \(rcodes), fds \(baseFDs) → peak \(peakFDs), "
            + "VmRSS \(baseRSS) → \(rss) kB (VmHWM \(peakRSS) kB), upstream saw \(upstream.received.count)"
        print("upstream flood: \(report)")
        #expect(server.process.isRunning, "\(report)")
        // Each outstanding exchange holds one socket; beyond the cap nothing is opened.
        #expect(peakFDs <= baseFDs + Self.maxConcurrent + 16, "\(report)")
        #expect(upstream.received.filter { $0.name.hasSuffix(".flood.example.") }.count <= sent)
        // Loopback UDP may drop a few under the burst; nearly all must be answered, and only so.
        #expect(flood.answered >= sent * 95 / 100, "\(report)")
        #expect(Set(rcodes.keys).isSubset(of: [.refused, .serverFailure]), "\(report)")
        #expect((rcodes[.refused] ?? 0) > 0 && (rcodes[.serverFailure] ?? 0) > 0, "\(report)")
        #expect(rss <= baseRSS + 64 * 1024, "\(report)")
        // Timed-out sockets are closed, not kept.
        #expect(ServerProcess.eventually(timeout: .seconds(10)) { (ProcessStats.openFiles(pid) ?? .max) <= baseFDs + 4 },
                "fds now \(ProcessStats.openFiles(pid) ?? -1), at start \(baseFDs)")
        // Recovery: once the upstream answers again (health checks mark it up), queries are answered.
        upstream.mode = .answer
        var client = server.client
        client.timeout = .seconds(6)
        #expect(ServerProcess.eventually(timeout: .seconds(20)) {
            (try? client.query("back\(UInt32.random(in: 0...UInt32.max)).example.", .a))?.answers.first?.rdata == .a(Self.marker)
        })
    }
}

/// Counters a test reads from /proc for another process.
enum ProcessStats {
    /// The number of open file descriptors of `pid` (entries of /proc/PID/fd).
    static func openFiles(_ pid: Int32) -> Int? {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd"))?.count
    }

    /// A field of /proc/PID/status in kB (`VmRSS`, `VmHWM`).
    static func statusKilobytes(_ pid: Int32, _ field: String) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
            return Int(line.dropFirst(field.count + 1).split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "")
        }
        return nil
    }
}

/// One UDP socket that sends A queries without waiting and counts the answers' rcodes on a
/// reader thread: load that does not depend on the answers' timing. `stop()` ends the reader
/// and closes the socket.
final class UDPFlood: @unchecked Sendable {
    // @unchecked: `counts` is behind a Mutex; `fd` is written once and closed by the reader.
    private let fd: Int32
    private let counts = Mutex<(answered: Int, rcodes: [ResponseCode: Int], stopped: Bool)>((0, [:], false))
    private var destination = sockaddr_in()

    init(port: UInt16, host: UInt32 = 0x7F00_0001) throws {
        fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw ScriptedUpstream.UpstreamError("socket: errno \(errno)") }
        var size: Int32 = 4 << 20
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        destination.sin_family = sa_family_t(AF_INET)
        destination.sin_port = port.bigEndian
        destination.sin_addr.s_addr = host.bigEndian
        Thread.detachNewThread { [self] in read() }
    }

    func stop() { counts.withLock { $0.stopped = true } }

    var answered: Int { counts.withLock { $0.answered } }
    var rcodes: [ResponseCode: Int] { counts.withLock { $0.rcodes } }

    func send(name: String, id: UInt16) {
        guard let domain = try? DomainName(name) else { return }
        var header = Header(id: id)
        header.recursionDesired = true
        var message = Message(header: header, questions: [Question(name: domain, type: .a)])
        message.edns = EDNS()
        guard let bytes = message.encoded() else { return }
        var address = destination
        _ = bytes.withUnsafeBytes { raw in
            withUnsafePointer(to: &address) { p in
                p.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, raw.baseAddress, raw.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
    }

    private func read() {
        var buffer = [UInt8](repeating: 0, count: 65_535)
        while !counts.withLock({ $0.stopped }) {
            let n = recv(fd, &buffer, buffer.count, 0)
            guard n >= 12 else { continue }
            let rcode = ResponseCode(rawValue: UInt16(buffer[3] & 0x0F))
            counts.withLock {
                $0.answered += 1
                $0.rcodes[rcode, default: 0] += 1
            }
        }
        close(fd)
    }
}
